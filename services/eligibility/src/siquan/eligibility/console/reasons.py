"""The eligibility application layer's refusals as the console shows them: the patterns
of the reasons its pages can show, with their catalogue texts, so a zh-CN page reads
Chinese (`siquan.shared.console.reasons` matches them). A reason no pattern knows is shown
as it is."""

from __future__ import annotations

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
    # deaths
    (r"^the date of death is in the future$", _("The date of death is in the future.")),
    (r"^a death with another date is already on record for this person; the records "
     r"must be reconciled before another one is entered$",
     _("A death with another date is already on record for this person; the records "
       "must be reconciled before another one is entered.")),
)


def translated(reason: str, gettext: reasons.Gettext) -> str:
    """The reason in the page's language: the catalogue's text of its pattern with the
    same values, or the reason as it is."""
    return reasons.translated(reason, gettext, PATTERNS)
