"""A YAML configuration file an image ships: `COPY examples/app.yml /etc/app/app.yml` in a
Dockerfile, the copy's destination passed to the program (`CMD ["--config.file=/etc/app/
app.yml"]`) or put under `/etc/`. Such a file is the configuration the container runs with,
so each of its keys is a configuration parameter with the value it ships.

A YAML file no Dockerfile ships is left to the analyzers of its own format (Spring, Helm,
compose, Kubernetes) or to the model: most YAML in a repository configures something else
(CI, linters, fixtures). Dockerfiles and YAML files are joined in `finish()`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from ddd_llm.evidence.base import AnalyzerResult, SourceFile, register, scalar_text
from ddd_llm.evidence.config_files._common import TEST_DIRS, Setting, comment_above, parameters
from ddd_llm.evidence.deploy.dockerfile import (
    _DOCKERFILE_NAME,
    _json_list,
    _words,
    parse_instructions,
)
from ddd_llm.evidence.yamlpos import YamlList, YamlMap, YamlParseError, load_documents
from ddd_llm.models import FactBase

_MAX_YAML = 400
"""YAML files kept until `finish` (their text): a repository with more ships few of them."""
_MAX_BYTES = 200_000
_OTHER_FORMAT = re.compile(r"(?m)^(?:apiVersion|kind|services|version|on|jobs|steps):")
"""Top-level keys of compose, Kubernetes and CI files: their own analyzers read them."""
_SPRING = re.compile(r"^(application|bootstrap)([-.].*)?\.ya?ml$")


@dataclass(frozen=True)
class _Copy:
    dockerfile: str
    source: str
    dest: str
    shipped_as_config: bool


class ShippedConfigAnalyzer:
    """YAML files a Dockerfile copies into the image as the program's configuration."""

    name = "shipped_config"

    def __init__(self) -> None:
        self.yaml: dict[str, str] = {}
        self.copies: list[_Copy] = []

    def accepts(self, source: SourceFile) -> bool:
        if TEST_DIRS.search(source.path) or len(source.text) > _MAX_BYTES:
            return False
        if _DOCKERFILE_NAME.match(source.name):
            return bool(re.search(r"(?im)^\s*(?:COPY|ADD)\s", source.text))
        return source.is_yaml and not _SPRING.match(source.name) and len(self.yaml) < _MAX_YAML

    def analyze(self, source: SourceFile) -> AnalyzerResult:
        result = AnalyzerResult()
        if source.is_yaml:
            if not _OTHER_FORMAT.search(source.text):
                self.yaml[source.path] = source.text
            return result
        scratch = AnalyzerResult()  # the Dockerfile analyzer reports its own warnings
        instructions = parse_instructions(source, scratch, self.name)
        runs = " ".join(i.args for i in instructions if i.keyword.upper() in ("CMD", "ENTRYPOINT"))
        context = str(PurePosixPath(source.path).parent)
        for instruction in instructions:
            if instruction.keyword.upper() not in ("COPY", "ADD"):
                continue
            words = _json_list(instruction.args.strip()) or _words(instruction.args)
            paths = [w for w in words if not w.startswith("--")]
            if len(paths) != 2:
                continue  # several sources, or none: not one file copied to one place
            src, dest = paths
            if dest.endswith("/"):
                dest += PurePosixPath(src).name
            shipped = dest in runs or dest.startswith("/etc/")
            self.copies.append(_Copy(source.path, _in_context(context, src), dest, shipped))
        return result

    def finish(self) -> AnalyzerResult:
        result = AnalyzerResult()
        seen: set[str] = set()
        for copy in self.copies:
            if not copy.shipped_as_config or copy.source in seen:
                continue
            text = self.yaml.get(copy.source)
            if text is None:
                continue
            seen.add(copy.source)
            result.facts.extend(_parameters(SourceFile(copy.source, text), copy.dest))
        self.yaml.clear()
        self.copies.clear()
        return result


def _in_context(context: str, src: str) -> str:
    """A COPY source as a repository path: relative to the Dockerfile's folder when the
    Dockerfile is not at the root (the usual build context), else to the root."""
    src = src.lstrip("./") if src.startswith("./") else src
    if context in ("", "."):
        return src
    return f"{context}/{src}"


def _parameters(source: SourceFile, dest: str) -> list[FactBase]:
    try:
        documents = load_documents(source.text)
    except YamlParseError:
        return []
    facts: list[FactBase] = []
    for doc in documents:
        if not isinstance(doc.data, YamlMap):
            continue
        for name, value, start, end in _leaves(source, doc.data, ""):
            setting = Setting(
                name=name,
                value=value,
                start=start,
                end=end,
                description=comment_above(source.lines, start - 1),
            )
            facts.extend(parameters(source, setting, f"key of the configuration shipped as {dest}"))
    return facts


def _leaves(
    source: SourceFile, node: YamlMap, prefix: str
) -> list[tuple[str, str | None, int, int]]:
    """(dotted name, value as written, first line, last line) of every leaf; a list of
    scalars as written on its line (`['alertname']`), a list of objects as one setting."""
    out: list[tuple[str, str | None, int, int]] = []
    for key, value in node.items():
        span = node.line_of(key)
        name = f"{prefix}{key}"
        if isinstance(value, YamlMap) and value:
            out.extend(_leaves(source, value, f"{name}."))
        elif isinstance(value, YamlList):
            written = None
            if all(not isinstance(v, (dict, list)) for v in value):
                line = source.lines[span.start - 1] if span.start <= len(source.lines) else ""
                after = line.split(":", 1)[1].split(" #", 1)[0].strip() if ":" in line else ""
                written = (
                    after
                    if after.startswith("[")
                    else ",".join(scalar_text(v) or "" for v in value)
                )
            out.append((name, written or None, span.start, span.end))
        elif isinstance(value, YamlMap):
            out.append((name, None, span.start, span.end))
        else:
            out.append((name, scalar_text(value), span.start, span.end))
    return out


register(ShippedConfigAnalyzer())
