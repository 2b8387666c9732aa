"""An example of every message: a valid instance of its model, for the AsyncAPI documents.

Values come from a field's `examples` when it has them, else from a small table by field
name, else from its JSON Schema type; the instance is then validated by the model itself,
so an example that a producer could not publish fails the generator.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from siquan.contracts.base import Event

_NAMESPACE = uuid.UUID("5f1c0f6e-3b7a-4e55-9d61-7b2d6f0a9c11")
_DATE, _DATETIME = "2026-11-02", "2026-11-02T08:30:00Z"
_STRINGS = {
    "masked_name": "张**",
    "masked_resident_id": "1101**********002X",
    "masked_account": "***************6789",
    "bank_code": "ICBC",
    "bank_reference": "B20261102000123",
    "category": "rural_parent",
    "policy_version": "national-2009",
    "item": "benefit",
    "reason": "Example reason",
    "resolution": "Example resolution",
    "rule": "paid_matches_settled",
    "tracking_number": "TS-2026-000123",
    "report_id": "GA-420117-2026-000123",
}
_INTEGERS = {"fiscal_year": 2026, "notice_days": 7, "present": 12, "chunk": 0,
             "central": 8_400, "provincial": 6_300, "municipal": 4_200, "county": 2_100}
_DIVISION = "420117"  # a county (Wuhan, Xinzhou); its townships are 420117xxx


def _string(name: str, schema: dict[str, Any]) -> str:
    if schema.get("format") == "date":
        return _DATE
    if schema.get("format") == "date-time":
        return _DATETIME
    if schema.get("pattern") == r"^[0-9a-f]{64}$":
        return hashlib.sha256(name.encode()).hexdigest()
    if name == "division_code":
        return _DIVISION
    if name in _STRINGS:
        return _STRINGS[name]
    if name.endswith("_by"):
        return "officer-420117-01"
    if name.endswith("_id") or name.endswith("_ids"):
        return str(uuid.uuid5(_NAMESPACE, name))
    return f"example {name.replace('_', ' ')}"


def _integer(name: str, schema: dict[str, Any]) -> int:
    value = _INTEGERS.get(name, 21_000 if name.endswith("_fen") else 1)
    return max(value, int(schema.get("minimum", value)))


def _instance(name: str, schema: dict[str, Any], defs: dict[str, Any]) -> Any:
    if schema.get("examples") and name != "division_code":
        return schema["examples"][0]
    if "$ref" in schema:
        return _instance(name, defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if "anyOf" in schema:
        chosen = next(s for s in schema["anyOf"] if s.get("type") != "null")
        return _instance(name, {**chosen, **{k: v for k, v in schema.items()
                                             if k not in ("anyOf", "default")}}, defs)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        return {prop: _instance(prop, sub, defs)
                for prop, sub in schema.get("properties", {}).items()}
    if kind == "array":
        return [_instance(name.removesuffix("s"), schema.get("items", {}), defs)]
    if kind == "integer":
        return _integer(name, schema)
    if kind == "boolean":
        return False
    return _string(name, schema)


def example_of(model: type[Event]) -> Event:
    """An instance of `model` with every field filled in (optional ones too)."""
    schema = model.model_json_schema()
    return model.model_validate(_instance("", schema, schema.get("$defs", {})))


def example_body(model: type[Event]) -> bytes:
    """The example as a producer sends it (the bytes a signature covers)."""
    return example_of(model).model_dump_json().encode()


def example_payload(model: type[Event]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(example_body(model))
    return loaded
