"""One county's cycle through the four powers, driven over the operator APIs:
applications → review → approval (certification) → appropriations by fiscal level →
payee accounts → payment runs → allocation → bank → settlement → audit.

The demo prints what it produces; the end-to-end tests assert on it. With a `progress`
the cycle reports each stage as it reaches it, with its counts (the demo prints them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from siquan.contracts.periods import period_start
from siquan.contracts.policy import load_catalogue
from siquan.shared.clock import Clock, FileClock, SystemClock
from siquan.shared.operator.client import Officers, RefusedByService, ServiceClient
from siquan.shared.testing.cluster import Cluster
from siquan.shared.testing.facts import (
    evidence_file,
    household_registration,
    qualifying_household,
    required_evidence,
)
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually

DIVISION = "420117"

Progress = Callable[[str], None]
"""Takes a line per stage the cycle reaches: `stage: what it counts`."""


def yuan(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d}"


@dataclass(frozen=True)
class Beneficiary:
    resident_id: str
    name: str
    program_code: str
    category: str
    household: dict[str, Any] | None = None
    """The household's facts the application states (checked against the policy)."""


@dataclass(frozen=True)
class RunPlan:
    program_code: str
    period: str

    @property
    def fiscal_year(self) -> int:
        return int(self.period[:4])


@dataclass
class CycleResult:
    certifications: dict[str, str] = field(default_factory=dict)  # resident → cert id
    runs: dict[RunPlan, dict[str, Any]] = field(default_factory=dict)
    reports: dict[RunPlan, dict[str, Any]] = field(default_factory=dict)
    audit: dict[str, Any] = field(default_factory=dict)


def account_number(index: int) -> str:
    """A well-formed account number (the simulated bank refuses those ending 0000)."""
    return f"62284800{index:08d}{1 + index % 9}"


async def register_payee_account(disbursement: ServiceClient, resident_id: str,
                                 account_number: str, *, bank_code: str = "ABC",
                                 confirm: bool = True, account_name: str | None = None
                                 ) -> dict[str, Any]:
    """Register (or change) a person's account as the county's disbursement officer, once
    disbursement holds the person's certification (it takes the division from it; until
    the certification arrives it answers 404). A change is paid only once a second
    disbursement officer confirms it: with `confirm` the checker does. `account_name`: the
    holder's name (户名), which a bank paid through GBK 代发 files needs."""
    body = {"resident_id": resident_id, "bank_code": bank_code,
            "account_number": account_number}
    if account_name is not None:
        body["account_name"] = account_name

    async def registered() -> dict[str, Any] | None:
        try:
            answer: dict[str, Any] = await disbursement.call(
                "POST", "/payee-accounts", Officers.disburser, json=body)
        except RefusedByService as refused:
            if refused.response.status_code == 404:  # the certification is on its way
                return None
            raise
        return answer

    answer = await eventually(registered, timeout=60,
                              what="the payee's certification held by disbursement")
    if confirm and answer["awaiting_confirmation"]:
        await disbursement.call("POST", "/payee-accounts/confirmations", Officers.checker,
                                json=body)
    return answer


async def file_evidence(eligibility: ServiceClient, application_id: str, program_code: str,
                        category: str, officer: str = Officers.clerk) -> list[str]:
    """File one document of each kind the program requires for the category (approval
    is refused without them); the kinds filed."""
    kinds = required_evidence(program_code, category)
    for kind in kinds:
        await eligibility.call("POST", f"/applications/{application_id}/evidence", officer,
                               data={"kind": kind}, files={"file": evidence_file(kind)})
    return kinds


async def file_certification_evidence(eligibility: ServiceClient, certification_id: str,
                                      kinds: list[str], officer: str = Officers.clerk
                                      ) -> None:
    """File one document of each kind for a certification (a change of its category
    is refused without the evidence the policy names for the new category)."""
    for kind in kinds:
        await eligibility.call("POST", f"/certifications/{certification_id}/evidence",
                               officer, data={"kind": kind}, files={"file": evidence_file(kind)})


