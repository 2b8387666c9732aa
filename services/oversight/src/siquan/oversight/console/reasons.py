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


RULE_NAMES = {
    "paid_without_certification": _("Paid without a certification"),
    "paid_before_certification": _("Paid before the certification took effect"),
    "paid_after_death": _("Paid after death"),
    "paid_after_revocation": _("Paid after revocation"),
    "paid_while_lapsed": _("Paid while the certification had lapsed"),
    "paid_while_suspended": _("Paid while the certification was suspended"),
    "amount_differs_from_policy": _("Amount differs from the policy"),
    "no_policy_amount": _("No amount in the policy"),
    "paid_twice": _("Paid twice"),
    "certified_not_paid": _("Certified but not paid"),
    "settlement_unbalanced": _("Settlement does not balance"),
    "settlement_differs_from_allocation": _("Settlement differs from the allocation"),
    "money_moved_without_run": _("Money moved without a payment run"),
    "year_end_statement_unbalanced": _("Year-end statement does not add up"),
    "reviewer_approved_own_review": _("Reviewer approved their own review"),
    "officer_in_two_powers": _("One officer in two separated duties"),
    "certification_timeliness_below_target": _("Certification timeliness below target"),
    "unusual_personal_data_reads": _("Unusual reading of personal data"),
    "bank_statement_differs": _("Bank statement differs"),
    "bank_result_differs": _("Bank result differs"),
    "certified_in_exclusive_programs": _("Certified in mutually exclusive programs"),
    "household_certified_twice": _("Household certified twice"),
    "account_shared_outside_household": _("Account shared outside the household"),
}
"""The reconciliation's rules by their names on the pages (the code stays in the data)."""

_NOT_OWED = {
    "before its certification took effect": _("before its certification took effect"),
    "after its certification was revoked": _("after its certification was revoked"),
    "while its certification had lapsed": _("while its certification had lapsed"),
    "while its certification was suspended": _("while its certification was suspended"),
}

