"""Generates the committed contract documents: one JSON Schema per message type and one
AsyncAPI 3.0 document per producer (`siquan.contracts.asyncapi`).

`python -m siquan.contracts.generate [--check]` writes them under `contracts/`, or with
`--check` exits 1 and names the files that differ from what the code generates.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

from siquan.contracts.asyncapi import document, document_name
from siquan.contracts.base import Event, all_models

CONTRACTS_DIR = Path(__file__).resolve().parents[3]


def json_schemas() -> dict[str, str]:
    out = {}
    for routing_key, model in all_models().items():
        schema = model.model_json_schema()
        schema["x-siquan-producer"] = model.producer
        schema["x-siquan-routing-key"] = routing_key
        out[f"schemas/{routing_key}.json"] = json.dumps(schema, indent=2, ensure_ascii=False,
                                                        sort_keys=True) + "\n"
    return out


class _Dumper(yaml.SafeDumper):
    """Writes text of several lines as a literal block, so the descriptions read as text."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value.strip() else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def _producer_spec(producer: str, models: list[type[Event]]) -> str:
    return yaml.dump(document(producer, models), Dumper=_Dumper, sort_keys=False,
                     allow_unicode=True, width=100)


def asyncapi_documents() -> dict[str, str]:
    by_producer: dict[str, list[type[Event]]] = {}
    for model in all_models().values():
        by_producer.setdefault(document_name(model), []).append(model)
    return {f"asyncapi/{producer}.yaml": _producer_spec(producer, models)
            for producer, models in sorted(by_producer.items())}


def documents() -> dict[str, str]:
    return {**json_schemas(), **asyncapi_documents()}


def drift(root: Path = CONTRACTS_DIR) -> list[str]:
    """Files that are missing, stale, or no longer generated."""
    expected = documents()
    stale = [name for name, text in expected.items()
             if not (root / name).exists() or (root / name).read_text("utf-8") != text]
    extra = [str(p.relative_to(root)) for folder in ("schemas", "asyncapi")
             for p in sorted((root / folder).glob("*")) if str(p.relative_to(root)) not in expected]
    return stale + extra


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    if args.check:
        changed = drift()
        for name in changed:
            print(f"contracts/{name} differs from the code: run `make contracts`")
        return 1 if changed else 0
    for folder in ("schemas", "asyncapi"):
        for old in (CONTRACTS_DIR / folder).glob("*"):
            old.unlink()
    for name, text in documents().items():
        (CONTRACTS_DIR / name).parent.mkdir(parents=True, exist_ok=True)
        (CONTRACTS_DIR / name).write_text(text, "utf-8")
    print(f"wrote {len(documents())} contract documents")
    return 0


if __name__ == "__main__":
    sys.exit(main())