async def submit_application(eligibility: ServiceClient, person: Beneficiary,
                             eligible_from: str, *, division_code: str = DIVISION,
                             officer: str = Officers.clerk, evidence: bool = True,
                             **extra: Any) -> dict[str, Any]:
    """Enter the person's application as a village clerk does: the household's facts (the
    person's own, or full qualifying facts for the program and category) and, with
    `evidence`, the documents the program requires. `extra`: more body fields. For a
    benefit paid once per household the township first registers the person's household
    (the person its head, those facts its own), as only a registered household applies."""
    household = person.household or qualifying_household(
        person.resident_id, person.program_code, person.category,
        date.fromisoformat(eligible_from))
    if load_catalogue().per_household(person.program_code):
        await eligibility.call("POST", "/households", Officers.reviewer,
                               json=household_registration(person.resident_id, person.name,
                                                           household, division_code))
    submitted: dict[str, Any] = await eligibility.call(
        "POST", "/applications", officer, json={
            "resident_id": person.resident_id, "name": person.name,
            "program_code": person.program_code, "category": person.category,
            "division_code": division_code, "eligible_from": eligible_from,
            "household": household, **extra})
    if evidence:
        await file_evidence(eligibility, submitted["application_id"], person.program_code,
                            person.category, officer)
    return submitted


def default_beneficiaries() -> list[Beneficiary]:
    people = ResidentFactory(DIVISION, birth_year=1962)
    elders = ResidentFactory(DIVISION, birth_year=1958)
    return [
        Beneficiary(people.next(), "王秀英", "special_assistance", "death"),
        Beneficiary(people.next(), "李建国", "special_assistance", "death"),
        Beneficiary(people.next(), "张桂兰", "special_assistance", "disability"),
        Beneficiary(elders.next(), "刘德华", "reward_assistance_rural", "standard"),
        Beneficiary(elders.next(), "陈淑珍", "reward_assistance_rural", "standard"),
    ]


def expected_total(beneficiaries: list[Beneficiary], plan: RunPlan) -> int:
    """What the policy owes the plan's beneficiaries for its period, in fen."""
    policy = load_catalogue().in_force(plan.program_code, period_start(plan.period))
    return sum(policy.benefit(b.category).amount_fen for b in beneficiaries
               if b.program_code == plan.program_code)


