"""What `make demo` prints of the development accounts."""

from pathlib import Path

from siquan.shared.accounts import development
from siquan.shared.accounts.store import development_totp_secret, read_roster

ROSTER = Path(__file__).resolve().parents[2] / "infra" / "dev" / "officers.json"


def test_the_demo_prints_the_development_accounts_and_no_other() -> None:
    roster = [*read_roster(ROSTER), {"id": "clerk-prod", "name": "专干", "roles": ["clerk"],
                                     "division": "420117", "token_sha256": "0" * 64}]
    lines = development.describe(roster, {"fund_custody": "http://127.0.0.1:9"})
    printed = "\n".join(lines)
    assert "http://127.0.0.1:9/console/login" in printed
    assert development_totp_secret("treasury-420117-01") in printed
    assert "admin-420117-01" in printed and "clerk-prod" not in printed
