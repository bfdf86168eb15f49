"""Kustomize `kustomization.yaml`: an overlay's image tags, replica counts, generated
ConfigMap literals and the resource limits its inline patches set.

An overlay (`overlays/prod/kustomization.yaml`) layers values over a base, so its facts are
per-environment facts of the same parameters (id key `NAME@prod`, see `_common.fact_id`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Literal

from ddd_llm.evidence.base import (
    AnalyzerResult,
    SourceFile,
    register,
    scalar_text,
    yaml_docs_or_warn,
)
from ddd_llm.evidence.config_files._common import (
    TEST_DIRS,
    Setting,
    overlay_of,
    parameters,
    unique,
)
from ddd_llm.evidence.yamlpos import YamlList, YamlMap, YamlParseError, load_documents
from ddd_llm.models import FactBase, ResourceRequirement

_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_JSON_PATCH_RESOURCE = re.compile(r"/resources/(limits|requests)/(cpu|memory)$")


class KustomizeAnalyzer:
    """One kustomization file: images, replicas, configMapGenerator literals, inline patches."""

    name = "kustomize"

    def accepts(self, source: SourceFile) -> bool:
        return source.name in _NAMES and not TEST_DIRS.search(source.path)

    def analyze(self, source: SourceFile) -> AnalyzerResult:
        result = AnalyzerResult()
        profile = overlay_of(source.path)
        facts: list[FactBase] = []
        for doc in yaml_docs_or_warn(source, result, self.name):
            if not isinstance(doc.data, YamlMap):
                continue
            facts.extend(self._images(source, doc.data, profile))
            facts.extend(self._replicas(source, doc.data, profile))
            facts.extend(self._literals(source, doc.data, profile))
            facts.extend(self._patches(source, doc.data, result))
        result.facts.extend(unique(facts))
        return result

    def _images(self, source: SourceFile, data: YamlMap, profile: str | None) -> Iterator[FactBase]:
        for item, _start, _end in _items(data, "images"):
            name = scalar_text(item.get("name"))
            if not name:
                continue
            for field in ("newName", "newTag", "digest"):
                value = scalar_text(item.get(field))
                if value is None:
                    continue
                span = item.line_of(field)
                setting = Setting(
                    name=f"images[{name}].{field}",
                    value=value,
                    start=span.start,
                    end=span.end,
                    profile=profile,
                )
                yield from parameters(source, setting, "kustomize image")

    def _replicas(
        self, source: SourceFile, data: YamlMap, profile: str | None
    ) -> Iterator[FactBase]:
        for item, start, end in _items(data, "replicas"):
            name = scalar_text(item.get("name"))
            count = scalar_text(item.get("count"))
            if not name or count is None:
                continue
            setting = Setting(
                name="replicas",
                value=count,
                start=start,
                end=end,
                profile=profile,
                service=name,
            )
            yield from parameters(source, setting, f"kustomize replica count of {name}:")

    def _literals(
        self, source: SourceFile, data: YamlMap, profile: str | None
    ) -> Iterator[FactBase]:
        for generator in ("configMapGenerator", "secretGenerator"):
            for item, _start, _end in _items(data, generator):
                literals = item.get("literals")
                if not isinstance(literals, YamlList):
                    continue
                for index, literal in enumerate(literals):
                    text = scalar_text(literal) or ""
                    key, sep, value = text.partition("=")
                    if not sep or not key.strip():
                        continue
                    span = literals.line_of(index)
                    setting = Setting(
                        name=key.strip(),
                        value=value,
                        start=span.start,
                        end=span.end,
                        profile=profile,
                        secret=generator == "secretGenerator",
                    )
                    yield from parameters(source, setting, f"{generator} literal")

    def _patches(
        self, source: SourceFile, data: YamlMap, result: AnalyzerResult
    ) -> Iterator[FactBase]:
        for field in ("patches", "patchesStrategicMerge", "patchesJson6902"):
            entries = data.get(field)
            if not isinstance(entries, YamlList):
                continue
            for index, entry in enumerate(entries):
                span = entries.line_of(index)
                body = entry.get("patch") if isinstance(entry, YamlMap) else entry
                if not isinstance(body, str) or "\n" not in body:
                    continue  # a path to a patch file, read as its own file
                target = entry.get("target") if isinstance(entry, YamlMap) else None
                target_name = scalar_text(target.get("name")) if isinstance(target, dict) else None
                try:
                    docs = load_documents(body)
                except YamlParseError as exc:
                    result.warn(source, f"inline patch is not YAML: {exc}", span.start, self.name)
                    continue
                for doc in docs:
                    yield from _patch_resources(source, doc.data, target_name, span.start, span.end)


def _items(data: YamlMap, key: str) -> Iterator[tuple[YamlMap, int, int]]:
    entries = data.get(key)
    if not isinstance(entries, YamlList):
        return
    for index, item in enumerate(entries):
        if isinstance(item, YamlMap):
            span = entries.line_of(index)
            yield item, span.start, span.end


def _patch_resources(
    source: SourceFile, patch: Any, target: str | None, start: int, end: int
) -> Iterator[FactBase]:
    """Resource amounts in a strategic-merge patch (containers[].resources) or a JSON 6902
    patch (`path: /spec/template/spec/containers/0/resources/limits/memory`)."""
    if isinstance(patch, list):
        for op in patch:
            if not isinstance(op, dict):
                continue
            match = _JSON_PATCH_RESOURCE.search(str(op.get("path", "")))
            value = scalar_text(op.get("value"))
            if match and value is not None:
                yield _requirement(
                    source, match.group(2), match.group(1), value, target, start, end
                )
        return
    if not isinstance(patch, dict):
        return
    meta = patch.get("metadata")
    name = scalar_text(meta.get("name")) if isinstance(meta, dict) else None
    for resources in _find(patch, "resources"):
        for level in ("limits", "requests"):
            amounts = resources.get(level)
            if not isinstance(amounts, dict):
                continue
            for kind in ("cpu", "memory"):
                value = scalar_text(amounts.get(kind))
                if value is not None:
                    yield _requirement(source, kind, level, value, name or target, start, end)


def _find(node: Any, key: str, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > 20:
        return
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key and isinstance(v, dict):
                yield v
            else:
                yield from _find(v, key, depth + 1)
    elif isinstance(node, list):
        for v in node:
            yield from _find(v, key, depth + 1)


def _requirement(
    source: SourceFile, kind: str, level: str, value: str, service: str | None, start: int, end: int
) -> ResourceRequirement:
    resource: Literal["cpu", "memory"] = "cpu" if kind == "cpu" else "memory"
    return ResourceRequirement(
        service=service,
        summary=f"{resource} {level[:-1]} {value} set by a kustomize patch in {source.path}",
        citations=[source.cite(start, end)],
        resource=resource,
        request=value if level == "requests" else None,
        limit=value if level == "limits" else None,
    )


register(KustomizeAnalyzer())
