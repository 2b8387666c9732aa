"""The disbursement application layer's reasons as the console shows them: why a payee
is skipped or flagged in a run (constants of the domain, shown in the run's tables) and
why the payee-account, run and retry pages are refused (the use cases' refusals, with the
ids they concern) and why fund custody keeps a run waiting (its allocation's rejection),
each with its catalogue text, so a zh-CN page reads Chinese
(`siquan.shared.console.reasons` matches them). A reason no pattern knows is shown as it
is."""

from __future__ import annotations

import re

from siquan.disbursement.application import accounts
from siquan.disbursement.domain import payable, retry, roster
from siquan.shared.console import reasons


def _(message: str) -> str:
    """Marks text for the catalogue; the page translates it."""
    return message


REASONS = {
    accounts.NO_CERTIFICATION: _("No certification in force is held for this person."),
    accounts.OUT_OF_SCOPE: _("The person's certification lies outside your division."),
    accounts.NOTHING_TO_CONFIRM: _("No account change awaits confirmation for this person."),
    accounts.NOT_THE_CHANGE: _("The account you entered differs from the change awaiting "
                               "confirmation: check it against the request."),
    accounts.MAKER_IS_NOT_CHECKER: _("You registered this change: another disbursement "
                                     "officer must confirm it."),
    payable.ALREADY_PAID: _("Already paid for the period"),
    payable.NOT_ACTIVE: _("Certification not in force for the period"),
    payable.DIED: _("The payee died before the period"),
    payable.ON_HOLD: _("Payments to this person are on hold"),
    payable.SUSPENDED: _("Certification suspended: payments are on hold until reinstated"),
    payable.NO_ACCOUNT: _("No payee account"),
    payable.AWAITING_CONFIRMATION: _("Account change awaiting confirmation"),
    payable.NOT_ALLOCATED: _("The run has no approved allocation"),
    retry.ACCOUNT_NOT_FIXED: _("Account not changed since the bank refused or returned the "
                               "payment"),
    roster.ONE_OFF_PAID: _("A one-off benefit of this program was already paid"),
    roster.DUPLICATE: _("Another certification already pays this person for the period"),
    roster.HOUSEHOLD_PAID: _("A per-household benefit: another member of the household is "
                             "paid it for this period"),
    roster.EXCLUSIVE_PAID: _("A program the policy declares exclusive with this one pays "
                             "this person for the period"),
    roster.ACCOUNT_REFUSED: _("The bank refused or returned this account for the period; "
                              "register a corrected account"),
}
"""The reasons without ids: the account use cases' refusals, and why a run skips or flags
a payee (also shown in the run page's tables)."""

NOBODY_ACTIVE = "no certification is active for the period"
"""Why nobody is paid when no payee was even skipped (`runs.reasons`)."""

PATTERNS = (*reasons.exactly(REASONS), *reasons.patterns(
    (r"^officer (?P<officer>\S+) acts for (?P<division>\d+), not for division "
     r"(?P<scope>\d+)$",
     _("Officer %(officer)s acts for %(division)s, not for division %(scope)s.")),
    (r"^another run is already paying some of these persons for (?P<program>\S+) "
     r"(?P<period>\S+)$",
     _("Another run is already paying some of these persons for %(program)s "
       "%(period)s.")),
    (r"^nobody to pay for (?P<program>\S+) (?P<period>\S+) in (?P<division>\d+): "
     r"(?P<skipped>.+)$",
     _("Nobody to pay for %(program)s %(period)s in %(division)s: %(skipped)s.")),
    (r"^nothing of run (?P<run>\S+) can be retried: (?P<skipped>.+)$",
     _("Nothing of run %(run)s can be retried: %(skipped)s.")),
    (r"^run (?P<run>\S+) has no failed or returned payments$",
     _("Run %(run)s has no failed or returned payments.")),
    (r"^another run is already paying some of run (?P<run>\S+)'s payments$",
     _("Another run is already paying some of run %(run)s's payments.")),
    (r"^no payment run (?P<run>\S+)$", _("There is no payment run %(run)s.")),
    (r"^special account (?P<account>\S+) holds (?P<available>-?\d+) fen available, "
     r"(?P<shortfall>\d+) fen short of the run's (?P<total>\d+) fen; the run waits until "
     r"an appropriation covers it$",
     _("Special account %(account)s holds %(available)s fen available, %(shortfall)s fen "
       "short of the run's %(total)s fen; the run waits until an appropriation covers "
       "it.")),
    (r"^no version of (?P<program>\S+) is in force on (?P<day>[\d-]+)"
     r"(?: for (?P<division>\d+))?$",
     _("No version of %(program)s is in force on the period's first day "
       "(%(day)s).")),
    (r"^(?P<program>[^/\s]+)/(?P<version>\S+) is paid (?P<frequency>\S+), not for period "
     r"(?P<period>\S+)$",
     _("%(program)s (version %(version)s) is not paid for the period %(period)s: "
       "choose a period of its frequency.")),
    (r"^(?P<program>[^/\s]+)/(?P<version>\S+) pays no cash$",
     _("%(program)s (version %(version)s) pays no cash.")),
))
"""Every reason the disbursement pages can show, by its pattern."""


_CHANGED = re.compile("^" + re.escape(roster.ACCOUNT_CHANGED).replace(
    re.escape("{days}"), r"(\d+)") + "$")


def changed_days(reason: str) -> int | None:
    """The days before the run a flagged payee's account changed (`roster.ACCOUNT_CHANGED`,
    shown in the page's language with its plural), or None for another reason."""
    found = _CHANGED.match(reason)
    return int(found.group(1)) if found else None


def _skipped(item: str, gettext: reasons.Gettext) -> str:
    """One count of `runs.reasons` (`"2 × no payee account"`), or why nobody is active."""
    count, times, reason = item.partition(" × ")
    if not times:
        return gettext(_("No certification is active for the period")) \
            if item == NOBODY_ACTIVE else item
    return f"{count} × {gettext(REASONS[reason]) if reason in REASONS else reason}"


PARTS = {"skipped": reasons.each("; ", _skipped)}


def translated(reason: str, gettext: reasons.Gettext) -> str:
    """The reason in the page's language: the catalogue's text of its pattern with the
    same values (the skipped payees' reasons translated too), or the reason as it is."""
    return reasons.translated(reason, gettext, PATTERNS, PARTS)