class CountyCycle:
    def __init__(self, urls: dict[str, str], clock: Clock | None = None,
                 progress: Progress | None = None) -> None:
        """`clock` is the services' clock (a `FileClock` the cycle may move past a notice
        period); without a movable clock the cycle cannot wait out a public notice.
        `progress` is told each stage as the cycle reaches it."""
        self.clock = clock
        self.progress: Progress = progress or (lambda line: None)
        self.eligibility = ServiceClient(urls["eligibility"])
        self.fund_custody = ServiceClient(urls["fund_custody"])
        self.disbursement = ServiceClient(urls["disbursement"])
        self.oversight = ServiceClient(urls["oversight"])
        self.run_traces: dict[str, str] = {}
        """Run id → the trace its disburser's request started (no span of ours above it)."""

    @classmethod
    def of(cls, cluster: Cluster, progress: Progress | None = None) -> CountyCycle:
        """A cycle driving a running cluster, moving its clock when a notice must close."""
        return cls({s: p.url for s, p in cluster.processes.items()}, cluster.clock,
                   progress)

    def _report(self, stage: str, what: str) -> None:
        self.progress(f"{stage}: {what}")

    async def close(self) -> None:
        for client in (self.eligibility, self.fund_custody, self.disbursement, self.oversight):
            await client.close()

    async def use(self, urls: dict[str, str]) -> None:
        """Talk to other instances of the services from now on (e.g. after one was lost)."""
        await self.close()
        self.eligibility = ServiceClient(urls["eligibility"])
        self.fund_custody = ServiceClient(urls["fund_custody"])
        self.disbursement = ServiceClient(urls["disbursement"])
        self.oversight = ServiceClient(urls["oversight"])

    async def certify(self, person: Beneficiary, eligible_from: str = "2026-01-01") -> str:
        return (await self.certify_all([person], eligible_from))[person.resident_id]

    async def certify_all(self, people: list[Beneficiary], eligible_from: str = "2026-01-01"
                          ) -> dict[str, str]:
        """The whole 资格确认 chain: application, community review, township review,
        public notice (waited out by moving the clock), county approval. Returns the
        certification id of each resident."""
        applications: dict[str, Beneficiary] = {}
        evidence = 0
        for person in people:
            submitted = await submit_application(self.eligibility, person, eligible_from)
            applications[submitted["application_id"]] = person
            evidence += len(required_evidence(person.program_code, person.category))
        self._report("applications", f"{len(applications)} entered with {evidence} "
                                     "evidence files")
        ids = list(applications)
        await self.eligibility.call("POST", "/community-reviews", Officers.clerk, json={
            "division_code": DIVISION, "held_on": self._today().isoformat(),
            "present": 30, "passed": ids})
        await self.eligibility.call("POST", "/township-reviews", Officers.reviewer,
                                    json={"approved": ids})
        self._report("reviews", f"{len(ids)} passed the community review and "
                                f"{len(ids)} the township review")
        closes_on = self._today()
        programs = sorted({p.program_code for p in applications.values()})
        for program in programs:
            notice = await self.eligibility.call("POST", "/notices", Officers.reviewer, json={
                "program_code": program, "division_code": DIVISION,
                "application_ids": [i for i, p in applications.items()
                                    if p.program_code == program]})
            closes_on = max(closes_on, date.fromisoformat(notice["closes_on"]))
        self._move_clock_to(closes_on)
        self._report("notice", f"{len(programs)} public notices of {len(ids)} applications "
                               f"posted, closed on {closes_on.isoformat()}")
        certified = {}
        for application_id, person in applications.items():
            approved = await self.eligibility.call(
                "POST", f"/applications/{application_id}/approve", Officers.approver)
            certified[person.resident_id] = str(approved["certification_id"])
        self._report("certification", f"{len(certified)} applications approved by the "
                                      "county, each a certification")
        return certified

    def _today(self) -> date:
        return (self.clock or SystemClock()).today()

    def _move_clock_to(self, day: date) -> None:
        if not isinstance(self.clock, FileClock):
            raise RuntimeError("waiting out a public notice needs the services' FileClock")
        instant = datetime.combine(day, time(9), self.clock.zone)  # 01:00 UTC in Beijing
        if instant > self.clock.now():
            self.clock.set(instant)

    async def appropriate(self, plan: RunPlan, amount_fen: int) -> None:
        """Each fiscal level pays its policy share of `amount_fen` into the special account."""
        policy = load_catalogue().in_force(plan.program_code, period_start(plan.period))
        shares = policy.fiscal_shares.model_dump()
        levels = list(shares)
        paid, paying = 0, 0
        for level in levels:
            share = (amount_fen * shares[level] // 10_000 if level != levels[-1]
                     else amount_fen - paid)
            paid += share
            if not share:  # a level paying no share of this program (e.g. county-funded)
                continue
            paying += 1
            await self.fund_custody.call("POST", "/appropriations", Officers.treasury, json={
                "program_code": plan.program_code, "fiscal_year": plan.fiscal_year,
                "division_code": DIVISION, "fiscal_level": level, "amount_fen": share})
        self._report("appropriation", f"{plan.program_code} {plan.fiscal_year}: ¥"
                                      f"{yuan(amount_fen)} from {paying} fiscal levels")

    async def register_account(self, person: Beneficiary, account_number: str, *,
                               named: bool = False) -> None:
        """Register (or change) the person's account once disbursement holds their
        certification (it takes the division from it); a change is confirmed by a second
        disbursement officer, as a change is paid only then. `named`: the account held in
        the person's name (户名), for a bank paid through GBK 代发 files."""
        await register_payee_account(self.disbursement, person.resident_id, account_number,
                                     account_name=person.name if named else None)

    async def wait_until_disbursement_knows(self, certifications: int, program_code: str
                                            ) -> None:
        async def known() -> bool:
            roster = await self.disbursement.call(
                "GET", f"/certifications?program_code={program_code}&division_code={DIVISION}",
                Officers.disburser)
            return int(roster["active"]) >= certifications

        await eventually(known, timeout=60, what=f"{certifications} certifications known")

    async def wait_until_policy_applied(self, version: str) -> None:
        """Until every service lists the published policy `version` in its catalogue."""
        clients = {"eligibility": (self.eligibility, Officers.approver),
                   "fund_custody": (self.fund_custody, Officers.treasury),
                   "disbursement": (self.disbursement, Officers.disburser),
                   "oversight": (self.oversight, Officers.auditor)}
        for service, (client, officer) in clients.items():
            async def applied() -> bool:
                shown = await client.call("GET", "/policy-catalogue", officer)  # noqa: B023
                return any(v["version"] == version and v["source"] == "published"
                           for v in shown["versions"])

            await eventually(applied, timeout=60, what=f"{service} applied {version}")

    async def pay(self, plan: RunPlan) -> dict[str, Any]:
        started = await self.disbursement.call("POST", "/runs", Officers.disburser, json={
            "program_code": plan.program_code, "period": plan.period,
            "division_code": DIVISION})
        if self.disbursement.last_trace_id:
            self.run_traces[started["run_id"]] = self.disbursement.last_trace_id
        totals = started["control_totals"]
        self._report("run started", f"{plan.program_code} {plan.period}, run "
                                    f"{started['run_id']}: {totals['payee_count']} payees, "
                                    f"¥{yuan(totals['total_fen'])}, awaiting allocation")
        return await self.pay_result(started["run_id"])

    async def pay_result(self, run_id: str) -> dict[str, Any]:
        """The run once disbursement reports it completed (its allocation, the bank's
        answers and its settlement reported as they are seen)."""
        watch = RunWatch(run_id, self._report)

        async def completed() -> dict[str, Any] | None:
            run: dict[str, Any] = await self.disbursement.call("GET", f"/runs/{run_id}",
                                                               Officers.disburser)
            watch.saw(run)
            return run if run["status"] == "completed" else None

        return await eventually(completed, timeout=120, what=f"run {run_id} completed")

    async def report(self, plan: RunPlan, *, settled_fen: int) -> dict[str, Any]:
        """Oversight's report once it has seen both the bank's payments and fund custody's
        settlement add up to `settled_fen` (they reach it through different queues)."""
        path = f"/reports/{plan.program_code}/{plan.period}?division_code={DIVISION}"

        async def settled() -> dict[str, Any] | None:
            report: dict[str, Any] = await self.oversight.call("GET", path, Officers.auditor)
            seen = (report["settled_fen"], report["paid_fen"])
            return report if seen == (settled_fen, settled_fen) else None

        report = await eventually(settled, timeout=60, what=f"oversight saw {plan} settled")
        self._report("reconciled", f"oversight's report of {plan.program_code} "
                                   f"{plan.period}: {report['certified_count']} certified, "
                                   f"¥{yuan(report['paid_fen'])} paid, "
                                   f"¥{yuan(report['settled_fen'])} settled, "
                                   f"{report['failed_count']} failed")
        return report

    async def run(self, beneficiaries: list[Beneficiary], plans: list[RunPlan]) -> CycleResult:
        result = CycleResult()
        result.certifications = await self.certify_all(beneficiaries)
        for index, person in enumerate(beneficiaries):
            await self.register_account(person, account_number(index))
        self._report("payee accounts", f"{len(beneficiaries)} registered and confirmed")
        for plan in plans:
            count = sum(1 for b in beneficiaries if b.program_code == plan.program_code)
            await self.appropriate(plan, expected_total(beneficiaries, plan))
            await self.wait_until_disbursement_knows(count, plan.program_code)
            run = await self.pay(plan)
            result.runs[plan] = run
            result.reports[plan] = await self.report(plan,
                                                     settled_fen=run["amounts_fen"]["settled"])
        result.audit = await self.oversight.call("GET", "/audit/verify", Officers.auditor)
        self._report("audit", f"chain {'verified' if result.audit.get('ok') else 'BROKEN'}, "
                              f"{result.audit.get('entries')} entries")
        return result


