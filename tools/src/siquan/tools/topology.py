"""The services' queues and bindings, generated from their handler registries.

Each service declares what it handles once, with `@handles(Event)` on its handlers (the
modules named in `siquan.<service>.app.HANDLERS`). From those declarations this module
writes `contracts/src/siquan/contracts/subscriptions.json`, which the broker topology
(`python -m siquan.shared.provision topology`: queues, bindings, permissions) and the
AsyncAPI documents (`python -m siquan.contracts.generate`) are built from. A test fails
when the committed file and the registries disagree.

    python -m siquan.tools.topology [--check]
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

from siquan.contracts.topology import SERVICES, SUBSCRIPTIONS_FILE, Subscription
from siquan.shared.registry import HandlerRegistry


def registry_of(service: str) -> HandlerRegistry:
    app = importlib.import_module(f"siquan.{service}.app")
    return HandlerRegistry.collect(service, app.HANDLERS)


def subscriptions() -> list[Subscription]:
    return [sub for service in SERVICES for sub in registry_of(service).subscriptions()]


def document() -> str:
    listed = [{"consumer": s.consumer, "name": s.name, "producer": s.producer,
               "binding_keys": list(s.binding_keys)} for s in subscriptions()]
    return json.dumps(listed, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when the committed subscriptions differ")
    args = parser.parse_args(argv)
    path = Path(SUBSCRIPTIONS_FILE)
    text = document()
    if args.check:
        if path.read_text("utf-8") != text:
            print(f"{path} differs from the handler registries: run `make contracts`")
            return 1
        return 0
    path.write_text(text, "utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
