"""The eligibility application layer's refusals as the console shows them: the patterns
of the reasons its pages can show, with their catalogue texts, so a zh-CN page reads
Chinese (`siquan.shared.console.reasons` matches them). A reason no pattern knows is shown
as it is."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from siquan.shared.console import reasons


def _(message: str) -> str:
    """Marks text for the catalogue; the page translates it."""
    return message


PATTERNS = reasons.patterns(
    (r"^officer (?P<officer>\S+) acts for (?P<division>\d+), not for division "
     r"(?P<scope>\d+)$",
     _("Officer %(officer)s acts for %(division)s, not for division %(scope)s.")),
    (r"^officer (?P<officer>\S+) acts for (?P<division>\d+), not for (?P<scope>\d+)$",
     _("Officer %(officer)s acts for %(division)s, not for division %(scope)s.")),
    (r"^officer (?P<officer>\S+) reviewed this application and cannot also approve it$",
     _("Officer %(officer)s reviewed this application and cannot also approve it "
       "(separation of duties).")),
    (r"^officer (?P<officer>\S+) entered this application and cannot approve it$",
     _("Officer %(officer)s entered this application and cannot approve it "
       "(separation of duties).")),
    (r"^officer (?P<officer>\S+) entered this application and cannot review it$",
     _("Officer %(officer)s entered this application and cannot review it "
       "(separation of duties).")),
    (r"^officer (?P<officer>\S+) recorded this application's community review and "
     r"cannot approve it$",
     _("Officer %(officer)s recorded this application's community review and cannot "
       "approve it (separation of duties).")),
    (r"^application (?P<id>\S+) is still on public notice; it can be approved only "
     r"after the notice closes$",
     _("The application is still on public notice; it can be approved only after the "
       "notice closes.")),
    (r"^application (?P<id>\S+) has an open objection; approval waits until oversight "
     r"resolves it$",
     _("The application has an open objection; approval waits until oversight "
       "resolves it.")),
    (r"^this person already has a live application or certification for "
     r"(?P<program>\S+)$",
     _("This person already has a live application or certification for "
       "%(program)s.")),
    (r"^this person is recorded dead \(died on (?P<day>[\d-]+)\)$",
     _("This person is recorded dead (died on %(day)s).")),
    (r"^the same person and program appear already in row (?P<row>\d+)$",
     _("The same person and program appear already in row %(row)s.")),
    (r"^Value error, resident ID check digit does not match \(GB 11643\)$",
     _("The resident ID number's check digit does not match (GB 11643).")),
    (r"^Value error, resident ID must be 17 digits followed by a digit or X$",
     _("A resident ID number is 17 digits followed by a digit or X.")),
    (r"^Field required$", _("Required.")),
    (r"^String should have at least 1 character$", _("Required.")),
    (r"^Input should be a valid date", _("Not a date (YYYY-MM-DD).")),
    (r"^the survey lacks the columns (?P<columns>[a-z_, ]+)$",
     _("The survey lacks the columns %(columns)s.")),
    (r"^the survey file is empty$", _("The survey file is empty.")),
    (r"^the survey workbook's first sheet is empty$",
     _("The survey workbook's first sheet is empty.")),
    (r"^the survey file is neither UTF-8 nor GB18030 text$",
     _("The survey file is neither UTF-8 nor GB18030 text.")),
    (r"^the survey file is not a readable XLSX workbook",
     _("The survey file is not a readable XLSX workbook.")),
    (r"^a survey import takes at most (?P<limit>\d+) rows$",
     _("A survey import takes at most %(limit)s rows.")),
    (r"^period must be YYYY-MM$", _("The month is written like 2026-11.")),
    (r"^certification (?P<id>\S+) is (?P<status>[a-z]+) and cannot be renewed$",
     _("The certification is %(status)s and cannot be re-confirmed.")),
    (r"^certification (?P<id>\S+) is already valid until (?P<day>[\d-]+)$",
     _("The certification is already valid until %(day)s.")),
    (r"^renewal for (?P<year>\d+) is open from (?P<opens>[\d-]+) to "
     r"(?P<deadline>[\d-]+), not on (?P<today>[\d-]+)$",
     _("Re-confirmation for %(year)s is open from %(opens)s to %(deadline)s, not on "
       "%(today)s.")),
    (r"^a (?P<what>rejection|revocation) needs a reason$", _("State the reason.")),
    (r"^no (?P<kind>application|certification|notice|evidence|household|transfer) "
     r"(?P<id>\S+)$",
     _("Not found.")),
    # the application's steps: a form that is out of date, a batch, a notice
    (r"^application (?P<id>\S+) is (?P<app_status>[a-z_]+); (?P<step>.+) needs it "
     r"(?P<needed>[a-z_]+)$",
     _("The application is %(app_status)s; %(step)s needs it %(needed)s. Someone may "
       "have acted on it since the page was shown: reload it.")),
    (r"^application (?P<id>\S+): a failed community review needs a reason$",
     _("A failed community review needs a reason (application %(id)s).")),
    (r"^application (?P<id>\S+): a rejection needs a reason$",
     _("A rejection needs a reason (application %(id)s).")),
    (r"^application (?P<id>\S+) is for (?P<program>\S+), not (?P<other>\S+)$",
     _("Application %(id)s is for %(program)s, not %(other)s.")),
    (r"^application (?P<id>\S+) belongs to (?P<division>\d+), not to (?P<scope>\d+) where "
     r"the meeting was held$",
     _("Application %(id)s belongs to %(division)s, not to %(scope)s where the meeting "
       "was held.")),
    (r"^application (?P<id>\S+) belongs to (?P<division>\d+), not to (?P<scope>\d+)$",
     _("Application %(id)s belongs to %(division)s, not to %(scope)s.")),
    (r"^application (?P<id>\S+) is (?P<app_status>[a-z_]+); evidence is added while it "
     r"is under review$",
     _("The application is %(app_status)s; evidence is added while it is under "
       "review.")),
    (r"^application (?P<id>\S+) is not an entry of notice (?P<notice>\S+) awaiting "
     r"approval$",
     _("Application %(id)s is not an entry of this notice awaiting approval.")),
    (r"^the application is incomplete: (?P<program>\S+) needs (?P<fields>.+)$",
     _("The application is incomplete: %(program)s needs %(fields)s.")),
    (r"^this person is certified in (?P<programs>.+), which the policy declares "
     r"exclusive with (?P<program>\S+)$",
     _("This person is certified in %(programs)s, which the policy declares exclusive "
       "with %(program)s.")),
    (r"^(?P<program>\S+): this benefit is paid once per household \(户\) and another "
     r"member of the household already holds it$",
     _("%(program)s: this benefit is paid once per household (户) and another member of "
       "the household already holds it.")),
    (r"^the application states household facts that differ from the household register "
     r"\((?P<fields>[^)]*)\): the register is the household's single source; correct "
     r"the register, or leave the household facts out$",
     _("The application states household facts that differ from the household register "
       "(%(fields)s): the register is the household's single source; correct the "
       "register, or leave the household facts out.")),
    (r"^(?P<program>\S+): this benefit is paid once per household \(户\) and the "
     r"applicant is not a member of a household in the register; register the household "
     r"first$",
     _("%(program)s: this benefit is paid once per household (户) and the applicant is "
       "not a member of a household in the register; register the household first.")),
    (r"^the household register's facts do not fit this member: (?P<detail>.+)$",
     _("The household register's facts do not fit this member: %(detail)s")),
    (r"^evidence files are at most (?P<limit>\d+) bytes$",
     _("An evidence file is at most %(limit)s bytes.")),
    (r"^the evidence file is empty$", _("The evidence file is empty.")),
    (r"^the evidence archive's manifest names no documents$",
     _("The evidence archive's manifest names no documents.")),
    (r"^(?P<count>\d+) of the archive's entries are refused; nothing was filed$",
     _("%(count)s of the archive's entries are refused; nothing was filed.")),
    (r"^required evidence is not on file: (?P<lacking>.+)$",
     _("Required evidence is not on file: %(lacking)s.")),
    (r"^name either a notice or the applications to approve$",
     _("Name either a notice or the applications to approve.")),
    (r"^name at least one application$", _("Select at least one application.")),
    (r"^a (?:batch|notice) takes at most (?P<limit>\d+) applications$",
     _("At most %(limit)s applications at once.")),
    (r"^an application appears twice in the batch$",
     _("An application appears twice in the batch.")),
    (r"^nothing to approve on notice (?P<notice>\S+): (?P<count>\d+) entries are "
     r"blocked \(an open objection, missing required evidence, or a certification in "
     r"an exclusive program\)$",
     _("Nothing to approve on this notice: %(count)s entries are blocked (an open "
       "objection, missing required evidence, or a certification in an exclusive "
       "program).")),
    (r"^notice (?P<id>\S+) is posted until (?P<day>[\d-]+); its entries can be approved "
     r"only after it closes$",
     _("The notice is posted until %(day)s; its entries can be approved only after it "
       "closes.")),
    (r"^notice (?P<id>\S+) is posted until (?P<day>[\d-]+)$",
     _("The notice is posted until %(day)s.")),
    (r"^notice (?P<id>\S+) is already closed$", _("The notice is already closed.")),
    (r"^no township-reviewed application of (?P<program>\S+) in (?P<division>\d+) is "
     r"waiting for a notice$",
     _("No township-reviewed application of %(program)s in %(division)s is waiting for "
       "a notice.")),
    (r"^a community review held on (?P<day>[\d-]+) cannot be recorded before it$",
     _("A community review held on %(day)s cannot be recorded before that day.")),
    (r"^no version of (?P<program>\S+) is in force on (?P<day>[\d-]+)$",
     _("No version of %(program)s is in force on %(day)s.")),
    (r"^no policy version of (?P<program>\S+) covers the notice$",
     _("No policy version of %(program)s covers the notice.")),
    (r"^period (?P<period>\S+): (?P<detail>.+)$",
     _("No amount for the period %(period)s: %(detail)s")),
    # certifications
    (r"^a reason is required$", _("State the reason.")),
    (r"^certification (?P<id>\S+) is valid until (?P<day>[\d-]+); it can be renewed only "
     r"for (?P<year>\d+)$",
     _("The certification is valid until %(day)s; it can be re-confirmed only for "
       "%(year)s.")),
    (r"^certification (?P<id>\S+) is (?P<status>[a-z]+); only an active one can be "
     r"suspended$",
     _("The certification is %(status)s; only an active one can be suspended.")),
    (r"^certification (?P<id>\S+) is (?P<status>[a-z]+); only a suspended one can be "
     r"reinstated$",
     _("The certification is %(status)s; only a suspended one can be reinstated.")),
    (r"^certification (?P<id>\S+) is already (?P<status>[a-z]+)$",
     _("The certification is already %(status)s.")),
    (r"^name 1 to (?P<limit>\d+) certifications$",
     _("Select 1 to %(limit)s certifications.")),
    (r"^a certification appears twice in the batch$",
     _("A certification appears twice in the batch.")),
    (r"^the method is one of (?P<methods>.+)$",
     _("The method is one of %(methods)s.")),
    (r"^an evidence reference has 1 to 200 characters$",
     _("An evidence reference has 1 to 200 characters.")),
    # the household register
    (r"^this household register number is registered already as household (?P<id>\S+), "
     r"with other members or facts$",
     _("This household register number is registered already, with other members or "
       "facts.")),
    (r"^a household has exactly one head \(户主\)$",
     _("A household has exactly one head (户主).")),
    (r"^a person is named twice among the members$",
     _("A person is named twice among the members.")),
    (r"^this person is a member of the household already, with another relationship to "
     r"the head$",
     _("This person is a member of the household already, with another relationship to "
       "the head.")),
    (r"^this person is a member of another household; remove them from it first$",
     _("This person is a member of another household; remove them from it first.")),
    (r"^the household has a head already$", _("The household has a head already.")),
    (r"^the person is not a member of household (?P<id>\S+)$",
     _("The person is not a member of this household.")),
    (r"^the head \(户主\) leaves the household last; register the remaining members "
     r"under their own head first$",
     _("The head (户主) leaves the household last; register the remaining members under "
       "their own head first.")),
    (r"^household facts: (?P<detail>.+)$",
     _("The household facts are not valid: %(detail)s")),
    # transfers and changes of category
    (r"^the receiving county's approver decides a transfer, never the officer who "
     r"initiated it$",
     _("The receiving county's approver decides a transfer, never the officer who "
       "initiated it (separation of duties).")),
    (r"^transfer (?P<id>\S+) is already (?P<status>[a-z]+)$",
     _("The transfer is already %(status)s.")),
    (r"^the certification already belongs to that county$",
     _("The certification already belongs to that county.")),
    (r"^a transfer cannot take effect in a month already past$",
     _("A transfer cannot take effect in a month already past.")),
    (r"^a case change takes effect on the first day of a month$",
     _("A transfer or change of category takes effect on the first day of a month.")),
    (r"^a transfer goes to a county \(6 digits\)$",
     _("A transfer goes to a county (6 digits).")),
    (r"^the receiving township is not in the receiving county$",
     _("The receiving township is not in the receiving county.")),
    (r"^certification (?P<id>\S+) is (?P<status>[a-z]+) and cannot be transferred$",
     _("The certification is %(status)s and cannot be transferred.")),
    (r"^certification (?P<id>\S+) is (?P<status>[a-z]+); the transfer can only be "
     r"refused$",
     _("The certification is %(status)s; the transfer can only be refused.")),
    (r"^certification (?P<id>\S+) changed from (?P<day>[\d-]+), after the transfer's "
     r"month; the transfer can only be refused$",
     _("The certification changed from %(day)s, after the transfer's month; the transfer "
       "can only be refused.")),
    (r"^certification (?P<id>\S+) starts on (?P<day>[\d-]+); a change cannot take "
     r"effect before$",
     _("The certification starts on %(day)s; a change cannot take effect before.")),
    (r"^certification (?P<id>\S+) already changed from (?P<day>[\d-]+); a later change "
     r"cannot take effect before it$",
     _("The certification already changed from %(day)s; a later change cannot take "
       "effect before it.")),
    (r"^certification (?P<id>\S+) is (?P<status>[a-z]+); its category cannot change$",
     _("The certification is %(status)s; its category cannot change.")),
    (r"^certification (?P<id>\S+) is already in that category$",
     _("The certification is already in that category.")),
    (r"^the program (?P<program>\S+) has no category '(?P<category>[a-z_]+)' in force "
     r"on (?P<day>[\d-]+)$",
     _("The program %(program)s has no category %(category)s in force on %(day)s.")),
    (r"^a (?P<what>transfer|refusal|change of category) needs a reason$",
     _("State the reason.")),
    (r"^the change to (?P<category>[a-z_]+) needs evidence that is not on file for the "
     r"certification: (?P<kinds>.+)$",
     _("The change to %(category)s needs evidence that is not on file for the "
       "certification: %(kinds)s. File it on the certification's page first.")),
    (r"^the change is incomplete: (?P<category>[a-z_]+) needs (?P<facts>.+)$",
     _("The change is incomplete: %(category)s needs %(facts)s.")),
    (r"^the household facts do not qualify for (?P<category>[a-z_]+): (?P<detail>.+)$",
     _("The household facts do not qualify for %(category)s: %(detail)s")),
    (r"^the household facts after the change are not valid: (?P<detail>.+)$",
     _("The household facts after the change are not valid: %(detail)s")),
    (r"^the applicant's birth date and sex are the resident ID's; a change of category "
     r"does not restate them$",
     _("The applicant's birth date and sex are the resident ID's; a change of category "
       "does not restate them.")),
    (r"^certification (?P<id>\S+) is (?P<status>[a-z]+); evidence is filed for a live "
     r"certification$",
     _("The certification is %(status)s; evidence is filed for a live certification.")),
    (r"^(?P<program>\S+) does not ask for this kind of document$",
     _("%(program)s does not ask for this kind of document.")),
    # the policy's criteria and the household facts' own rules (a form's facts that do
    # not qualify, named by their field)
    (r"^residence must be (?P<residence>[a-z]+)$",
     _("The household registration must be %(residence)s.")),
    (r"^family type (?P<family_type>[a-z_]+) does not qualify$",
     _("The family type (%(family_type)s) does not qualify.")),
    (r"^the applicant must be a parent$", _("The applicant must be a parent.")),
    (r"^the applicant must be a child$",
     _("The applicant must be a child of the household.")),
    (r"^the applicant must be female$", _("The applicant must be a woman.")),
    (r"^the applicant must be male$", _("The applicant must be a man.")),
    (r"^no (?P<method>[a-z_]+) contraceptive method in place$",
     _("The contraceptive method the policy requires (%(method)s) is not in place.")),
    (r"^needs the one-child parents' certificate \(光荣证\)$",
     _("The one-child parents' certificate is required.")),
    (r"^has not given up a permitted second birth$",
     _("A permitted second birth was not given up.")),
    (r"^no certified complication$",
     _("No complication of a family-planning operation is certified.")),
    (r"^not enrolled at school$", _("Not enrolled at school.")),
    (r"^not certified for good conduct and grades$",
     _("Not certified for good conduct and grades.")),
    (r"^household not in hardship$", _("The household is not in hardship.")),
    (r"^not enrolled in the rural pension scheme$",
     _("Not enrolled in the rural pension scheme.")),
    (r"^not on the minimum living allowance$",
     _("Not on the minimum living allowance.")),
    (r"^the applicant has died$", _("The applicant has died.")),
    (r"^the facts fit no category of (?P<program>[^/\s]+)/(?P<version>\S+)$",
     _("The facts fit no category of %(program)s (%(version)s).")),
    (r"^the facts fit category (?P<category>\S+), not (?P<claimed>\S+)$",
     _("The facts fit the category %(category)s, not %(claimed)s.")),
    (r"^the benefit ends \((?P<end>[\d-]+)\) before it would start \((?P<start>[\d-]+)\)$",
     _("The benefit ends (%(end)s) before it would start (%(start)s).")),
    (r"^owed from (?P<day>[\d-]+)$", _("Owed only from %(day)s.")),
    (r"^no longer owed from (?P<day>[\d-]+)$", _("No longer owed from %(day)s.")),
    (r"^(?:Value error, )?a disability grade is given exactly when the child is disabled$",
     _("A disability grade is given for a disabled child, and only for one.")),
    (r"^(?:Value error, )?died_on is given exactly when the child's status is died$",
     _("A date of death is given for a child who died, and only for one.")),
    (r"^(?:Value error, )?contraception_method and contraception_since go together$",
     _("The contraceptive method and the day it was put in place go together.")),
    (r"^(?:Value error, )?a child applicant must be one of the household's children$",
     _("A child applicant must be one of the household's children.")),
    (r"^(?:Value error, )?a (?P<family_type>[a-z_]+) household has exactly one child, whose "
     r"status is (?P<child_status>[a-z]+)$",
     _("A household of this family type (%(family_type)s) has exactly one child, "
       "%(child_status)s.")),
    (r"^(?:Value error, )?a two_daughters household has exactly two children, both "
     r"daughters$",
     _("A household of two daughters has exactly two children, both daughters.")),
    # deaths
    (r"^the date of death is in the future$", _("The date of death is in the future.")),
    (r"^a death with another date is already on record for this person; the records "
     r"must be reconciled before another one is entered$",
     _("A death with another date is already on record for this person; the records "
       "must be reconciled before another one is entered.")),
    (r"^the evidence needs its document number$",
     _("The evidence needs its document number.")),
    (r"^a correction needs its reason$", _("State the reason.")),
    (r"^this death was corrected already: the person is not recorded dead$",
     _("This death was corrected already: the person is not recorded dead.")),
    (r"^another death with another date is on record for this person; the records must "
     r"be reconciled before this one is corrected$",
     _("Another death with another date is on record for this person; the records must "
       "be reconciled before this one is corrected.")),
    (r"^died_from is after died_until$",
     _("The first day of death is after the last.")),
    (r"^a death file is UTF-8 text$", _("A death file is UTF-8 text.")),
    (r"^a death file is CSV \(RFC 4180\)$", _("A death file is CSV (RFC 4180).")),
    (r"^a death file starts with the header (?P<header>\S+)$",
     _("A death file starts with the header %(header)s.")),
    (r"^a death file holds at most (?P<limit>\d+) lines$",
     _("A death file holds at most %(limit)s lines.")),
    (r"^a file id is 1 to 64 letters, digits, '\.', '_' or '-'$",
     _("A file id is 1 to 64 letters, digits, '.', '_' or '-'.")),
    (r"^file (?P<id>\S+) was already received with other content$",
     _("This file was already received with other content.")),
)


STATUSES = {
    "submitted": _("Submitted"), "community_reviewed": _("Community reviewed"),
    "township_reviewed": _("Township reviewed"), "on_notice": _("On public notice"),
    "notice_closed": _("Notice closed"), "certified": _("Certified"),
    "rejected": _("Rejected"),
}
"""An application's states, as the reasons name them."""
STEPS = {
    "a community review": _("A community review"),
    "the township review": _("The township review"),
    "a public notice": _("A public notice"), "closing the notice": _("Closing the notice"),
    "approval": _("Approval"), "the county re-check": _("The county re-check"),
}
"""The application's steps, as the stale-form reason names them."""
LACKING = reasons.patterns(
    (r"^application (?P<id>\S+) lacks (?P<kinds>.+)$",
     _("application %(id)s lacks %(kinds)s")),
)