class RunWatch:
    """Reports a payment run's stages from what `GET /runs/{id}` shows each time it is
    read: allocated (or waiting for money), its payments at the bank as the bank answers,
    settled. A stage passed between two reads is reported from the next read, so each
    stage is told, in order, however fast the run went."""

    def __init__(self, run_id: str, report: Callable[[str, str], None]) -> None:
        self.run_id, self._report = run_id, report
        self._allocated = False
        self._bank: tuple[int, int, int] | None = None
        self._waiting = ""

    def saw(self, run: dict[str, Any]) -> None:
        status, counts = run["status"], run["counts"]
        if status == "waiting" and run.get("rejection_reason") != self._waiting:
            self._waiting = run.get("rejection_reason") or ""
            self._report("allocation", f"run {self.run_id} waiting for money: "
                                       f"{self._waiting}")
        if status not in ("allocated", "completed"):
            return
        if not self._allocated:
            self._allocated = True
            self._report("allocation", f"run {self.run_id} allocated by fund custody")
        at_bank = (counts["pending"], counts["settled"], counts["failed"])
        if at_bank != self._bank:
            self._bank = at_bank
            self._report("bank", f"run {self.run_id}: {sum(at_bank)} payments sent, "
                                 f"{at_bank[1] + at_bank[2]} answered "
                                 f"({at_bank[1]} paid, {at_bank[2]} refused)")
        if status == "completed":
            amounts = run["amounts_fen"]
            self._report("settled", f"run {self.run_id} completed: {counts['settled']} "
                                    f"payments settled, ¥{yuan(amounts['settled'])}; "
                                    f"{counts['failed']} failed")