FINDINGS = reasons.patterns(
    (r"^finding (?P<finding>\S+): (?P<rule>[a-z_]+)$",
     _("Finding %(finding)s: %(rule)s")),
    (r"^payment (?P<payment>\S+) for (?P<period>\S+) was made after the payee's death on "
     r"(?P<day>[\d-]+)$",
     _("Payment %(payment)s for %(period)s was made after the payee's death on "
       "%(day)s.")),
    (r"^payment (?P<payment>\S+) for (?P<period>\S+) was made (?P<why>.+)$",
     _("Payment %(payment)s for %(period)s was made %(why)s.")),
    (r"^payment (?P<payment>\S+) rests on certification (?P<certification>\S+), which "
     r"eligibility never announced$",
     _("Payment %(payment)s rests on certification %(certification)s, which eligibility "
       "never announced.")),
    (r"^payment (?P<payment>\S+) rests on certification (?P<certification>\S+), which is "
     r"not this payee's for (?P<program>\S+)$",
     _("Payment %(payment)s rests on certification %(certification)s, which is not this "
       "payee's for %(program)s.")),
    (r"^the policy sets no amount for (?P<program>\S+) category (?P<category>\S+) in "
     r"(?P<period>\S+), yet (?P<paid>-?\d+) fen was paid$",
     _("The policy sets no amount for %(program)s category %(category)s in %(period)s, "
       "yet %(paid)s fen was paid.")),
    (r"^paid (?P<paid>-?\d+) fen for (?P<period>\S+); the policy owes (?P<owed>-?\d+) fen "
     r"for category (?P<category>\S+)$",
     _("%(paid)s fen was paid for %(period)s; the policy owes %(owed)s fen for category "
       "%(category)s.")),
    (r"^payment (?P<payment>\S+) pays (?P<program>\S+) (?P<period>\S+) \((?P<item>[^)]*)\) "
     r"again: payment (?P<earlier>\S+) already did$",
     _("Payment %(payment)s pays %(program)s %(period)s (%(item)s) again: payment "
       "%(earlier)s already did.")),
    (r"^the death of (?P<day>[\d-]+) was recorded in error and corrected by "
     r"(?P<officer>\S+)$",
     _("The death of %(day)s was recorded in error and corrected by %(officer)s.")),
    (r"^payment (?P<returned>\S+) was returned by the bank, as disbursement told in message "
     r"(?P<message>\S+) before it made payment (?P<retry>\S+): a retry, paid once$",
     _("Payment %(returned)s was returned by the bank, as disbursement told in message "
       "%(message)s before it made payment %(retry)s: a retry, paid once.")),
    (r"^officer (?P<officer>\S+) decided the certification (?P<certification>\S+) and "
     r"started the run (?P<run>\S+) that paid it$",
     _("Officer %(officer)s decided the certification %(certification)s and started the "
       "run %(run)s that paid it.")),
    (r"^certified for (?P<program>\S+) in (?P<period>\S+) and a run was made, but nothing "
     r"was paid by (?P<day>\S+)$",
     _("Certified for %(program)s in %(period)s and a run was made, but nothing was paid "
       "by %(day)s.")),
    (r"^officer (?P<officer>\S+) both reviewed and approved application "
     r"(?P<application>\S+) \(certification (?P<certification>\S+)\)$",
     _("Officer %(officer)s both reviewed and approved application %(application)s "
       "(certification %(certification)s).")),
    (r"^officer (?P<officer>\S+) decided certification (?P<certification>\S+) and "
     r"registered the same person's payee account$",
     _("Officer %(officer)s decided certification %(certification)s and registered the "
       "same person's payee account.")),
    (r"^officer (?P<officer>\S+) decided certification (?P<certification>\S+) and "
     r"confirmed a change of the same person's payee account$",
     _("Officer %(officer)s decided certification %(certification)s and confirmed a "
       "change of the same person's payee account.")),
    (r"^run (?P<run>\S+) settled (?P<reserved>-?\d+) fen reserved as (?P<paid>-?\d+) paid "
     r"\(of which (?P<returned>-?\d+) returned\) \+ (?P<released>-?\d+) released$",
     _("Run %(run)s settled %(reserved)s fen reserved as %(paid)s paid (of which "
       "%(returned)s returned) + %(released)s released.")),
    (r"^run (?P<run>\S+) settled a reservation of (?P<reserved>-?\d+) fen; the allocation "
     r"approved (?P<allocated>-?\d+) fen$",
     _("Run %(run)s settled a reservation of %(reserved)s fen; the allocation approved "
       "%(allocated)s fen.")),
    (r"^fund custody recorded a (?P<kind>\S+) of (?P<amount>-?\d+) fen for run (?P<run>\S+), "
     r"which disbursement never started nor asked funds for$",
     _("Fund custody recorded a %(kind)s of %(amount)s fen for run %(run)s, which "
       "disbursement never started nor asked funds for.")),
    (r"^the (?P<year>\d+) statement of (?P<program>\S+) does not add up: (?P<detail>.+)$",
     _("The %(year)s statement of %(program)s does not add up: %(detail)s")),
    (r"^the person is certified in (?P<program>\S+) and in (?P<other>\S+), which the policy "
     r"declares exclusive$",
     _("The person is certified in %(program)s and in %(other)s, which the policy "
       "declares exclusive.")),
    (r"^(?P<program>\S+) is paid once per household and another member of the household "
     r"is certified for it$",
     _("%(program)s is paid once per household and another member of the household is "
       "certified for it.")),
    (r"^one account \((?P<account>[^)]*)\) receives for (?P<count>\d+) payees no household "
     r"and no recorded agency links$",
     _("One account (%(account)s) receives for %(count)s payees no household and no "
       "recorded agency links.")),
    (r"^division (?P<division>\d+) certified (?P<on_time>\d+) of (?P<counted>\d+) "
     r"applications of (?P<year>\d+) within (?P<days>\d+) days \((?P<rate>[\d.]+%)\); the "
     r"target is (?P<target>[\d.]+%)$",
     _("Division %(division)s certified %(on_time)s of %(counted)s applications of "
       "%(year)s within %(days)s days (%(rate)s); the target is %(target)s.")),
)
"""The reasons the reconciliation writes into its findings and holds (worded in English
for the records and the JSON API), by their patterns."""