def _lacking(value: str, gettext: reasons.Gettext) -> str:
    return reasons.translated(value, gettext, LACKING, {"kinds": PARTS["kinds"]})


def _fields(value: str, gettext: reasons.Gettext) -> str:
    """A validation's problem (`children.0.birth_date: Field required`) named by its
    field's label."""
    found = re.match(r"^(?P<location>[a-z_][a-z_0-9.]*): (?P<problem>.+)$", value, re.S)
    if found is None:
        return translated(value, gettext)
    return field_problem(found["location"].split("."), found["problem"], gettext)


def _fact(value: str, gettext: reasons.Gettext) -> str:
    """A missing fact (`household.family_type`; `household` alone: the household's
    registration) named by its field's label."""
    name = value.removeprefix("household.")
    if value == "household":
        return gettext(_("a registered household"))
    return gettext(FIELDS[name]) if name in FIELDS else value


EVIDENCE_NAMES = {
    "household_register": _("household register"),
    "one_child_certificate": _("one-child parents' certificate of honour"),
    "child_death_certificate": _("child's death certificate"),
    "child_disability_card": _("child's disability card"),
    "second_child_waiver": _("waiver of a second child"),
    "complication_certificate": _("certificate of a contraceptive surgery complication"),
    "contraception_certificate": _("certificate of contraception"),
    "enrolment_certificate": _("certificate of enrolment"),
    "school_report": _("school report"),
    "hardship_certificate": _("certificate of hardship"),
    "rural_pension_record": _("rural pension insurance record"),
    "evidence": _("other document"),
}
"""The readable name of each kind of document the policies require (the codes the forms
post and the JSON API takes, `PolicyVersion.required_evidence`), and of the kind an
officer files without naming one; a kind not named here is shown as its code."""


