"""Eligibility's unit of work on PostgreSQL: one transaction (the shared `PgUnitOfWork`:
connection, outbox, clock, cause) reaching eligibility's repositories, the policy
catalogue and the service's terms. `factory` gives the runtime what it needs to open one
for an HTTP command, a message or a timer tick."""

from __future__ import annotations

from siquan.contracts.policy import PolicyCatalogue
from siquan.eligibility.adapters.applications import PgApplications
from siquan.eligibility.adapters.certifications import PgCertifications
from siquan.eligibility.adapters.notices import PgNotices, PgObjections
from siquan.eligibility.adapters.records import (
    PgCommunityReviews,
    PgDeaths,
    PgEvidence,
    PgSurveyImports,
)
from siquan.eligibility.adapters.views import EligibilityViews
from siquan.eligibility.application.ports import Terms
from siquan.shared.clock import Clock
from siquan.shared.database import Connection
from siquan.shared.outbox import Outbox
from siquan.shared.unit_of_work import Cause, PgUnitOfWork, UnitFactory


class EligibilityWork(PgUnitOfWork):
    def __init__(self, conn: Connection, outbox: Outbox, clock: Clock, cause: Cause | None,
                 *, terms: Terms, policies: PolicyCatalogue) -> None:
        super().__init__(conn, outbox, clock, cause)
        self.terms, self.policies = terms, policies
        self.applications = PgApplications(conn)
        self.certifications = PgCertifications(conn)
        self.notices = PgNotices(conn)
        self.objections = PgObjections(conn)
        self.community_reviews = PgCommunityReviews(conn)
        self.survey_imports = PgSurveyImports(conn)
        self.evidence = PgEvidence(conn)
        self.deaths = PgDeaths(conn)
        self.views = EligibilityViews(conn)

    @classmethod
    def factory(cls, terms: Terms, policies: PolicyCatalogue) -> UnitFactory[EligibilityWork]:
        def make(conn: Connection, outbox: Outbox, clock: Clock, cause: Cause
                 ) -> EligibilityWork:
            return cls(conn, outbox, clock, cause, terms=terms, policies=policies)

        return make