_DESCRIBED = {
    "with another amount than the payment's": _("with another amount than the payment's"),
    "to another account than the payment's": _("to another account than the payment's"),
    "with another amount and to another account":
        _("with another amount and to another account"),
    "as paid while it is held as not settled": _("as paid while it is held as not settled"),
    "though it is no payment of the run": _("though it is no payment of the run"),
    "a second time": _("a second time"),
    "nowhere, though the bank settled it": _("nowhere, though the bank settled it"),
    "though the batch did not instruct it": _("though the batch did not instruct it"),
}
"""How a bank's line differs from the payment, as `bank.bank_difference_finding` says."""
_BANK_WHERE = reasons.patterns(
    (r"^the bank's statement (?P<document>\S+), line (?P<line>\d+),$",
     _("the bank's statement %(document)s, line %(line)s,")),
    (r"^the bank's statement (?P<document>\S+)$", _("the bank's statement %(document)s")),
    (r"^the bank's results for batch (?P<document>\S+)$",
     _("the bank's results for batch %(document)s")),
)
_BANK_MONEY = reasons.patterns(
    (r"^(?P<amount>\d+) fen to no account(?: \((?P<status>[a-z_]+)\))?$",
     _("%(amount)s fen to no account")),
    (r"^no amount to no account(?: \((?P<status>[a-z_]+)\))?$",
     _("no amount to no account")),
    (r"^no amount to (?P<account>\S+)(?: \((?P<status>[a-z_]+)\))?$",
     _("no amount to %(account)s")),
    (r"^(?P<amount>\d+) fen to (?P<account>\S+)(?: \((?P<status>[a-z_]+)\))?$",
     _("%(amount)s fen to %(account)s")),
)


def _bank_where(value: str, gettext: reasons.Gettext) -> str:
    return reasons.translated(value, gettext, _BANK_WHERE)


PAYMENT_STATES = {"pending": _("not yet paid"), "settled": _("paid"),
                  "failed": _("failed"), "cancelled": _("cancelled"),
                  "returned": _("returned by the bank")}
"""A payment's state in disbursement, as a bank difference's finding names it."""
_PAYMENT_STATE = reasons.named(PAYMENT_STATES)


def _bank_money(value: str, gettext: reasons.Gettext) -> str:
    shown = reasons.translated(value, gettext, _BANK_MONEY)
    status = value.rsplit(" (", 1)[1].rstrip(")") if value.endswith(")") else ""
    if not status or shown == value:
        return shown
    return f"{shown} ({_PAYMENT_STATE(status, gettext)})"


FINDINGS += reasons.patterns(
    (r"^(?P<where>the bank's .+?) states payment (?P<payment>\S+) (?P<described>.+) "
     r"\((?P<kind>[a-z_]+)\); held: (?P<held>.+); stated: (?P<stated>.+)$",
     _("%(where)s states payment %(payment)s %(described)s (%(kind)s); held: %(held)s; "
       "stated: %(stated)s.")),
    (r"^officer (?P<officer>\S+) read (?P<count>\d+) persons' records on (?P<day>[\d-]+), "
     r"more than the (?P<limit>\d+) a day expected$",
     _("Officer %(officer)s read %(count)s persons' records on %(day)s, more than the "
       "%(limit)s a day expected.")),
)

FINDING_PARTS = {"rule": reasons.named(RULE_NAMES), "why": reasons.named(_NOT_OWED),
                 "described": reasons.named(_DESCRIBED), "where": _bank_where,
                 "held": _bank_money, "stated": _bank_money}


def finding_reason(reason: str, gettext: reasons.Gettext) -> str:
    """A finding's or a hold's reason in the page's language: the reconciliation's by its
    pattern, an auditor's own words as written."""
    return reasons.translated(reason, gettext, FINDINGS, FINDING_PARTS)
