"""Go values that live in another package of the same module: a flag's default written as
`cluster.DefaultGossipInterval.String()` or `app.DefaultAddr` is resolved through the
exported package-level constants of the directory that import path names.

`time.Duration` constants (`200 * time.Millisecond`) read as `.String()` prints them
(`200ms`, `1m0s`, `6h0m0s`), the text an operator sees in `--help`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from ddd_llm.evidence.code import _ts
from ddd_llm.evidence.code._go_duration import as_string_call
from ddd_llm.evidence.code._go_read import GoFile

_REFERENCE = re.compile(r"^(?P<alias>[A-Za-z_]\w*)\.(?P<name>[A-Z]\w*)(?P<string>\.String\(\))?$")
"""`pkg.Name` or `pkg.Name.String()`: an exported value of another package."""
_MAX_PENDING = 2000


def exported_consts(f: GoFile) -> dict[str, tuple[str, str, int]]:
    """The file's package-level exported constants (and `var`s) with a literal value, with
    the file and line that declare them."""
    out: dict[str, tuple[str, str, int]] = {}
    for decl in f.root.named_children:
        if decl.type not in ("const_declaration", "var_declaration"):
            continue
        for spec in _ts.walk(decl):
            if spec.type not in ("const_spec", "var_spec"):
                continue
            names = spec.children_by_field_name("name")
            if len(names) != 1:
                continue
            name = _ts.text(names[0])
            if name[:1].isupper() and name in f.consts:
                value, line = f.consts[name]
                out[name] = (value, f.source.path, line)
    return out


def reference(default: str | None, imports: dict[str, str]) -> tuple[str, str, bool] | None:
    """(import path, name, whether `.String()` is called) of a default written as another
    package's exported value; None for anything else or a standard-library package."""
    if default is None:
        return None
    match = _REFERENCE.match(default)
    if match is None:
        return None
    path = imports.get(match.group("alias"))
    if path is None or "." not in path.split("/", 1)[0]:
        return None  # the standard library (`time.Second`) is not this module's code
    return path, match.group("name"), bool(match.group("string"))


@dataclass
class Packages:
    """Exported constants per package directory, and the module path go.mod declares."""

    consts: dict[str, dict[str, tuple[str, str, int]]] = field(default_factory=dict)
    """folder → name → (value, file, line)."""
    modules: dict[str, str] = field(default_factory=dict)
    """go.mod directory → module path."""

    def add_file(self, f: GoFile) -> None:
        found = exported_consts(f)
        if found and sum(len(v) for v in self.consts.values()) < _MAX_PENDING * 10:
            folder = str(PurePosixPath(f.source.path).parent)
            folder = "" if folder == "." else folder
            self.consts.setdefault(folder, {}).update(found)

    def add_module(self, path: str, text: str) -> None:
        match = re.search(r"(?m)^module\s+(\S+)", text)
        if match:
            folder = str(PurePosixPath(path).parent)
            self.modules["" if folder == "." else folder] = match.group(1).strip('"')

    def folder_of(self, import_path: str) -> str | None:
        """The repository folder an import path names: exactly, through a go.mod's module
        path; else the folder whose path is the longest tail of the import path."""
        for root, module in self.modules.items():
            if import_path == module or import_path.startswith(module + "/"):
                rest = import_path[len(module) :].strip("/")
                folder = "/".join(p for p in (root, rest) if p)
                return folder if folder in self.consts else None
        if self.modules:
            return None  # a module is known and this path is not in it: another module's code
        tails = [d for d in self.consts if d and ("/" + import_path).endswith("/" + d)]
        return max(tails, key=len) if tails else None

    def resolve(
        self, import_path: str, name: str, string_call: bool
    ) -> tuple[str, tuple[str, int]] | None:
        """The constant's value (printed as `.String()` prints it when called so) and the
        file and line declaring it; None when the package or the name is not in the repo."""
        folder = self.folder_of(import_path)
        if folder is None:
            return None
        found = self.consts[folder].get(name)
        if found is None:
            return None
        value, path, line = found
        if string_call:
            printed = as_string_call(value)
            if printed is None:
                return None
            value = printed
        return value, (path, line)

    def clear(self) -> None:
        self.consts.clear()
        self.modules.clear()
