"""Renders a kustomization of `infra/k8s/` the way `kustomize build` does, for the subset of
kustomize these manifests use — so the tests validate what a cluster would receive
without a kustomize binary, and an operator without one can still apply them:

    python infra/k8s/render.py infra/k8s/overlays/production | kubectl apply -f -

Supported: `resources` (files, or folders with their own kustomization), `namespace`,
`labels` (with `includeSelectors`, `includeTemplates`), `images`, `replicas`, and
`configMapGenerator` (files and literals) with `generatorOptions.disableNameSuffixHash:
true`. Anything else in a kustomization is refused rather than silently ignored.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import yaml

Resource = dict[str, Any]
SUPPORTED = {"apiVersion", "kind", "resources", "namespace", "labels", "images", "replicas",
             "configMapGenerator", "generatorOptions"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume",
                  "StorageClass", "CustomResourceDefinition"}
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}


class Unsupported(ValueError):
    """The kustomization uses a feature this renderer does not implement."""


def _load(folder: Path) -> dict[str, Any]:
    for name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
        if (folder / name).is_file():
            loaded: dict[str, Any] = yaml.safe_load((folder / name).read_text("utf-8"))
            unknown = set(loaded) - SUPPORTED
            if unknown:
                raise Unsupported(f"{folder}: {sorted(unknown)} not supported")
            return loaded
    raise FileNotFoundError(f"no kustomization in {folder}")


def _generated(folder: Path, spec: dict[str, Any], options: dict[str, Any]) -> Resource:
    if not options.get("disableNameSuffixHash"):
        raise Unsupported(f"{folder}: generators need disableNameSuffixHash: true here")
    if set(spec) - {"name", "files", "literals"}:
        raise Unsupported(f"{folder}: configMapGenerator {spec.get('name')}: "
                          f"{sorted(set(spec) - {'name', 'files', 'literals'})}")
    data: dict[str, str] = {}
    for entry in spec.get("files", []):
        key, _, path = entry.rpartition("=")
        source = (folder / path).resolve()
        if folder.resolve() not in source.parents:
            raise Unsupported(f"{folder}: {path} is outside the kustomization (kustomize "
                              "refuses it)")
        data[key or source.name] = source.read_text("utf-8")
    for literal in spec.get("literals", []):
        key, _, value = literal.partition("=")
        data[key] = value
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": spec["name"]},
            "data": data}


def _set_namespace(resource: Resource, namespace: str) -> None:
    if resource["kind"] in CLUSTER_SCOPED:
        return
    resource["metadata"]["namespace"] = namespace
    if resource["kind"] in ("RoleBinding", "ClusterRoleBinding"):
        for subject in resource.get("subjects", []):
            if subject.get("kind") == "ServiceAccount":
                subject["namespace"] = namespace


def _add_labels(resource: Resource, pairs: dict[str, str], selectors: bool,
                templates: bool) -> None:
    resource["metadata"].setdefault("labels", {}).update(pairs)
    spec = resource.get("spec", {})
    if resource["kind"] in WORKLOADS:
        if selectors or templates:
            spec["template"]["metadata"].setdefault("labels", {}).update(pairs)
        if selectors:
            spec["selector"].setdefault("matchLabels", {}).update(pairs)
    if resource["kind"] == "Service" and selectors:
        spec.setdefault("selector", {}).update(pairs)


def _set_images(resource: Resource, images: list[dict[str, str]]) -> None:
    if resource["kind"] not in WORKLOADS:
        return
    pod = resource["spec"]["template"]["spec"]
    for container in [*pod.get("initContainers", []), *pod["containers"]]:
        name, _, tag = container["image"].partition(":")
        for image in images:
            if image["name"] == name:
                container["image"] = (f"{image.get('newName', name)}:"
                                      f"{image.get('newTag', tag or 'latest')}")


def build(folder: Path) -> list[Resource]:
    """The resources a kustomization produces, in kustomize's order of appearance."""
    kustomization = _load(folder)
    resources: list[Resource] = []
    for entry in kustomization.get("resources", []):
        path = folder / entry
        if path.is_dir():
            resources += build(path)
        else:
            resources += [d for d in yaml.safe_load_all(path.read_text("utf-8")) if d]
    options = kustomization.get("generatorOptions", {})
    resources += [_generated(folder, spec, options)
                  for spec in kustomization.get("configMapGenerator", [])]
    resources = [copy.deepcopy(r) for r in resources]
    for resource in resources:
        if "namespace" in kustomization:
            _set_namespace(resource, kustomization["namespace"])
        for label in kustomization.get("labels", []):
            _add_labels(resource, label["pairs"], bool(label.get("includeSelectors")),
                        bool(label.get("includeTemplates")))
        _set_images(resource, kustomization.get("images", []))
        for replicas in kustomization.get("replicas", []):
            if resource["kind"] in WORKLOADS and resource["metadata"]["name"] == \
                    replicas["name"]:
                resource["spec"]["replicas"] = replicas["count"]
    _refuse_duplicates(resources)
    return resources


def _refuse_duplicates(resources: list[Resource]) -> None:
    seen = set()
    for resource in resources:
        key = (resource["kind"], resource["metadata"].get("namespace"),
               resource["metadata"]["name"])
        if key in seen:
            raise ValueError(f"{key} appears twice")
        seen.add(key)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python infra/k8s/render.py <kustomization folder>", file=sys.stderr)
        return 2
    yaml.safe_dump_all(build(Path(argv[0])), sys.stdout, sort_keys=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
