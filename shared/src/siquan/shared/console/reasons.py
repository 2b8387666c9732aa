"""The application layer's refusals as a console shows them: the application layer words
its reasons in English with the ids they concern (never a person's data); a console knows
the reasons its pages can show, each by a pattern with named groups and the catalogue text
that names the same groups (`%(run)s`), and shows the catalogue text in the page's language
with the same ids filled in. A reason no pattern knows is shown as it is (translated only
when it is itself a text of the catalogue).

Each console keeps its own patterns next to its pages (`console/reasons.py`, extracted
into its catalogue with the pages' text):

    PATTERNS = patterns(
        (r"^no payment run (?P<run>\\S+)$", _("There is no payment run %(run)s.")),
    )
    translated(reason, gettext, PATTERNS)

A group whose value is itself a known word or a list of reasons (a fiscal level, the
skipped payees' reasons) is translated by the function `parts` gives for its name before
it is filled in."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

Gettext = Callable[[str], str]
"""The page's gettext: English text of the catalogue → the page's language."""
Pattern = tuple[re.Pattern[str], str]
"""A reason's pattern and the catalogue text shown for it."""
Part = Callable[[str, Gettext], str]
"""How a group's value reads in the page's language."""


def patterns(*known: tuple[str, str]) -> tuple[Pattern, ...]:
    """The patterns (regular expressions matched from the start of the reason) with their
    catalogue texts."""
    return tuple((re.compile(pattern), message) for pattern, message in known)


def exactly(reasons: Mapping[str, str]) -> tuple[Pattern, ...]:
    """Patterns for reasons that carry no id (constants of the application layer), each
    matched as it is."""
    return tuple((re.compile(f"^{re.escape(reason)}$"), message)
                 for reason, message in reasons.items())


def translated(reason: str, gettext: Gettext, known: Iterable[Pattern],
               parts: Mapping[str, Part] | None = None) -> str:
    """The reason in the page's language: the catalogue's text of the first pattern it
    matches with the same values, or the reason as it is."""
    for pattern, message in known:
        found = pattern.match(reason)
        if found is not None:
            values = {name: (parts[name](value, gettext) if parts and name in parts
                             and value is not None else value)
                      for name, value in found.groupdict().items()}
            return gettext(message) % values
    return gettext(reason)


def each(separator: str, part: Part) -> Part:
    """A part that is a list (`"2 × no payee account; 1 × already paid"`): each item
    translated by `part`, joined again."""
    def translate(value: str, gettext: Gettext) -> str:
        return separator.join(part(item, gettext) for item in value.split(separator))
    return translate


def named(names: Mapping[str, str]) -> Part:
    """A part that is one of a few known words (a status, a fiscal level): its catalogue
    text, or the word as it is."""
    def translate(value: str, gettext: Gettext) -> str:
        return gettext(names[value]) if value in names else value
    return translate
