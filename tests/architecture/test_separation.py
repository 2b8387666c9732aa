"""The separation of powers as rules on the code itself."""

import subprocess
import sys
from pathlib import Path

from siquan.contracts.base import all_models

ROOT = Path(__file__).resolve().parents[2]
PERSONAL = {"person_key", "resident_id", "masked_name", "masked_resident_id", "name",
            "account_number", "masked_account"}


def test_no_service_imports_another() -> None:
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_fund_custody_publishes_no_personal_data() -> None:
    for model in all_models().values():
        if model.producer == "fund_custody":
            assert not PERSONAL & set(model.model_fields), model.__name__


SERVICES = {"eligibility", "fund_custody", "disbursement", "oversight"}


def test_no_event_carries_a_full_resident_id_or_account_number() -> None:
    """Nothing the four services publish names a person in full. The one message that does
    is public security's death report, which comes in from the agency that keeps the
    population register and is bound to eligibility's queue alone (the broker tests)."""
    inbound_by_resident_id = set()
    for model in all_models().values():
        assert "account_number" not in model.model_fields, model.__name__
        if "resident_id" in model.model_fields:
            assert model.producer not in SERVICES, model.__name__
            inbound_by_resident_id.add(model.__name__)
    assert inbound_by_resident_id == {"DeathReportedV2"}