RESIDENCES = {"rural": _("rural"), "urban": _("urban")}
FAMILY_TYPES = {"one_child": _("one child"), "two_daughters": _("two daughters"),
                "only_child_died": _("the only child died"),
                "only_child_disabled": _("the only child is disabled"), "other": _("other")}
CHILD_STATUSES = {"died": _("who died"), "disabled": _("who is disabled")}
"""The household facts' words, as the forms and the reasons name them."""


PARTS: dict[str, reasons.Part] = {
    "app_status": reasons.named(STATUSES), "needed": reasons.named(STATUSES),
    "step": reasons.named(STEPS), "lacking": reasons.each("; ", _lacking),
    "detail": reasons.each("; ", _fields), "facts": reasons.each(", ", _fact),
    "kinds": reasons.each(", ", reasons.named(EVIDENCE_NAMES)),
    "residence": reasons.named(RESIDENCES), "family_type": reasons.named(FAMILY_TYPES),
    "child_status": reasons.named(CHILD_STATUSES),
}

HISTORY = reasons.patterns(
    (r"^granted$", _("Certified at the county's approval")),
    (r"^transferred from (?P<origin>\d+) to (?P<to>\d+): (?P<reason>.*)$",
     _("Transferred from %(origin)s to %(to)s: %(reason)s")),
    (r"^category changed from (?P<origin>[a-z_]+) to (?P<to>[a-z_]+): (?P<reason>.*)$",
     _("Category changed from %(origin)s to %(to)s: %(reason)s")),
    (r"^re-confirmed for (?P<year>\d+) \((?P<method>[a-z_]+)\)$",
     _("Re-confirmed for %(year)s (%(method)s)")),
    (r"^not re-confirmed by the deadline (?P<day>[\d-]+)$",
     _("Not re-confirmed by the deadline %(day)s")),
    (r"^death reported \(died (?P<day>[\d-]+)\)$", _("Death reported (died %(day)s)")),
    (r"^death of (?P<day>[\d-]+) recorded in error: (?P<reason>.*)$",
     _("Death of %(day)s recorded in error: %(reason)s")),
    (r"^the program (?P<program>\S+) ended on (?P<day>[\d-]+)$",
     _("The program %(program)s ended on %(day)s")),
    (r"^the beneficiary reached the age limit (?P<age>\d+) on (?P<day>[\d-]+) "
     r"\(end rule: (?P<rule>.+)\)$",
     _("The beneficiary reached the age limit %(age)s on %(day)s (end rule: %(rule)s)")),
    (r"^the only child reached (?P<age>\d+) on (?P<day>[\d-]+) \(end rule: (?P<rule>.+)\)$",
     _("The only child reached %(age)s on %(day)s (end rule: %(rule)s)")),
)
"""The reasons the application layer writes into a certification's history (the
officer's own words after the colon are kept as written)."""


