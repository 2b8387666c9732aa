"""Whether a message's schema may still be published under its major version.

`contracts/released/<routing key>.json` is the JSON Schema of each message type as last
released. A change to a message stays in its major version only when both sides keep
working: consumers built against the release read the new messages (tolerantly: fields
they do not know are ignored), and consumers built against the new schema read messages
produced under the release (still queued, or from producer instances not yet upgraded).
So, compared with its release, a message may

- add an optional field (with a default): the only additive change;
- change descriptions, titles and examples;

and anything else is breaking — a field removed or renamed, a type or format changed, a
new required field, a field that became required or optional, an enum narrowed (old
messages carry a value the new reader refuses) or widened (old readers refuse the new
value), a pattern or bound changed, a default changed — and needs a new major version
(`<name>.v<n+1>`, published beside the old one with an upcaster: `upcasting.py`).

`python -m siquan.contracts.compatibility` exits 1 and lists the breaking changes;
`--release` records the current schemas as released after checking them.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RELEASED = "released"
_ANNOTATIONS = frozenset({"description", "title", "examples", "$comment"})
_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems")
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems")
_ALSO_COMPARED = ("pattern", "format", "multipleOf", "default")
Schema = dict[str, Any]


@dataclass(frozen=True)
class Change:
    """One difference between a released schema and the current one."""

    path: str
    what: str
    breaking: bool

    def __str__(self) -> str:
        return f"{'BREAKING' if self.breaking else 'additive'} {self.path}: {self.what}"


class _Side:
    """One schema with its `$defs`, to resolve references."""

    def __init__(self, schema: Schema) -> None:
        self.defs: dict[str, Schema] = schema.get("$defs", {})

    def resolve(self, node: Schema) -> Schema:
        seen = 0
        while "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            node = {**self.defs[name], **{k: v for k, v in node.items() if k != "$ref"}}
            seen += 1
            if seen > 32:
                raise ValueError(f"reference cycle at {name}")
        return node


def _normal(side: _Side, node: Schema) -> tuple[Schema, bool]:
    """The node resolved, with `X | None` as X and whether null is allowed."""
    node = side.resolve(node)
    branches = node.get("anyOf")
    if branches is None:
        return node, node.get("type") == "null"
    others = [b for b in branches if side.resolve(b).get("type") != "null"]
    nullable = len(others) < len(branches)
    if len(others) == 1:
        rest = {k: v for k, v in node.items() if k != "anyOf"}
        return {**side.resolve(others[0]), **rest}, nullable
    return {**node, "anyOf": others}, nullable


def _values(node: Schema) -> list[Any] | None:
    if "const" in node:
        return [node["const"]]
    enum = node.get("enum")
    return list(enum) if enum is not None else None


def _types(node: Schema) -> str:
    kind = node.get("type")
    return "/".join(kind) if isinstance(kind, list) else str(kind)


def _bounds(path: str, old: Schema, new: Schema) -> list[Change]:
    changes = []
    for key in _LOWER_BOUNDS + _UPPER_BOUNDS:
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        lower = key in _LOWER_BOUNDS
        narrowed = after is not None and (before is None or (after > before if lower
                                                             else after < before))
        changes.append(Change(path, f"{key} {'narrowed' if narrowed else 'widened'} from "
                                    f"{before} to {after}", True))
    for key in _ALSO_COMPARED:
        if old.get(key) != new.get(key):
            changes.append(Change(path, f"{key} changed from {old.get(key)!r} to "
                                        f"{new.get(key)!r}", True))
    return changes


class _Comparison:
    def __init__(self, old: Schema, new: Schema) -> None:
        self.old, self.new = _Side(old), _Side(new)

    def value(self, path: str, old_node: Schema, new_node: Schema) -> list[Change]:
        old, old_null = _normal(self.old, old_node)
        new, new_null = _normal(self.new, new_node)
        changes: list[Change] = []
        if old_null != new_null:
            changes.append(Change(path, "null " + ("no longer allowed" if old_null
                                                   else "now allowed"), True))
        if "anyOf" in old or "anyOf" in new:
            if _strip(self.old, old) != _strip(self.new, new):
                changes.append(Change(path, "alternatives changed", True))
            return changes
        if _types(old) != _types(new):
            return [*changes, Change(path, f"type changed from {_types(old)} to "
                                           f"{_types(new)}", True)]
        changes += self._enum(path, old, new) + _bounds(path, old, new)
        if old.get("type") == "object" or "properties" in old or "properties" in new:
            changes += self.object(path, old, new)
        elif old.get("type") == "array":
            changes += self.value(f"{path}[]", old.get("items", {}), new.get("items", {}))
        return changes

    def _enum(self, path: str, old: Schema, new: Schema) -> list[Change]:
        before, after = _values(old), _values(new)
        if before == after:
            return []
        if before is None or after is None:
            return [Change(path, "enum " + ("removed" if after is None else "added"), True)]
        changes = []
        if gone := [v for v in before if v not in after]:
            changes.append(Change(path, f"enum narrowed: {gone} no longer allowed", True))
        if added := [v for v in after if v not in before]:
            changes.append(Change(path, f"enum widened: {added} refused by released "
                                        "readers", True))
        return changes

    def object(self, path: str, old: Schema, new: Schema) -> list[Change]:
        old_props, new_props = old.get("properties", {}), new.get("properties", {})
        old_required, new_required = set(old.get("required", ())), set(new.get("required", ()))
        prefix = f"{path}." if path else ""
        changes = []
        for name in old_props:
            if name not in new_props:
                renamed = [n for n in new_props if n not in old_props and
                           _strip(self.new, new_props[n]) == _strip(self.old, old_props[name])]
                hint = f" (renamed to {renamed[0]}?)" if renamed else ""
                changes.append(Change(prefix + name, f"field removed{hint}", True))
                continue
            if name in new_required and name not in old_required:
                changes.append(Change(prefix + name, "field became required", True))
            if name in old_required and name not in new_required:
                changes.append(Change(prefix + name, "field became optional", True))
            changes += self.value(prefix + name, old_props[name], new_props[name])
        for name in new_props:
            if name not in old_props:
                required = name in new_required
                changes.append(Change(prefix + name, "new required field" if required
                                      else "new optional field", required))
        return changes



def _strip(side: _Side, node: Any) -> Any:
    """A schema without annotations, references resolved (for equality)."""
    if isinstance(node, dict):
        node = side.resolve(node)
        return {k: _strip(side, v) for k, v in node.items() if k not in _ANNOTATIONS}
    if isinstance(node, list):
        return [_strip(side, v) for v in node]
    return node


def compare(released: Schema, current: Schema) -> list[Change]:
    """The changes from a released schema of a message to its current one."""
    comparison = _Comparison(released, current)
    return comparison.object("", comparison.old.resolve(released),
                             comparison.new.resolve(current))


def breaking(released: Schema, current: Schema) -> list[Change]:
    return [c for c in compare(released, current) if c.breaking]


def _released_dir() -> Path:
    from siquan.contracts.generate import CONTRACTS_DIR

    return CONTRACTS_DIR / RELEASED


def current_schemas() -> dict[str, Schema]:
    """The schema of every message type the code defines today, by routing key."""
    from siquan.contracts.generate import json_schemas

    return {Path(name).stem: json.loads(text) for name, text in json_schemas().items()}


def released_schemas(directory: Path | None = None) -> dict[str, Schema]:
    folder = directory or _released_dir()
    return {p.stem: json.loads(p.read_text("utf-8")) for p in sorted(folder.glob("*.json"))}


def check(released: dict[str, Schema], current: dict[str, Schema]) -> dict[str, list[Change]]:
    """Breaking changes by routing key; a released type that is gone is breaking too."""
    found: dict[str, list[Change]] = {}
    for key, schema in released.items():
        if key not in current:
            found[key] = [Change(key, "message type no longer defined (a released version "
                                      "is published until its consumers have moved)", True)]
        elif changes := breaking(schema, current[key]):
            found[key] = changes
    return found


def release(directory: Path | None = None) -> list[str]:
    """Record the current schemas as released; refuses (ValueError) on a breaking change."""
    folder = directory or _released_dir()
    current = current_schemas()
    if problems := check(released_schemas(folder), current):
        raise ValueError(f"breaking changes, not released: {sorted(problems)}")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for key, schema in current.items():
        text = json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        path = folder / f"{key}.json"
        if not path.exists() or path.read_text("utf-8") != text:
            path.write_text(text, "utf-8")
            written.append(key)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--release", action="store_true",
                        help="record the current schemas as released (after the check)")
    args = parser.parse_args(argv)
    problems = check(released_schemas(), current_schemas())
    for key, changes in sorted(problems.items()):
        for change in changes:
            print(f"{key}: {change}")
    if problems:
        print(f"{len(problems)} message type(s) changed incompatibly: publish a new major "
              "version instead (see siquan.contracts.upcasting)")
        return 1
    if args.release:
        written = release()
        print(f"released {len(written)} schema(s): {', '.join(written) or 'none changed'}")
    else:
        print(f"{len(current_schemas())} message types compatible with their releases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
