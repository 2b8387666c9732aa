"""Signatures: verified alike whichever library checks them (libsodium for short signed
inputs, OpenSSL for long ones), and keys followed in their directory."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from siquan.shared.signing import (
    KEY_ID_HEADER,
    SIGNATURE_HEADER,
    SignatureError,
    SigningKey,
    Verifier,
    key_id_of,
    load_private_key,
    retire_key,
    rotate_keypair,
    sign,
    write_keypair,
)

PRODUCER = "eligibility"
SHORT, LONG = b'{"n": 1}', b'{"payments": "' + b"x" * 200_000 + b'"}'


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    write_keypair(tmp_path, PRODUCER)
    return tmp_path


def _headers(keys: Path, body: bytes, message_id: str = "m-1") -> dict[str, object]:
    private = load_private_key(keys / f"{PRODUCER}.key")
    headers: dict[str, object] = {"x-siquan-producer": PRODUCER, "x-siquan-type": "t.v1",
                                  KEY_ID_HEADER: key_id_of(private.public_key())}
    headers[SIGNATURE_HEADER] = sign(private, message_id, headers, body)
    return headers


@pytest.mark.parametrize("body", [SHORT, LONG], ids=["short", "long"])
def test_a_signed_message_verifies_and_names_its_producer(keys: Path, body: bytes) -> None:
    assert Verifier.watching(keys).verify("m-1", _headers(keys, body), body) == PRODUCER


@pytest.mark.parametrize("body", [SHORT, LONG], ids=["short", "long"])
def test_an_altered_body_or_identity_does_not_verify(keys: Path, body: bytes) -> None:
    verifier, headers = Verifier.watching(keys), _headers(keys, body)
    with pytest.raises(SignatureError):
        verifier.verify("m-1", headers, body[:-2] + b"2}")
    with pytest.raises(SignatureError):
        verifier.verify("m-2", headers, body)


@pytest.mark.parametrize("body", [SHORT, LONG], ids=["short", "long"])
def test_a_producer_signs_as_the_key_alone_would(keys: Path, body: bytes) -> None:
    """The outbox signs with libsodium (small events) or OpenSSL (long ones); Ed25519 is
    deterministic, so both give the signature of the private key itself."""
    private = load_private_key(keys / f"{PRODUCER}.key")
    headers = {"x-siquan-producer": PRODUCER, "x-siquan-type": "t.v1"}
    assert sign(SigningKey.unnamed(private), "m-1", headers, body) \
        == sign(private, "m-1", headers, body)
    assert sign(SigningKey.unnamed(private), "m-2", headers, body) \
        != sign(private, "m-1", headers, body)


@pytest.mark.parametrize("change", [lambda s: s[:63], lambda s: s + b"\0",
                                    lambda s: s[:63] + bytes([s[63] ^ 1])],
                         ids=["short", "long", "flipped"])
def test_a_signature_of_the_wrong_length_or_with_a_bit_changed_does_not_verify(
        keys: Path, change: object) -> None:
    headers = _headers(keys, SHORT)
    raw = base64.b64decode(str(headers[SIGNATURE_HEADER]))
    headers[SIGNATURE_HEADER] = base64.b64encode(change(raw)).decode()  # type: ignore[operator]
    with pytest.raises(SignatureError):
        Verifier.watching(keys).verify("m-1", headers, SHORT)


def test_a_retired_key_is_refused_once_the_keys_are_followed(keys: Path) -> None:
    verifier, old_headers = Verifier.watching(keys), _headers(keys, SHORT)
    old_id, _ = rotate_keypair(keys, PRODUCER)
    assert verifier.verify("m-1", _headers(keys, SHORT), SHORT) == PRODUCER  # the new key
    retire_key(keys, PRODUCER, old_id)
    verifier.follow()
    with pytest.raises(SignatureError, match="not accepted"):
        verifier.verify("m-1", old_headers, SHORT, follow=False)