def translated(reason: str, gettext: reasons.Gettext,
               categories: Mapping[str, str] | None = None) -> str:
    """The reason in the page's language: the catalogue's text of its pattern with the
    same values, or the reason as it is. `categories`: the program's categories by the
    names the page gives them (a category without one keeps its code)."""
    return reasons.translated(reason, gettext, PATTERNS, _with_categories(PARTS, categories))


def history(reason: str, gettext: reasons.Gettext,
            categories: Mapping[str, str] | None = None) -> str:
    """A certification history row's reason in the page's language: the composed ones by
    their pattern, an officer's own words as written; categories as in `translated`."""
    return reasons.translated(reason, gettext, HISTORY, _with_categories({}, categories))


_CATEGORY_GROUPS = ("category", "claimed", "origin", "to")
"""The groups of the patterns that hold a category's code (`origin` and `to` hold a
division's code in a transfer's reason: no category is named like one)."""


def _with_categories(parts: Mapping[str, reasons.Part],
                     categories: Mapping[str, str] | None) -> Mapping[str, reasons.Part]:
    # a policy's name is not in the catalogue: `named` shows it as the policy gives it
    if not categories:
        return parts
    return {**parts, **dict.fromkeys(_CATEGORY_GROUPS, reasons.named(categories))}


FIELDS = {
    "resident_id": _("Resident ID number"), "name": _("Name"),
    "program_code": _("Program and category"), "category": _("Program and category"),
    "division_code": _("Division (county or township code)"),
    "eligible_from": _("Eligible from"), "contact_phone": _("Mobile number (optional)"),
    "household_number": _("Household register number"),
    "relationship": _("Relationship to the head"), "residence": _("Household registration"),
    "family_type": _("Family type"), "children": _("Children"),
    "applicant_role": _("The applicant is"), "date_of_death": _("Date of death"),
    "evidence_kind": _("Evidence"), "document_number": _("Document number"),
    "to_division_code": _("Receiving county (6 digits)"),
    "to_township_code": _("Receiving township (optional, 9 digits)"),
    "effective_from": _("Effective from (first day of a month)"), "reason": _("Reason"),
    "to_category": _("New category"),
    "one_child_certificate": _("Holds the one-child parents' certificate"),
    "holds_one_child_certificate": _("Holds the one-child parents' certificate"),
}
"""The forms' fields by the label the page shows them with."""


def field_problem(location: Sequence[str | int], message: str,
                  gettext: reasons.Gettext) -> str:
    """A form's problem named by its field's label (never the field's name in the code),
    in the page's language."""
    label = next((FIELDS[str(part)] for part in reversed(location)
                  if str(part) in FIELDS), None)
    problem = translated(message, gettext)
    if label is None:
        return problem
    return gettext(_("%(field)s: %(problem)s")) % {"field": gettext(label),
                                                   "problem": problem}


def column(name: str, gettext: reasons.Gettext) -> str:
    """A survey file's column by the form's label, with the column's own name (the file's
    header) so that the clerk finds it in the file."""
    if name not in FIELDS:
        return name
    return gettext(_("%(label)s (%(column)s)")) % {"label": gettext(FIELDS[name]),
                                                   "column": name}
