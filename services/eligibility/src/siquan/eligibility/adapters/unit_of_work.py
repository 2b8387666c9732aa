"""Eligibility's unit of work on PostgreSQL: one transaction (the shared `PgUnitOfWork`:
connection, outbox, clock, cause) reaching eligibility's repositories (the policy
register's among them), the policy catalogue in force and the service's terms. `factory`
gives the runtime what it needs to open one for an HTTP command, a message or a timer
tick."""

from __future__ import annotations

from siquan.contracts.eligibility_v1 import CertificationRevoked
from siquan.contracts.policy import PolicyCatalogue, load_catalogue
from siquan.eligibility.adapters.applications import PgApplications
from siquan.eligibility.adapters.case_changes import PgCaseChanges
from siquan.eligibility.adapters.certification_ends import PgCertificationEnds
from siquan.eligibility.adapters.certifications import PgCertifications
from siquan.eligibility.adapters.households import PgHouseholds
from siquan.eligibility.adapters.notices import PgNotices, PgObjections
from siquan.eligibility.adapters.policy_register import PgPolicyDrafts
from siquan.eligibility.adapters.records import (
    PgCommunityReviews,
    PgDeaths,
    PgEvidence,
    PgSurveyImports,
)
from siquan.eligibility.adapters.views import EligibilityViews
from siquan.eligibility.application import partners
from siquan.eligibility.application.ports import Terms
from siquan.shared.clock import Clock
from siquan.shared.database import Connection
from siquan.shared.outbox import Outbox, PendingEvent
from siquan.shared.unit_of_work import Cause, PgUnitOfWork, UnitFactory


class EligibilityWork(PgUnitOfWork):
    def __init__(self, conn: Connection, outbox: Outbox, clock: Clock, cause: Cause | None,
                 *, terms: Terms, policies: PolicyCatalogue | None = None) -> None:
        super().__init__(conn, outbox, clock, cause)
        self.terms, self._policies = terms, policies
        self.policy_drafts = PgPolicyDrafts(conn)
        self.applications = PgApplications(conn)
        self.certifications = PgCertifications(conn)
        self.case_changes = PgCaseChanges(conn)
        self.certification_ends = PgCertificationEnds(conn)
        self.notices = PgNotices(conn)
        self.objections = PgObjections(conn)
        self.community_reviews = PgCommunityReviews(conn)
        self.survey_imports = PgSurveyImports(conn)
        self.evidence = PgEvidence(conn)
        self.deaths = PgDeaths(conn)
        self.households = PgHouseholds(conn)
        self.views = EligibilityViews(conn)

    @property
    def policies(self) -> PolicyCatalogue:
        """The catalogue in force now (published versions included), unless one was given."""
        return self._policies if self._policies is not None else load_catalogue()

    async def _finish(self) -> None:
        for flush in self._before_commit:  # the repositories' buffered rows first
            await flush()
        self._before_commit.clear()
        await self._project_for_partners()
        await super()._finish()

    async def _project_for_partners(self) -> None:
        """Beside each certification that starts or ends, its partner projections, in the
        same transaction and with the same cause and trace (the resident ID they are
        derived from is read here and never leaves this service)."""
        changes = [(p, p.event) for p in self.pending
                   if isinstance(p.event, partners.PROJECTED)]
        if not changes:
            return
        rows = await self.conn.fetch(
            "SELECT c.id::text AS id, a.resident_id, c.category FROM certifications c"
            " JOIN applications a ON a.id = c.application_id WHERE c.id = ANY($1::uuid[])",
            list({event.certification_id for _, event in changes}))
        held = {r["id"]: (r["resident_id"], r["category"]) for r in rows}
        for cause, event in changes:
            resident_id, category = held[event.certification_id]
            death = (isinstance(event, CertificationRevoked)
                     and event.date_of_death is not None)  # a death, whatever its source
            self.pending += [
                PendingEvent(projection, cause.correlation_id, cause.causation_id,
                             cause.trace_context)
                for projection in partners.projections(
                    event, resident_id, category, self.terms.pseudonym_keys, death=death)]

    @classmethod
    def factory(cls, terms: Terms, policies: PolicyCatalogue | None = None
                ) -> UnitFactory[EligibilityWork]:
        def make(conn: Connection, outbox: Outbox, clock: Clock, cause: Cause
                 ) -> EligibilityWork:
            return cls(conn, outbox, clock, cause, terms=terms, policies=policies)

        return make
