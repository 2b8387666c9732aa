"""Ed25519 signatures over every message: the body and the headers that identify it.

Each producer holds its private key; every consumer holds the public keys of the producers
it reads and refuses anything unsigned or forged. A key has an id (the first 16 hex
characters of the SHA-256 of its raw public key) carried in `x-siquan-key-id`, so a
producer can rotate its key: the new public key is added beside the old one, consumers
accept both until the old one is retired (its file removed).

Key files in a keys directory: `<producer>.key` (the private key, mode 600, only in the
producer's own directory), `<producer>.pub` (its current public key) and
`<producer>.<key id>.pub` (earlier public keys still accepted).

Signatures are verified with libsodium (PyNaCl) up to `_LIBSODIUM_MAX_BYTES` of signed
input: it does the curve arithmetic in about half the time OpenSSL takes (~55 µs against
~105), which is most of what admitting a small event costs. Past that OpenSSL, whose
SHA-512 is faster over long bodies (a chunk of payments), checks it. Both check the same
Ed25519 signature; libsodium is the stricter of the two (it also refuses non-canonical and
small-order points), so nothing OpenSSL would refuse is accepted.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
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
from nacl.bindings import crypto_sign, crypto_sign_open, crypto_sign_seed_keypair
from nacl.exceptions import BadSignatureError

SIGNED_HEADERS = ("x-siquan-producer", "x-siquan-type", "x-siquan-occurred-at",
                  "x-siquan-correlation-id", "x-siquan-causation-id")
SIGNATURE_HEADER = "x-siquan-signature"
KEY_ID_HEADER = "x-siquan-key-id"
_KEY_ID = re.compile(r"^[0-9a-f]{16}$")
_LIBSODIUM_MAX_BYTES = 32 * 1024
"""Signed inputs up to this size are verified by libsodium, longer ones by OpenSSL (where
the two take the same time, near 64 KiB, libsodium's copies of the input begin to cost)."""


class SignatureError(Exception):
    """The message is unsigned, signed by an unknown producer or key, or forged."""


def key_id_of(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class SigningKey:
    """A producer's private key and its id, and the key as libsodium takes it (seed and
    public key, 64 bytes), derived once."""

    key_id: str
    private: Ed25519PrivateKey
    sodium: bytes = field(init=False, repr=False)

    def __post_init__(self) -> None:
        seed = self.private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        object.__setattr__(self, "sodium", crypto_sign_seed_keypair(seed)[1])

    @classmethod
    def unnamed(cls, private: Ed25519PrivateKey) -> SigningKey:
        return cls(key_id_of(private.public_key()), private)


def signing_input(message_id: str, headers: Mapping[str, object], body: bytes) -> bytes:
    parts = [message_id, *(str(headers.get(name, "")) for name in SIGNED_HEADERS)]
    return "\n".join(parts).encode() + b"\n" + body


def sign(key: Ed25519PrivateKey | SigningKey, message_id: str, headers: Mapping[str, object],
         body: bytes) -> str:
    """The message's signature, base64. Ed25519 signatures are deterministic: libsodium
    (about 20 µs for a small event, against OpenSSL's 33) and OpenSSL (faster past
    `_LIBSODIUM_MAX_BYTES`) give the same one."""
    data = signing_input(message_id, headers, body)
    if isinstance(key, SigningKey):
        if len(data) <= _LIBSODIUM_MAX_BYTES:
            return base64.b64encode(crypto_sign(data, key.sodium)[:64]).decode()
        key = key.private
    return base64.b64encode(key.sign(data)).decode()


@dataclass(frozen=True)
class _AcceptedKey:
    """A public key as loaded, and its raw 32 bytes (what libsodium takes), read once."""

    public: Ed25519PublicKey
    raw: bytes

    @classmethod
    def of(cls, public: Ed25519PublicKey) -> _AcceptedKey:
        return cls(public, public.public_bytes(Encoding.Raw, PublicFormat.Raw))

    def verifies(self, signature: bytes, data: bytes) -> bool:
        if len(data) > _LIBSODIUM_MAX_BYTES:
            try:
                self.public.verify(signature, data)
            except InvalidSignature:
                return False
            return True
        if len(signature) != 64:  # libsodium would read a longer one's tail as the message
            return False
        try:
            crypto_sign_open(signature + data, self.raw)
        except BadSignatureError:
            return False
        return True


class Verifier:
    """Checks signatures against the accepted public keys of known producers."""

    def __init__(self, public_keys: Mapping[str, Ed25519PublicKey | list[Ed25519PublicKey]]
                 ) -> None:
        self._keys: dict[str, dict[str, _AcceptedKey]] = {}
        self._directory: Path | None = None
        self._seen: int = -1
        for producer, keys in public_keys.items():
            for key in keys if isinstance(keys, list) else [keys]:
                accepted = _AcceptedKey.of(key)
                self._keys.setdefault(producer, {})[key_id_of(key)] = accepted

    @classmethod
    def watching(cls, directory: Path) -> Verifier:
        """A verifier of the keys in a directory that follows it: a key added (rotation)
        or removed (retirement) there is taken into account without a restart."""
        verifier = cls(load_public_keys(directory))
        verifier._directory = directory
        verifier._seen = _fingerprint(directory)
        return verifier

    def follow(self) -> None:
        """Reload the keys when the directory changed (one stat: keys are added and removed
        by renames and unlinks, which change the directory's mtime). `verify` does it for
        each message unless told the caller just did (once for a batch)."""
        if self._directory is None:
            return
        now = _fingerprint(self._directory)
        if now != self._seen:
            self._seen = now
            fresh = Verifier(load_public_keys(self._directory))
            self._keys = fresh._keys

    def key_ids(self, producer: str) -> list[str]:
        return sorted(self._keys.get(producer, {}))

    def verify(self, message_id: str, headers: Mapping[str, object], body: bytes, *,
               follow: bool = True) -> str:
        """Return the producer whose key signed the message, or raise SignatureError.
        `follow=False`: the caller has just called `follow` (for a batch of messages)."""
        if follow:
            self.follow()
        producer = str(headers.get("x-siquan-producer", ""))
        signature = headers.get(SIGNATURE_HEADER)
        if not signature:
            raise SignatureError("message is not signed")
        known = self._keys.get(producer)
        if not known:
            raise SignatureError(f"no public key for producer {producer!r}")
        key_id = headers.get(KEY_ID_HEADER)
        if key_id is not None:
            key = known.get(str(key_id))
            if key is None:
                raise SignatureError(f"key {key_id!s:.20} of producer {producer!r} is not "
                                     "accepted (unknown or retired)")
            candidates = [key]
        else:
            candidates = list(known.values())
        try:
            raw = base64.b64decode(str(signature), validate=True)
        except ValueError as exc:
            raise SignatureError(f"signature does not verify for producer {producer!r}") \
                from exc
        data = signing_input(message_id, headers, body)
        for key in candidates:
            if key.verifies(raw, data):
                return producer
        raise SignatureError(f"signature does not verify for producer {producer!r}")


def _fingerprint(directory: Path) -> int:
    try:
        return directory.stat().st_mtime_ns
    except OSError:
        return -1


def _write_public(path: Path, key: Ed25519PublicKey) -> None:
    """Written beside and renamed into place, so a reader never sees half a key and the
    directory's change is visible to `Verifier.watching`."""
    temporary = path.with_name(f".{path.name}.new")
    temporary.write_bytes(key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    temporary.replace(path)


def write_keypair(directory: Path, producer: str) -> None:
    """Create `<producer>.key` (PEM, mode 600) and `<producer>.pub` unless they exist."""
    directory.mkdir(parents=True, exist_ok=True)
    private_path, public_path = directory / f"{producer}.key", directory / f"{producer}.pub"
    if private_path.exists() and public_path.exists():
        return
    key = Ed25519PrivateKey.generate()
    private_path.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    private_path.chmod(0o600)
    _write_public(public_path, key.public_key())


def rotate_keypair(directory: Path, producer: str) -> tuple[str, str]:
    """Replace a producer's key: the old public key stays accepted as
    `<producer>.<old id>.pub` until retired. Returns (old id, new id)."""
    old_public = load_public_key(directory / f"{producer}.pub")
    old_id = key_id_of(old_public)
    _write_public(directory / f"{producer}.{old_id}.pub", old_public)
    key = Ed25519PrivateKey.generate()
    private_path = directory / f"{producer}.key"
    temporary = directory / f".{producer}.key.new"
    temporary.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    temporary.chmod(0o600)
    temporary.replace(private_path)
    _write_public(directory / f"{producer}.pub", key.public_key())
    return old_id, key_id_of(key.public_key())


def retire_key(directory: Path, producer: str, key_id: str) -> None:
    """Stop accepting an earlier key of a producer."""
    if not _KEY_ID.match(key_id):
        raise ValueError("a key id is 16 hex characters")
    (directory / f"{producer}.{key_id}.pub").unlink(missing_ok=True)


def load_private_key(path: Path) -> Ed25519PrivateKey:
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise TypeError(f"{path} is not an Ed25519 private key")
    return key


def load_signing_key(path: Path) -> SigningKey:
    return SigningKey.unnamed(load_private_key(path))


def load_public_key(path: Path) -> Ed25519PublicKey:
    key = load_pem_public_key(path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise TypeError(f"{path} is not an Ed25519 public key")
    return key


def _producer_of(path: Path) -> str:
    """`eligibility.pub` → eligibility; `partner.public_security.0123456789abcdef.pub` →
    partner.public_security."""
    stem = path.name[: -len(".pub")]
    head, _, tail = stem.rpartition(".")
    return head if head and _KEY_ID.match(tail) else stem


def load_public_keys(directory: Path) -> dict[str, list[Ed25519PublicKey]]:
    """Every accepted public key in a directory, by producer."""
    keys: dict[str, list[Ed25519PublicKey]] = {}
    for path in sorted(directory.glob("*.pub")):
        key = load_pem_public_key(path.read_bytes())
        if isinstance(key, Ed25519PublicKey):
            keys.setdefault(_producer_of(path), []).append(key)
    return keys


def published_keys(directory: Path, producer: str) -> list[dict[str, str]]:
    """A producer's accepted public keys as its well-known endpoint publishes them
    (JWK, RFC 8037), the current key first."""
    current = directory / f"{producer}.pub"
    ordered = [current] if current.exists() else []
    ordered += [p for p in sorted(directory.glob(f"{producer}.*.pub"))
                if _producer_of(p) == producer]
    out = []
    for path in ordered:
        key = load_public_key(path)
        raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
        out.append({"producer": producer, "kid": key_id_of(key), "kty": "OKP",
                    "crv": "Ed25519", "alg": "EdDSA", "use": "sig",
                    "x": base64.urlsafe_b64encode(raw).rstrip(b"=").decode()})
    return out
