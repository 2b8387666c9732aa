"""Ed25519 signatures over every message: the body and the headers that identify it.

Each producer holds its private key; every consumer holds the public keys of the producers
it reads and refuses anything unsigned or forged.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
    load_pem_public_key,
)

SIGNED_HEADERS = ("x-siquan-producer", "x-siquan-type", "x-siquan-occurred-at",
                  "x-siquan-correlation-id", "x-siquan-causation-id")
SIGNATURE_HEADER = "x-siquan-signature"


class SignatureError(Exception):
    """The message is unsigned, signed by an unknown producer, or forged."""


def signing_input(message_id: str, headers: Mapping[str, object], body: bytes) -> bytes:
    parts = [message_id, *(str(headers.get(name, "")) for name in SIGNED_HEADERS)]
    return "\n".join(parts).encode() + b"\n" + body


def sign(key: Ed25519PrivateKey, message_id: str, headers: Mapping[str, object],
         body: bytes) -> str:
    return base64.b64encode(key.sign(signing_input(message_id, headers, body))).decode()


class Verifier:
    """Checks signatures against the public keys of known producers."""

    def __init__(self, public_keys: Mapping[str, Ed25519PublicKey]) -> None:
        self._keys = dict(public_keys)

    def verify(self, message_id: str, headers: Mapping[str, object], body: bytes) -> str:
        """Return the producer whose key signed the message, or raise SignatureError."""
        producer = str(headers.get("x-siquan-producer", ""))
        signature = headers.get(SIGNATURE_HEADER)
        if not signature:
            raise SignatureError("message is not signed")
        key = self._keys.get(producer)
        if key is None:
            raise SignatureError(f"no public key for producer {producer!r}")
        try:
            key.verify(base64.b64decode(str(signature)), signing_input(message_id, headers, body))
        except (InvalidSignature, ValueError) as exc:
            raise SignatureError(f"signature does not verify for producer {producer!r}") from exc
        return producer


def write_keypair(directory: Path, producer: str) -> None:
    """Create `<producer>.key` (PEM, mode 600) and `<producer>.pub` unless they exist."""
    directory.mkdir(parents=True, exist_ok=True)
    private_path, public_path = directory / f"{producer}.key", directory / f"{producer}.pub"
    if private_path.exists() and public_path.exists():
        return
    key = Ed25519PrivateKey.generate()
    private_path.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    private_path.chmod(0o600)
    public_path.write_bytes(key.public_key().public_bytes(Encoding.PEM,
                                                          PublicFormat.SubjectPublicKeyInfo))


def load_private_key(path: Path) -> Ed25519PrivateKey:
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise TypeError(f"{path} is not an Ed25519 private key")
    return key


def load_public_keys(directory: Path) -> dict[str, Ed25519PublicKey]:
    """Every `<producer>.pub` in a directory, by producer name."""
    keys: dict[str, Ed25519PublicKey] = {}
    for path in sorted(directory.glob("*.pub")):
        key = load_pem_public_key(path.read_bytes())
        if isinstance(key, Ed25519PublicKey):
            keys[path.stem] = key
    return keys
