"""The RabbitMQ definitions of the Kubernetes manifests, split so no secret is committed:

    python infra/k8s/topology.py            # rewrite base/rabbitmq/10-topology.json
    python infra/k8s/topology.py --check    # exit 1 when the committed file differs
    python infra/k8s/topology.py users      # print 20-users.json for the Secret

`10-topology.json` (vhost, exchanges, quorum queues, bindings; in the ConfigMap
`siquan-rabbitmq-definitions`) comes from `contracts/src/siquan/contracts/topology.py`.
`20-users.json` (users with their password hashes, permissions, topic permissions) goes
into the Secret `siquan-rabbitmq-users`; each user's password is generated at provisioning
and kept in a credential store (`users --secrets-dir DIR`, default `.siquan/secrets`), the
same store that writes each service's own secrets.
RabbitMQ imports both files of the folder at boot, in name order.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from siquan.contracts.topology import VHOST
from siquan.shared.broker_definitions import broker_definitions, broker_topology
from siquan.shared.credentials import CredentialStore

TOPOLOGY_FILE = Path(__file__).resolve().parent / "base" / "rabbitmq" / "10-topology.json"
USER_KEYS = ("users", "permissions", "topic_permissions")


def _text(definitions: dict[str, Any]) -> str:
    return json.dumps(definitions, indent=2, sort_keys=True) + "\n"


def topology() -> str:
    return _text({k: v for k, v in broker_topology(VHOST).items() if k not in USER_KEYS})


def users(secrets_dir: Path) -> str:
    definitions = broker_definitions(VHOST, CredentialStore(secrets_dir / "generated"))
    return _text({k: definitions[k] for k in USER_KEYS})


def main(argv: list[str]) -> int:
    if argv[:1] == ["users"]:
        secrets = Path(argv[2]) if argv[1:2] == ["--secrets-dir"] else Path(".siquan/secrets")
        sys.stdout.write(users(secrets))
        return 0
    if argv == ["--check"]:
        same = TOPOLOGY_FILE.exists() and TOPOLOGY_FILE.read_text("utf-8") == topology()
        if not same:
            print(f"{TOPOLOGY_FILE} differs: run python infra/k8s/topology.py")
        return 0 if same else 1
    TOPOLOGY_FILE.write_text(topology(), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
