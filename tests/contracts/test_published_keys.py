"""Each service publishes the public keys its messages verify with, as JWKs at
`GET /.well-known/siquan-keys.json` (no broker or database needed to answer it)."""

import base64
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from siquan.contracts import envelope
from siquan.fund_custody.settings import FundCustodySettings
from siquan.shared.runtime import ServiceRuntime
from siquan.shared.signing import load_private_key, rotate_keypair, write_keypair

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    write_keypair(tmp_path, "fund_custody")
    write_keypair(tmp_path, "eligibility")  # another producer's key is not fund custody's
    return tmp_path


async def _published(keys: Path) -> list[dict[str, str]]:
    settings = FundCustodySettings(amqp_url="amqp://unused", pg_dsn="postgresql://unused",
                                   keys_dir=keys, officers_file=ROOT / "infra/dev/officers.json")
    app = ServiceRuntime("fund_custody", settings, ROOT / "unused").http_app("test")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test") as http:
        response = await http.get(envelope.KEYS_PATH)
    assert response.status_code == 200
    published: list[dict[str, str]] = response.json()
    return published


def _public(jwk: dict[str, str]) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(
        base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4)))


async def test_a_service_publishes_its_signing_key_as_a_jwk(keys: Path) -> None:
    published = await _published(keys)

    assert [{k: v for k, v in jwk.items() if k not in ("kid", "x")} for jwk in published] == [
        {"producer": "fund_custody", "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA",
         "use": "sig"}]
    private = load_private_key(keys / "fund_custody.key")
    _public(published[0]).verify(private.sign(b"signed"), b"signed")


async def test_after_a_rotation_both_keys_are_published_the_new_one_first(keys: Path) -> None:
    old_id, new_id = rotate_keypair(keys, "fund_custody")

    assert [jwk["kid"] for jwk in await _published(keys)] == [new_id, old_id]
