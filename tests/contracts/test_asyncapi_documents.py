"""The AsyncAPI documents a partner builds against: the official AsyncAPI parser accepts
each of them, every example is a valid, correctly signed message, and what they say about
the envelope is what the producers' code sends."""

import base64
import json
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from siquan.contracts import envelope
from siquan.contracts.base import all_models
from siquan.contracts.generate import CONTRACTS_DIR
from siquan.contracts.topology import PARTNERS_EXCHANGE, VHOST
from siquan.shared import signing
from siquan.shared.outbox import Outbox, new_message_id

ROOT = CONTRACTS_DIR.parent
TOOL = ROOT / "tools" / "asyncapi"
DOCUMENTS = sorted((CONTRACTS_DIR / "asyncapi").glob("*.yaml"))


@pytest.fixture(scope="module")
def parser_installed() -> Path:
    """The official parser from the committed lock file (`npm ci` on a fresh machine)."""
    if not (TOOL / "node_modules" / "@asyncapi" / "parser" / "package.json").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=TOOL,
                       check=True, timeout=600, capture_output=True)
    return TOOL / "validate.mjs"


@cache
def _load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text("utf-8"))
    return loaded


def test_the_official_asyncapi_parser_reports_no_error_in_any_document(
        parser_installed: Path) -> None:
    result = subprocess.run(["node", str(parser_installed), *map(str, DOCUMENTS)],
                            capture_output=True, text=True, timeout=300)
    report = json.loads(result.stdout)

    errors = {file: [d for d in found["diagnostics"] if d["severity"] == "error"]
              for file, found in report.items()}
    assert len(report) == len(DOCUMENTS) == 9  # five producers, four agencies' projections
    assert all(found["parsed"] for found in report.values())
    assert {f: e for f, e in errors.items() if e} == {}
    assert result.returncode == 0, result.stderr


def test_the_parser_check_fails_on_a_broken_document(parser_installed: Path,
                                                     tmp_path: Path) -> None:
    broken = yaml.safe_load(DOCUMENTS[0].read_text("utf-8"))
    broken["operations"]["publish.bogus"] = {"action": "shout", "channel": {}}
    (tmp_path / "broken.yaml").write_text(yaml.safe_dump(broken), "utf-8")

    result = subprocess.run(["node", str(parser_installed), str(tmp_path / "broken.yaml")],
                            capture_output=True, text=True, timeout=300)

    assert result.returncode == 1
    assert any(d["severity"] == "error" for d in
               json.loads(result.stdout)[str(tmp_path / "broken.yaml")]["diagnostics"])


def _messages() -> list[tuple[dict[str, Any], str, dict[str, Any]]]:
    return [(doc, name, message) for doc in map(_load, DOCUMENTS)
            for name, message in doc["components"]["messages"].items()]


def _validator(doc: dict[str, Any], ref: str) -> jsonschema.Draft202012Validator:
    root = {**doc, "$ref": ref}
    return jsonschema.Draft202012Validator(root, format_checker=jsonschema.FormatChecker())


def test_every_message_type_has_a_document_entry_with_an_example() -> None:
    documented = {m["name"] for _, _, m in _messages()}

    assert documented == set(all_models())
    assert all(len(m["examples"]) == 1 for _, _, m in _messages())


@pytest.mark.parametrize("key", sorted(all_models()))
def test_each_example_is_valid_against_its_payload_and_header_schemas(key: str) -> None:
    doc, _, message = next(entry for entry in _messages() if entry[2]["name"] == key)
    example = message["examples"][0]

    _validator(doc, message["payload"]["$ref"]).validate(example["payload"])
    _validator(doc, message["headers"]["$ref"]).validate(example["headers"])
    assert all_models()[key].model_validate(example["payload"])  # and the producer's model
    assert json.loads(message["x-siquan-signed-example"]["body"]) == example["payload"]


def _example_key(doc: dict[str, Any]) -> Ed25519PublicKey:
    jwk = doc["info"]["x-siquan-example-key"]
    raw = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
    return Ed25519PublicKey.from_public_bytes(raw)


