"""What each partner agency receives of a certification that starts or ends: only its own
fields, the person under its own pseudonym."""

from datetime import UTC, date, datetime

from siquan.contracts import eligibility_v1 as v1
from siquan.eligibility.application.partners import projections
from siquan.shared.person import person_key, pseudonym

RESIDENT = "420117195803150027"
KEYS = {a: f"{a}-own-key-0123456789" for a in
        ("civil_affairs", "education", "public_security", "social_security")}
PERSON = person_key("shared-secret", RESIDENT)


def _granted(program: str) -> v1.CertificationGranted:
    return v1.CertificationGranted(
        certification_id="0192f0a0-0000-7000-8000-000000000001",
        application_id="0192f0a0-0000-7000-8000-000000000002", program_code=program,
        category="standard", policy_version="national-2009", person_key=PERSON,
        masked_name="王**", masked_resident_id="4201**********0027", division_code="420117",
        effective_from=date(2026, 4, 1), reviewed_by="r", approved_by="a",
        approved_at=datetime(2026, 3, 20, tzinfo=UTC))


def _revoked(program: str) -> v1.CertificationRevoked:
    return v1.CertificationRevoked(
        certification_id="0192f0a0-0000-7000-8000-000000000001", program_code=program,
        person_key=PERSON, division_code="420117", effective_from=date(2026, 5, 1),
        reason="death reported (died 2026-04-20)", revoked_by="system")


def test_education_learns_of_its_own_programs_only() -> None:
    special = projections(_granted("special_assistance"), RESIDENT, "standard", KEYS,
                          death=False)
    scholarship = projections(_granted("girls_scholarship"), RESIDENT, "standard", KEYS,
                              death=False)

    assert sorted(p.routing_key for p in special) == [
        "civil_affairs.certification.started.v1", "social_security.certification.started.v1"]
    assert "education.certification.started.v1" in {p.routing_key for p in scholarship}


def test_public_security_learns_only_of_the_ends_its_death_reports_caused() -> None:
    by_death = projections(_revoked("special_assistance"), RESIDENT, "standard", KEYS,
                           death=True)
    by_officer = projections(_revoked("special_assistance"), RESIDENT, "standard", KEYS,
                             death=False)

    (told,) = [p for p in by_death if p.audience == "public_security"]
    assert told.model_dump(mode="json") == {
        "pseudonym": pseudonym(KEYS["public_security"], RESIDENT),
        "effective_from": "2026-05-01"}
    assert "public_security" not in {p.audience for p in by_officer}


def test_each_agency_names_the_person_by_its_own_pseudonym_and_nothing_else() -> None:
    sent = projections(_revoked("girls_scholarship"), RESIDENT, "standard", KEYS, death=True)

    names = {p.audience: p.model_dump()["pseudonym"] for p in sent}
    assert names == {a: pseudonym(k, RESIDENT) for a, k in KEYS.items()}
    assert len(set(names.values())) == len(KEYS)
    for p in sent:
        dumped = str(p.model_dump())
        assert RESIDENT not in dumped and PERSON not in dumped
