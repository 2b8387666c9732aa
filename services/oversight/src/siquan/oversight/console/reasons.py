"""The oversight application layer's refusals as the auditor's pages show them: why a
finding, a hold or a complaint is refused (the use cases' reasons, with the ids they
concern), each with its catalogue text, so a zh-CN page reads Chinese
(`siquan.shared.console.reasons` matches them). A reason no pattern knows is shown as it
is."""

from __future__ import annotations

from siquan.shared.console import reasons


def _(message: str) -> str:
    """Marks text for the catalogue; the page translates it."""
    return message


OUTCOME_NAMES = {"confirmed": _("Confirmed"), "dismissed": _("Dismissed")}
"""A finding's outcomes by their names in the records."""

PATTERNS = reasons.patterns(
    (r"^officer (?P<officer>\S+) acts for (?P<division>\d+), not for division "
     r"(?P<scope>\d+)$",
     _("Officer %(officer)s acts for %(division)s, not for division %(scope)s.")),
    (r"^no finding (?P<finding>\S+)$", _("There is no finding %(finding)s.")),
    (r"^finding (?P<finding>\S+) was resolved already \((?P<outcome>[a-z]+) by "
     r"(?P<officer>\S+)\)$",
     _("Finding %(finding)s was resolved already (%(outcome)s by %(officer)s).")),
    (r"^no hold (?P<hold>\S+)$", _("There is no hold %(hold)s.")),
    (r"^hold (?P<hold>\S+) was lifted already by (?P<officer>\S+)$",
     _("Hold %(hold)s was lifted already by %(officer)s.")),
    (r"^oversight knows no certification of this person in program (?P<program>\S+)$",
     _("Oversight knows no certification of this person in program %(program)s.")),
    (r"^oversight knows no certification of this person$",
     _("Oversight knows no certification of this person.")),
    (r"^a hold on this person for every program is already in force$",
     _("A hold on this person for every program is already in force.")),
    (r"^a hold on this person for (?P<program>\S+) is already in force$",
     _("A hold on this person for %(program)s is already in force.")),
    (r"^oversight knows no payment run (?P<run>\S+)$",
     _("Oversight knows no payment run %(run)s.")),
    (r"^a hold on run (?P<run>\S+) is already in force$",
     _("A hold on run %(run)s is already in force.")),
    (r"^no complaint (?P<complaint>\S+)$", _("There is no complaint %(complaint)s.")),
    (r"^complaint (?P<complaint>\S+) is resolved; it takes no handler$",
     _("Complaint %(complaint)s is resolved; it takes no handler.")),
    (r"^complaint (?P<complaint>\S+) is already resolved$",
     _("Complaint %(complaint)s is already resolved.")),
)
"""Every reason the auditor's pages can show, by its pattern."""

PARTS = {"outcome": reasons.named(OUTCOME_NAMES)}


def translated(reason: str, gettext: reasons.Gettext) -> str:
    """The reason in the page's language: the catalogue's text of its pattern with the
    same values (a finding's outcome by its name), or the reason as it is."""
    return reasons.translated(reason, gettext, PATTERNS, PARTS)