@pytest.mark.parametrize("key", sorted(all_models()))
def test_each_example_verifies_with_the_producers_own_verifier(key: str) -> None:
    doc, _, message = next(entry for entry in _messages() if entry[2]["name"] == key)
    headers = message["examples"][0]["headers"]
    signed = message["x-siquan-signed-example"]
    verifier = signing.Verifier({headers[envelope.PRODUCER]: _example_key(doc)})

    assert verifier.verify(signed["message_id"], headers, signed["body"].encode()) == \
        all_models()[key].producer
    with pytest.raises(signing.SignatureError):
        verifier.verify(signed["message_id"], {**headers, envelope.CAUSATION_ID: "x"},
                        signed["body"].encode())


def test_the_documented_signing_input_is_the_one_producers_sign(tmp_path: Path) -> None:
    signing.write_keypair(tmp_path, "eligibility")
    private = signing.load_private_key(tmp_path / "eligibility.key")
    model = all_models()["certification.revoked.v1"]
    from siquan.contracts.examples import example_of

    message_id = new_message_id()
    headers, body = Outbox("eligibility", private).envelope(
        example_of(model), message_id=message_id, correlation_id=None, causation_id=None)

    assert envelope.SIGNED_HEADERS == signing.SIGNED_HEADERS
    private.public_key().verify(base64.b64decode(headers[envelope.SIGNATURE]),
                                envelope.signing_input(message_id, headers, body))
    documented = set(_load(DOCUMENTS[0])["components"]["schemas"]["MessageHeaders"][
        "properties"])
    assert set(headers) <= documented
    assert set(envelope.REQUIRED_HEADERS) <= set(headers)


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.stem)
def test_each_document_states_the_vhost_the_exchange_and_the_delivery(path: Path) -> None:
    doc = _load(path)
    producer = doc["id"].removeprefix("urn:siquan:")
    projection = producer.startswith("projection.")
    exchange = PARTNERS_EXCHANGE if projection else f"siquan.{producer}"
    exchanges = [c["bindings"]["amqp"]["exchange"] for c in doc["channels"].values()
                 if c["bindings"]["amqp"]["is"] == "routingKey"]
    queues = [c for c in doc["channels"].values() if c["bindings"]["amqp"]["is"] == "queue"]
    sends = [o for o in doc["operations"].values() if o["action"] == "send"]

    assert doc["asyncapi"] == "3.0.0" and doc["servers"]["siquan"]["pathname"] == f"/{VHOST}"
    assert exchanges and all(e == {"name": exchange, "type": "topic",
                                   "durable": True, "autoDelete": False, "vhost": VHOST}
                             for e in exchanges)
    assert sends and all(o["bindings"]["amqp"]["deliveryMode"] == 2 for o in sends)
    assert queues and all(q["x-siquan-queue-arguments"]["x-queue-type"] == "quorum" and
                          (q["x-siquan-queue-arguments"].get("x-max-length") if projection
                           else q["x-siquan-queue-arguments"]["x-dead-letter-exchange"])
                          for q in queues)
    assert "GET /.well-known/siquan-keys.json" in doc["info"]["description"]


@pytest.mark.parametrize("path", [p for p in DOCUMENTS if p.stem.startswith("projection.")],
                         ids=lambda p: p.stem)
def test_a_projection_names_people_by_pseudonym_and_its_keys_by_its_agency(path: Path) -> None:
    doc = _load(path)
    agency = path.stem.removeprefix("projection.")
    payloads = [doc["components"]["schemas"][name] for name in doc["components"]["messages"]]
    fields = {f for payload in payloads for f in payload["properties"]}

    assert all(key.startswith(f"{agency}.") for key in doc["channels"]
               if not key.startswith("siquan.partner."))
    assert "pseudonym" in fields
    assert not {"person_key", "resident_id", "masked_resident_id", "masked_name",
                "certification_id", "application_id"} & fields
