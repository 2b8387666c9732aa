"""Writes the committed OpenAPI document of each service's HTTP API
(`contracts/openapi/<service>.json`), built from the service's own application.

`python -m siquan.tools.openapi [--check]`: with `--check`, exits 1 and names the documents
that differ from what the code generates.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from siquan.contracts.topology import SERVICES
from siquan.shared.signing import write_keypair

ROOT = Path(__file__).resolve().parents[4]
OUT = ROOT / "contracts" / "openapi"


def document(service: str, keys_dir: Path) -> dict[str, Any]:
    """The service's OpenAPI document, from an application that is built but never started."""
    module = importlib.import_module(f"siquan.{service}.app")
    settings_module = importlib.import_module(f"siquan.{service}.settings")
    settings_class = next(getattr(settings_module, name) for name in dir(settings_module)
                          if name.endswith("Settings") and name != "ServiceSettings"
                          and getattr(settings_module, name).__module__ ==
                          settings_module.__name__)
    settings = settings_class(mode="development", amqp_url="amqp://unused",
                              pg_dsn="postgresql://unused", keys_dir=keys_dir,
                              officers_file=ROOT / "infra" / "dev" / "officers.json")
    app = module.create_app(settings)
    spec: dict[str, Any] = app.openapi()
    return spec


def documents() -> dict[str, str]:
    logging.getLogger("opentelemetry").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as keys:
        for service in SERVICES:
            write_keypair(Path(keys), service)
        os.environ.setdefault("SIQUAN_MODE", "development")
        return {f"{service}.json": json.dumps(document(service, Path(keys)), indent=2,
                                              ensure_ascii=False) + "\n"
                for service in SERVICES}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    expected = documents()
    if args.check:
        changed = [name for name, text in expected.items()
                   if not (OUT / name).exists() or (OUT / name).read_text("utf-8") != text]
        changed += [p.name for p in sorted(OUT.glob("*.json")) if p.name not in expected]
        for name in changed:
            print(f"contracts/openapi/{name} differs from the code: run `make contracts`")
        return 1 if changed else 0
    OUT.mkdir(parents=True, exist_ok=True)
    for name, text in expected.items():
        (OUT / name).write_text(text, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
