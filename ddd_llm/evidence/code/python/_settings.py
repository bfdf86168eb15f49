"""Python analyzer, part: settings classes (pydantic BaseSettings and their fields)."""

from __future__ import annotations

import ast

from ddd_llm.evidence.code.python._common import (
    _LIST_SUBSCRIPTS,
    _SCALAR_TYPES,
    _SECRET_TYPES,
    _TYPE_BOUNDS,
    ReaderBase,
    _flatten,
    _is_ellipsis,
    _is_none,
    _is_true,
    _keywords,
    _last_name,
    _Param,
    _SettingsConfig,
    _str,
    _TypeInfo,
    documented_range,
)


class SettingsReader(ReaderBase):
    """The reader's part for settings classes."""

    # --- pydantic settings ----------------------------------------------------------

    def _settings_config(self, cls: ast.ClassDef, depth: int = 0) -> _SettingsConfig:
        config = _SettingsConfig()
        for base in cls.bases:
            name = _last_name(base)
            if name in self.settings and name != cls.name and depth < 10:
                config = self._settings_config(self.settings[name], depth + 1)
                break
        options: dict[str, ast.expr] = {}
        for kw in cls.keywords:
            if kw.arg is not None:
                options[kw.arg] = kw.value
        for stmt in cls.body:
            if isinstance(stmt, ast.ClassDef) and stmt.name == "Config":
                for inner in stmt.body:
                    if (
                        isinstance(inner, ast.Assign)
                        and len(inner.targets) == 1
                        and isinstance(inner.targets[0], ast.Name)
                    ):
                        options[inner.targets[0].id] = inner.value
            value: ast.expr | None = None
            if isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "model_config" for t in stmt.targets
            ):
                value = stmt.value
            elif (
                isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and stmt.target.id == "model_config"
            ):
                value = stmt.value
            if isinstance(value, ast.Call):
                options.update(_keywords(value))
            elif isinstance(value, ast.Dict):
                for key, item in zip(value.keys, value.values, strict=True):
                    key_text = _str(key)
                    if key_text is not None:
                        options[key_text] = item
        if "env_prefix" in options:
            config.prefix = self.name_of(options["env_prefix"]) or ""
        if "case_sensitive" in options:
            config.case_sensitive = _is_true(options["case_sensitive"])
        if "env_nested_delimiter" in options:
            config.delimiter = self.name_of(options["env_nested_delimiter"]) or None
        return config

    def annotation(self, node: ast.AST | None, info: _TypeInfo | None = None) -> _TypeInfo:
        info = info or _TypeInfo()
        if node is not None:
            try:
                self._annotation(node, info, 0)
            except RecursionError:
                pass
            info.secret = info.secret or any(
                _last_name(part) in _SECRET_TYPES for part in ast.walk(node)
            )
        return info

    def _annotation(self, node: ast.AST, info: _TypeInfo, depth: int) -> None:
        if depth > 12:
            return
        text = _str(node)
        if text is not None:
            try:
                parsed = ast.parse(text, mode="eval").body
            except (SyntaxError, ValueError):
                return
            self._annotation(parsed, info, depth + 1)
            return
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            parts = [part for part in (node.left, node.right) if not _is_none(part)]
            if parts:
                self._annotation(parts[0], info, depth + 1)
            return
        if isinstance(node, ast.Subscript):
            base = _last_name(node.value) or ""
            args = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
            if base in ("Optional", "Final", "Required", "NotRequired"):
                self._annotation(args[0], info, depth + 1)
            elif base == "ClassVar":
                info.class_var = True
            elif base == "Union":
                parts = [part for part in args if not _is_none(part)]
                if parts:
                    self._annotation(parts[0], info, depth + 1)
            elif base == "Annotated":
                self._annotation(args[0], info, depth + 1)
                for meta in args[1:]:
                    self._constraint(meta, info)
            elif base == "Literal":
                info.value_type = "enum"
                info.allowed = [
                    value for value in (self.text(arg) for arg in _flatten(args)) if value
                ]
            elif base in _LIST_SUBSCRIPTS:
                info.value_type = "list"
            elif base in _SECRET_TYPES:
                info.secret = True
            return
        if isinstance(node, ast.Call):
            info.value_type = _SCALAR_TYPES.get(_last_name(node.func) or "", "string")
            self._bounds(_keywords(node), info)
            return
        name = _last_name(node)
        if name is None:
            return
        if name in _SCALAR_TYPES:
            info.value_type = _SCALAR_TYPES[name]
            low, high = _TYPE_BOUNDS.get(name, (None, None))
            info.low = low if info.low is None else info.low
            info.high = high if info.high is None else info.high
        elif name in self.enums:
            info.value_type = "enum"
            info.allowed = list(self.enums[name].values()) or None
        elif name in self.classes:
            info.nested = name

    def _constraint(self, meta: ast.expr, info: _TypeInfo) -> None:
        if not isinstance(meta, ast.Call):
            return
        name = _last_name(meta.func)
        keywords = _keywords(meta)
        if name == "Field":
            info.fields.append(meta)
            self._bounds(keywords, info)
        elif name in ("Ge", "Gt") and meta.args:
            info.low = self.number(meta.args[0])
        elif name in ("Le", "Lt") and meta.args:
            info.high = self.number(meta.args[0])
        elif name == "Interval":
            self._bounds(keywords, info)

    def _bounds(self, keywords: dict[str, ast.expr], info: _TypeInfo) -> None:
        for key in ("ge", "gt"):
            if key in keywords and self.number(keywords[key]) is not None:
                info.low = self.number(keywords[key])
        for key in ("le", "lt"):
            if key in keywords and self.number(keywords[key]) is not None:
                info.high = self.number(keywords[key])

    def read_settings(self) -> None:
        for cls in self.settings.values():
            config = self._settings_config(cls)
            for stmt in cls.body:
                self._settings_field(cls, stmt, config, "", 0, set())

    def _settings_field(
        self,
        cls: ast.ClassDef,
        stmt: ast.stmt,
        config: _SettingsConfig,
        outer: str,
        depth: int,
        seen: set[str],
    ) -> None:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            name, annotation, value = stmt.target.id, stmt.annotation, stmt.value
        elif (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
            and isinstance(stmt.value, ast.Constant)
            and not outer
        ):
            # pydantic v1 takes un-annotated class attributes with a default as fields
            name, annotation, value = stmt.targets[0].id, None, stmt.value
        else:
            return
        if name.startswith("_") or name in ("model_config", "Config"):
            return
        info = self.annotation(annotation)
        if info.class_var:
            return
        field_call = (
            value if isinstance(value, ast.Call) and _last_name(value.func) == "Field" else None
        )
        calls = [*info.fields, *([field_call] if field_call is not None else [])]
        keywords: dict[str, ast.expr] = {}
        for call in calls:
            keywords.update(_keywords(call))
            self._bounds(_keywords(call), info)
        default: ast.expr | None = value
        has_default = value is not None
        if field_call is not None:
            default = keywords.get("default", field_call.args[0] if field_call.args else None)
            has_default = (default is not None and not _is_ellipsis(default)) or (
                "default_factory" in keywords
            )
        if _is_ellipsis(default):
            default, has_default = None, False
        aliases = self._aliases(keywords) if not outer else []
        nested = info.nested
        if nested is not None and nested in self.settings:
            return  # a settings class of its own: its fields are read with its own prefix
        names = aliases or [f"{outer}{config.prefix if not outer else ''}{name}"]
        if not config.case_sensitive:
            names = list(dict.fromkeys(alias.upper() for alias in names))
        nested_cls = self.classes.get(nested) if nested else None
        if nested_cls is not None and config.delimiter and depth < 3 and nested not in seen:
            for inner in nested_cls.body:
                self._settings_field(
                    nested_cls,
                    inner,
                    config,
                    names[0] + config.delimiter,
                    depth + 1,
                    {*seen, nested_cls.name},
                )
            return
        if info.value_type == "string" and annotation is None:
            info.value_type = self.literal_type(default) or "string"
        default_text = None
        if default is not None and not (
            isinstance(default, ast.Call) and _last_name(default.func) == "Field"
        ):
            default_text = self.text(default)
        for env_name in names:
            param = _Param(
                name=env_name,
                value_type=info.value_type,
                default=default_text,
                required=not has_default,
                allowed=info.allowed,
                secret=info.secret,
            )
            param.set_range(info.low, info.high, "declared")
            if param.range_source is None:
                low, high = documented_range(
                    _str(keywords.get("description")) or self._trailing_comment(stmt)
                )
                param.set_range(low, high, "documented")
            self.param(param, stmt, f"Settings field {cls.name}.{name} from env var")

    def _aliases(self, keywords: dict[str, ast.expr]) -> list[str]:
        for key in ("env", "validation_alias", "alias"):
            node = keywords.get(key)
            if node is None:
                continue
            text = self.name_of(node)
            if text:
                return [text]
            if isinstance(node, ast.List | ast.Tuple | ast.Set):
                names = [value for value in (self.name_of(elt) for elt in node.elts) if value]
            elif isinstance(node, ast.Call) and _last_name(node.func) == "AliasChoices":
                names = [value for value in (self.name_of(arg) for arg in node.args) if value]
            else:
                names = []
            if names:
                return names
        return []

    def _trailing_comment(self, stmt: ast.stmt) -> str | None:
        end = stmt.end_lineno
        end_col = stmt.end_col_offset
        if end is None or end_col is None or end > len(self._lines):
            return None
        rest = self._lines[end - 1].encode()[end_col:].decode(errors="replace").strip()
        return rest[1:] if rest.startswith("#") else None
