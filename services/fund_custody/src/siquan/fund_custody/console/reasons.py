"""The fund custody application layer's refusals as the treasury pages show them: why an
appropriation, a special account or its year-end statement is refused (the use cases'
reasons, with the ids and amounts they concern), each with its catalogue text, so a zh-CN
page reads Chinese (`siquan.shared.console.reasons` matches them). A reason no pattern
knows is shown as it is."""

from __future__ import annotations

from siquan.shared.console import reasons


def _(message: str) -> str:
    """Marks text for the catalogue; the page translates it."""
    return message


LEVEL_NAMES = {"central": _("Central"), "provincial": _("Provincial"),
               "municipal": _("Municipal"), "county": _("County")}
"""The fiscal levels by their names in the books."""

_KEY = r"(?P<program>[^/\s]+)/(?P<year>\d{4})/(?P<division>\d+)"
"""A special account as the application layer names it (`AccountKey.__str__`)."""

PATTERNS = reasons.patterns(
    (r"^officer (?P<officer>\S+) acts for (?P<division>\d+), not for division "
     r"(?P<scope>\d+)$",
     _("Officer %(officer)s acts for %(division)s, not for division %(scope)s.")),
    (r"^program_code '(?P<program>[^']*)' is not in the policy catalogue$",
     _("The program %(program)s is not in the policy catalogue.")),
    (r"^document (?P<document>.+) was recorded as (?P<fen>\d+) fen from the "
     r"(?P<level>[a-z]+) level \(appropriation (?P<appropriation>\S+)\); it cannot now be "
     r"(?P<new_fen>\d+) fen from the (?P<new_level>[a-z]+) level$",
     _("Document %(document)s was recorded as %(fen)s fen from the %(level)s level "
       "(appropriation %(appropriation)s); it cannot now be %(new_fen)s fen from the "
       "%(new_level)s level.")),
    (r"^an appropriation must be positive, not (?P<fen>-?\d+) fen$",
     _("An appropriation is a positive amount.")),
    (rf"^no special account {_KEY}$",
     _("There is no special account %(program)s/%(year)s/%(division)s.")),
    (rf"^no year-end statement for {_KEY}$",
     _("There is no year-end statement for %(program)s/%(year)s/%(division)s yet.")),
    (rf"^{_KEY} cannot be settled: a later fiscal year is already closed$",
     _("%(program)s/%(year)s/%(division)s cannot be settled: a later fiscal year is "
       "already closed.")),
    (rf"^{_KEY} cannot be settled: (?P<count>\d+) run\(s\) not settled yet "
     r"\((?P<runs>[^)]*)\)$",
     _("%(program)s/%(year)s/%(division)s cannot be settled: %(count)s run(s) not "
       "settled yet (%(runs)s).")),
    (r"^no version of (?P<program>\S+) is in force in (?P<year>\d{4}) for "
     r"(?P<division>\d+)$",
     _("No policy version of %(program)s is in force in %(year)s for %(division)s.")),
    (rf"^{_KEY} cannot be settled: its closing balance would be carried into "
     r"(?P<next>\d{4}), after the last fiscal year kept \((?P<last>\d{4})\)$",
     _("%(program)s/%(year)s/%(division)s cannot be settled: its closing balance would "
       "be carried into %(next)s, after the last fiscal year kept (%(last)s).")),
    (rf"^{_KEY} cannot be settled before (?P<previous>\d{{4}})'s statement carries its "
     r"balance forward$",
     _("%(program)s/%(year)s/%(division)s cannot be settled before the statement of "
       "%(previous)s carries its balance forward.")),
)
"""Every reason the treasury pages can show, by its pattern."""

PARTS = {"level": reasons.named(LEVEL_NAMES), "new_level": reasons.named(LEVEL_NAMES)}


def translated(reason: str, gettext: reasons.Gettext) -> str:
    """The reason in the page's language: the catalogue's text of its pattern with the
    same values (fiscal levels by their names), or the reason as it is."""
    return reasons.translated(reason, gettext, PATTERNS, PARTS)
