"""Turns the captures of the `java-*.scm` / `kotlin-*.scm` queries into parameters, health
endpoints and ports (the JVM analyzer's reader; `_jvm_syntax` hides the grammar)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import tree_sitter as ts

from ddd_llm.evidence.base import is_health_path, parse_number
from ddd_llm.evidence.code import _ts
from ddd_llm.evidence.code._jvm_around import (
    Around,
    around,
    assigned_name,
    later_uses,
)
from ddd_llm.evidence.code._jvm_facts import (
    Collector,
    CrossFile,
    Param,
    one_line,
    reads_through_helper,
    scalar_type,
)
from ddd_llm.evidence.code._jvm_syntax import Args, Decl, KotlinSyntax, Syntax
from ddd_llm.models import Number, ValueType

PLATFORM_ENV = frozenset(
    "PATH HOME USER USERNAME LOGNAME SHELL TERM PWD LANG TMPDIR TEMP TMP JAVA_HOME HOSTNAME "
    "COMPUTERNAME USERPROFILE APPDATA LOCALAPPDATA SYSTEMROOT CI DISPLAY".split()
)
_SYSTEM_PROPERTIES = re.compile(
    r"^(java|os|user|file|line|path|sun|jdk|jna|awt)\.|^(user\.dir|user\.home)$"
)
"""JVM-provided system properties (`java.version`, `user.home`): read, never set by an operator."""

_REQUIRED_MARKS = frozenset({"NotNull", "NotBlank", "NotEmpty", "NonNull"})
_MAX_NESTING = 4
_PLACEHOLDER_ANNOTATIONS_SKIPPED = frozenset({"SpringBootTest", "TestPropertySource"})
_CLIKT_TYPES: dict[str, ValueType] = {
    "int": "int",
    "long": "int",
    "uint": "int",
    "ulong": "int",
    "counted": "int",
    "double": "float",
    "float": "float",
    "boolean": "bool",
    "flag": "bool",
    "multiple": "list",
    "split": "list",
    "file": "string",
    "path": "string",
    "enum": "enum",
    "choice": "enum",
}
"""Clikt conversions chained on an option, to the value type they give."""
_HOLDER = re.compile(r"(Properties|Settings|Options|Props)$")
"""Names of classes that hold settings, recorded for a binding made in another file."""


def kebab(name: str) -> str:
    """Spring's canonical property form: `heapSize` → `heap-size`, `max_size` → `max-size`."""
    dashed = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name)
    return dashed.replace("_", "-").lower()


def placeholders(text: str) -> Iterator[tuple[str, str | None, int]]:
    """`${a.b:5}` → ("a.b", "5"); `${A:${B:d}}` → ("A", "d"), ("B", "d"): each name with the
    literal it finally falls back to, and its depth."""
    yield from _placeholders(text, 0)


def _placeholders(text: str, depth: int) -> Iterator[tuple[str, str | None, int]]:
    index = 0
    while depth < _MAX_NESTING:
        start = text.find("${", index)
        if start < 0:
            return
        end = _closing(text, start + 2)
        if end < 0:
            return
        body = text[start + 2 : end]
        name, sep, fallback = _split_default(body)
        final = _final_default(fallback) if sep else None
        yield name.strip(), final, depth
        if sep:
            yield from _placeholders(fallback, depth + 1)
        index = end + 1


def _closing(text: str, pos: int) -> int:
    depth = 1
    while pos < len(text):
        if text.startswith("${", pos):
            depth += 1
            pos += 2
            continue
        if text[pos] == "}":
            depth -= 1
            if depth == 0:
                return pos
        pos += 1
    return -1


def _split_default(body: str) -> tuple[str, str, str]:
    depth = 0
    for i, ch in enumerate(body):
        if body.startswith("${", i):
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == ":" and depth == 0:
            return body[:i], ":", body[i + 1 :]
    return body, "", ""


def _final_default(fallback: str) -> str | None:
    """What `${B:d}` finally gives when nothing is set: `d`; a plain text stays itself."""
    inner = fallback.strip()
    if inner.startswith("${") and inner.endswith("}"):
        _, sep, rest = _split_default(inner[2:-1])
        return _final_default(rest) if sep else None
    return fallback


class JvmReader:
    """One Java or Kotlin file's reads, turned into parameters on a `Collector`."""

    def __init__(
        self, syntax: Syntax, root: ts.Node, out: Collector, cross: CrossFile | None = None
    ) -> None:
        self.syntax = syntax
        self.root = root
        self.out = out
        self.cross = cross
        self.bound: set[str] = set()
        self.lang = syntax.lang
        self.enums = syntax.enum_constants(root)
        self.classes: dict[str, ts.Node] = {}
        for node in _ts.walk(root):
            if node.type in syntax.class_types or node.type == "enum_declaration":
                self.classes.setdefault(syntax.class_name(node), node)

    def read(self) -> None:
        for match in _ts.matches(self.lang, "env", self.root):
            self._env(match)
        for match in _ts.matches(self.lang, "config", self.root):
            self._config(match)
        if self.lang == "kotlin":
            self._detached_properties()
        self._holder_classes()
        for match in _ts.matches(self.lang, "flags", self.root):
            self._flag(match)
        for match in _ts.matches(self.lang, "health", self.root):
            self._route(match)
        for match in _ts.matches(self.lang, "ports", self.root):
            self._port(match)

    # --- environment and properties --------------------------------------------------

    def _env(self, match: _ts.Match) -> None:
        read, name_node = match.node("read"), match.node("name")
        if read is None or name_node is None:
            return
        name = self.syntax.string(name_node)
        if name is None:
            if not self._through_helper(read, name_node, "environment variable"):
                self.out.candidate(
                    read, f"environment variable read with a computed name: {_short(name_node)}"
                )
            return
        if name in PLATFORM_ENV or not name:
            return
        self._add_read(name, "environment variable", read, match.node("default"), None)

    def _config(self, match: _ts.Match) -> None:
        if match.node("prop") is not None:
            self._property(match)
        elif match.node("placeholder") is not None:
            self._placeholder(match)
        elif match.node("props_target") is not None:
            self._properties_class(match)
        elif match.node("config_property") is not None:
            self._config_property(match)
        elif match.node("conditional") is not None:
            self._conditional(match)

    def _property(self, match: _ts.Match) -> None:
        read, name_node = match.node("prop"), match.node("name")
        if read is None or name_node is None:
            return
        name = self.syntax.string(name_node)
        if name is None:
            if not self._through_helper(read, name_node, "property"):
                self.out.candidate(read, f"property read with a computed name: {_short(name_node)}")
            return
        if _SYSTEM_PROPERTIES.search(name):
            return
        value_type: ValueType | None = None
        owner = _ts.text(match.node("type"))
        if owner in ("Integer", "Long"):
            value_type = "int"
        elif owner == "Boolean":
            value_type = "bool"
        default: ts.Node | None = None
        for key in ("arg2", "arg3"):
            arg = match.node(key)
            if arg is None:
                continue
            class_name = _class_literal(arg)
            if class_name is not None:
                value_type = scalar_type(class_name) or value_type
            else:
                default = arg
        required = "getRequiredProperty" in _ts.text(read).split("(", 1)[0]
        what = "JVM system property" if _ts.text(read).startswith("System.") else "property"
        self._add_read(name, what, read, default, value_type, required=required)

    def _add_read(
        self,
        name: str,
        what: str,
        read: ts.Node,
        default: ts.Node | None,
        value_type: ValueType | None,
        *,
        required: bool = False,
    ) -> None:
        found: Around = self._around(read)
        default_node = default if default is not None else found.default
        default_text = self.syntax.literal(default_node) if default_node is not None else None
        if default_text is None:
            default_text = found.default_text
        param = Param(
            name=name,
            what=what,
            start=_ts.line(read),
            end=_ts.end_line(read),
            value_type=value_type or found.value_type,
            default=default_text,
            required=required or found.required,
        )
        self.out.add(param)

    def _around(self, read: ts.Node) -> Around:
        """What wraps the read, or, when it is stored in a variable first (`String port =
        System.getenv("PORT"); ... port != null ? port : "8080"`), what wraps its uses."""
        found = around(read)
        name = assigned_name(read)
        if name is None or (found.default is not None and found.value_type is not None):
            return found
        for use in later_uses(read, name):
            more = around(use)
            if found.default is None and self.syntax.literal(more.default) is not None:
                found.default = more.default
            found.value_type = found.value_type or more.value_type
            found.required = found.required or more.required
        return found

    def _through_helper(self, read: ts.Node, name_node: ts.Node, what: str) -> bool:
        """`static String env(String key, String fallback) { return Optional.ofNullable(
        System.getenv(key)).orElse(fallback); }`: each call `env("PORT", "8080")` in the
        file is a read of PORT with default 8080. False when no call names a literal."""
        return reads_through_helper(
            self.root,
            read,
            name_node,
            what,
            syntax=self.syntax,
            around=self._around,
            out=self.out,
            name_types=("identifier", "simple_identifier"),
        )

    # --- annotations -----------------------------------------------------------------

    def _placeholder(self, match: _ts.Match) -> None:
        string_node, annotation = match.node("placeholder"), match.node("annotation")
        if string_node is None:
            return
        text = self.syntax.string(string_node)
        name = _ts.text(annotation).rsplit(".", 1)[-1] if annotation is not None else ""
        if text is None or name in _PLACEHOLDER_ANNOTATIONS_SKIPPED:
            return
        whole = string_node.parent
        while whole is not None and whole.type not in ("annotation", "marker_annotation"):
            whole = whole.parent
        decl = self.syntax.declaration_of(whole) if whole is not None and name == "Value" else None
        for key, default, depth in placeholders(text):
            if not key or " " in key or key.startswith(("#", "'")):
                continue
            param = Param(
                name=key,
                what="Spring property" if name == "Value" else f"@{name} property",
                start=_ts.line(string_node),
                end=_ts.end_line(string_node),
                default=default,
            )
            if decl is not None and depth == 0:
                self._typed_from(param, decl)
            if name == "Value" and "split(" in text:
                param.value_type = "list"
            self.out.add(param)

    def _typed_from(self, param: Param, decl: Decl) -> None:
        """Type, allowed values and bounds of the field, parameter or setter a value binds to."""
        value_type = scalar_type(decl.type_text) if decl.type_text else None
        enum = self.enums.get(_bare_type(decl.type_text))
        if enum:
            param.value_type, param.allowed = "enum", list(enum)
        elif value_type is not None:
            param.value_type = value_type
        if param.default is None and decl.value is not None:
            param.default = self.syntax.literal(decl.value)
        self._constraints(param, decl.annotations)

    def _constraints(self, param: Param, annotations: list[ts.Node]) -> None:
        """Bean Validation on a bound member: @Min/@Max/@Positive/@Range/@Size/@DurationMin,
        @NotNull and friends (a value is required)."""
        for annotation in annotations:
            name = self.syntax.annotation_name(annotation)
            args = self.syntax.annotation_args(annotation)
            if name in _REQUIRED_MARKS:
                param.required = True
                continue
            low, high = _bounds(name, args, self.syntax, param.kind())
            if low is not None or high is not None:
                param.set_range(low, high, "declared")
                if name.startswith("Duration"):
                    param.unit = "s"
            if name == "DefaultValue" and param.default is None:
                param.default = ",".join(self.syntax.strings(args.get("value", index=0))) or None
            if name == "WithDefault" and param.default is None:
                param.default = self.syntax.string(args.get("value", index=0))

    def _config_property(self, match: _ts.Match) -> None:
        annotation = match.node("config_annotation")
        if annotation is None:
            return
        args = self.syntax.annotation_args(annotation)
        micronaut = self.syntax.annotation_name(annotation) == "Property"
        name = self.syntax.string(args.get("name", index=None if micronaut else 0))
        if not name:
            if not micronaut:
                self.out.candidate(annotation, "@ConfigProperty without a literal name")
            return
        param = Param(
            name=name,
            what="Micronaut property" if micronaut else "MicroProfile config property",
            start=_ts.line(annotation),
            end=_ts.end_line(annotation),
            default=self.syntax.string(args.get("defaultValue")),
        )
        decl = self.syntax.declaration_of(annotation)
        if decl is not None:
            self._typed_from(param, decl)
            optional = _bare_type(decl.type_text) == "Optional" or decl.type_text.endswith("?")
            if not optional and not micronaut and param.default is None:
                param.required = True
        self.out.add(param)

    def _conditional(self, match: _ts.Match) -> None:
        annotation = match.node("conditional")
        if annotation is None:
            return
        args = self.syntax.annotation_args(annotation)
        prefix = self.syntax.string(args.get("prefix")) or ""
        having = self.syntax.string(args.get("havingValue"))
        missing = _ts.text(args.get("matchIfMissing")) == "true"
        for name in self.syntax.strings(args.get("name", "value", index=0)):
            full = f"{prefix.rstrip('.')}.{name}" if prefix else name
            param = Param(
                name=full,
                what="@ConditionalOnProperty switch",
                start=_ts.line(annotation),
                end=_ts.end_line(annotation),
                value_type="bool" if (having or "true").lower() in ("true", "false") else None,
            )
            if missing:  # the bean is on when the property is not set at all
                param.default = having or "true"
            elif having:
                param.allowed = [having] if param.value_type != "bool" else None
            self.out.add(param)

    def _properties_class(self, match: _ts.Match) -> None:
        target = match.node("props_target")
        if target is None:
            return
        annotation = self._annotation_on(target, ("ConfigurationProperties", "ConfigMapping"))
        args = self.syntax.annotation_args(annotation) if annotation is not None else Args()
        prefix_node = args.get("prefix", "value", index=0)
        prefix = self.syntax.string(prefix_node) if prefix_node is not None else ""
        if prefix is None:
            self.out.candidate(
                target, "@ConfigurationProperties with a prefix that is not a literal"
            )
            return
        cls = target
        if target.type in ("method_declaration", "function_declaration"):
            return_type = _bare_type(_ts.text(target.child_by_field_name("type")))
            bound = self.classes.get(return_type)
            if bound is None:
                self.out.candidate(
                    target,
                    f"@ConfigurationProperties(prefix = {prefix!r}) binds "
                    f"{return_type or 'a type'} declared elsewhere: its fields are the "
                    "properties under that prefix",
                )
                if self.cross is not None and return_type:
                    cited = self.out.source.cite(_ts.line(target), _ts.end_line(target))
                    self.cross.bind(return_type, prefix, cited)
                return
            cls = bound
        self.bound.add(self.syntax.class_name(cls))
        self._bind_members(cls, prefix, 0)

    def _holder_classes(self) -> None:
        """Classes named like settings holders (`MailProperties`, `CacheSettings`) that no
        annotation of this file binds: a `@Bean @ConfigurationProperties` method of another
        file may bind them, which `CrossFile.finish` finds out."""
        if self.cross is None:
            return
        for name, cls in self.classes.items():
            if name in self.bound or not _HOLDER.search(name) or cls.type == "enum_declaration":
                continue
            if self._annotation_on(cls, ("ConfigurationProperties", "ConfigMapping")):
                continue
            found: list[Param] = []
            self._bind_members(cls, "", 0, found)
            if found:
                self.cross.declare(name, self.out.source, found)

    def _detached_properties(self) -> None:
        """Kotlin classes whose @ConfigurationProperties the grammar left outside the class."""
        for node in _ts.walk(self.root):
            if node.type != "class_declaration" or not isinstance(self.syntax, KotlinSyntax):
                continue
            for annotation in self.syntax.detached_annotations(node):
                if self.syntax.annotation_name(annotation) == "ConfigurationProperties":
                    args = self.syntax.annotation_args(annotation)
                    prefix = self.syntax.string(args.get("prefix", "value", index=0))
                    if prefix is not None:
                        self._bind_members(node, prefix, 0)

    def _annotation_on(self, decl: ts.Node, names: tuple[str, ...]) -> ts.Node | None:
        for annotation in self.syntax.annotations_of(decl):
            if self.syntax.annotation_name(annotation) in names:
                return annotation
        return None

    def _bind_members(
        self, cls: ts.Node, prefix: str, depth: int, sink: list[Param] | None = None
    ) -> None:
        """Bindable members as `prefix.kebab-name` (nested classes add a level); into `sink`,
        without candidates, when the class is only recorded for another file's binding."""
        nested = self.syntax.nested_classes(cls)
        for member in self.syntax.members(cls):
            if not member.name or member.name.startswith("$"):
                continue
            rename = self._annotation_on(member.node, ("WithName", "Name"))
            written = (
                self.syntax.string(self.syntax.annotation_args(rename).get("value", index=0))
                if rename
                else None
            )
            key = written or kebab(member.name)
            full = f"{prefix}.{key}" if prefix else key
            bare = _bare_type(member.type_text)
            value_type = scalar_type(member.type_text) if member.type_text else None
            inner_cls = nested.get(bare) or self.classes.get(bare)
            if value_type is None and inner_cls is not None and bare not in self.enums:
                if depth < _MAX_NESTING and inner_cls is not cls:
                    self._bind_members(inner_cls, full, depth + 1, sink)
                continue
            param = Param(
                name=full,
                what="@ConfigurationProperties field",
                start=_ts.line(member.node),
                end=_ts.end_line(member.node),
            )
            if value_type is None and bare not in self.enums and member.type_text:
                if bare in ("Map", "HashMap", "Properties", "MutableMap") or bare.endswith("Map"):
                    param.value_type = "string"
                elif member.value is None:
                    if sink is None:
                        self.out.candidate(
                            member.node,
                            f"property {full} has type {one_line(member.type_text, 40)} "
                            "declared elsewhere",
                        )
                    continue
            self._typed_from(param, member)
            if sink is not None:
                sink.append(param)
            else:
                self.out.add(param)

    # --- command-line flags -----------------------------------------------------------

    def _flag(self, match: _ts.Match) -> None:
        clikt = match.node("clikt_option")
        if clikt is not None:
            self._clikt(clikt)
            return
        annotation = match.node("flag_annotation")
        if annotation is None:
            return
        args = self.syntax.annotation_args(annotation)
        names = self.syntax.strings(args.get("names", "name", "longName"))
        names += self.syntax.strings(args.get("aliases"))
        flags = [name for name in names if name.startswith("-")]
        if not flags:
            return  # another library's @Option/@Parameter (OpenAPI, JUnit)
        name = max(flags, key=lambda flag: (flag.startswith("--"), len(flag)))
        description = " ".join(self.syntax.strings(args.get("description", "usage", "help")))
        param = Param(
            name=name,
            what="command-line option",
            start=_ts.line(annotation),
            end=_ts.end_line(annotation),
            default=self.syntax.string(args.get("defaultValue")),
            required=_ts.text(args.get("required")) == "true",
            help=description or None,
        )
        decl = self.syntax.declaration_of(annotation)
        if decl is not None:
            self._typed_from(param, decl)
            if decl.node.type != "method_declaration":  # the annotation and its field
                param.end = max(param.end, _ts.end_line(decl.node))
        if param.default is not None:
            for key, fallback, _ in placeholders(param.default):
                if key.startswith("env:"):  # picocli `${env:PORT:-8080}`
                    env_name, _, env_default = key[4:].partition(":-")
                    self.out.add(
                        Param(
                            env_name,
                            "environment variable",
                            param.start,
                            param.end,
                            default=env_default or fallback,
                        )
                    )
        self.out.add(param)

    def _clikt(self, call: ts.Node) -> None:
        """A Clikt option and the calls chained on it: `.int()`, `.flag()`, `.choice(..)`,
        `.restrictTo(1..10)`, `.default(x)`, `.required()`, `.multiple()`."""
        args = self.syntax.call_args(call)
        flags = [text for text in map(self.syntax.string, args.positional) if text]
        if not flags or not all(flag.startswith("-") for flag in flags):
            return
        param = Param(
            name=max(flags, key=lambda flag: (flag.startswith("--"), len(flag))),
            what="command-line option",
            start=_ts.line(call),
            end=_ts.end_line(call),
            help=self.syntax.string(args.named.get("help")),
        )
        node = call
        for _ in range(12):
            navigation, outer = node.parent, node.parent.parent if node.parent else None
            if navigation is None or outer is None or navigation.type != "navigation_expression":
                break
            if outer.type != "call_expression":
                break
            self._clikt_step(param, _ts.text(navigation.named_children[-1]), outer)
            param.end = _ts.end_line(outer)
            node = outer
        env = self.syntax.string(args.named.get("envvar"))
        if env:
            self.out.add(
                Param(
                    env,
                    "environment variable",
                    param.start,
                    param.end,
                    value_type=param.value_type,
                    default=param.default,
                )
            )
        self.out.add(param)

    def _clikt_step(self, param: Param, method: str, call: ts.Node) -> None:
        args = self.syntax.call_args(call).positional
        if method in _CLIKT_TYPES:
            param.value_type = _CLIKT_TYPES[method]
        if method == "choice":
            param.allowed = [text for text in map(self.syntax.string, args) if text] or None
        elif method == "default" and args:
            param.default = self.syntax.literal(args[0])
        elif method == "required":
            param.required = True
        elif method == "restrictTo" and args and args[0].type == "range_expression":
            bounds = args[0].named_children
            if len(bounds) == 2:
                param.set_range(
                    self.syntax.number(bounds[0]), self.syntax.number(bounds[1]), "declared"
                )

    # --- health routes ----------------------------------------------------------------

    def _route(self, match: _ts.Match) -> None:
        annotation = match.node("mapping_annotation")
        if annotation is not None:
            self._mapped_route(annotation)
            return
        call, route = match.node("route_call"), match.node("route")
        path = self.syntax.string(route)
        if call is not None and path is not None:
            self._health(path, call, "route")

    def _mapped_route(self, annotation: ts.Node) -> None:
        name = self.syntax.annotation_name(annotation)
        modifiers = annotation.parent
        decl = modifiers.parent if modifiers is not None else None
        if decl is None or decl.type not in ("method_declaration", "function_declaration"):
            return  # a class-level mapping is a prefix, read with its methods
        args = self.syntax.annotation_args(annotation)
        methods = _ts.text(args.get("method"))
        if name == "RequestMapping" and methods and "GET" not in methods:
            return
        siblings = {self.syntax.annotation_name(a) for a in self.syntax.annotations_of(decl)}
        if name == "Path" and "GET" not in siblings:
            return
        paths = self.syntax.strings(args.get("value", "path", "uri", index=0)) or [""]
        prefix = self._class_prefix(decl)
        for path in paths:
            full = _join(prefix, path)
            self._health(full, decl, f"@{name}")

    def _class_prefix(self, decl: ts.Node) -> str:
        cls = self.syntax.enclosing_class(decl)
        if cls is None:
            return ""
        for annotation in self.syntax.annotations_of(cls):
            if self.syntax.annotation_name(annotation) in ("RequestMapping", "Path", "Controller"):
                args = self.syntax.annotation_args(annotation)
                found = self.syntax.strings(args.get("value", "path", index=0))
                if found:
                    return found[0]
        return ""

    def _health(self, path: str, node: ts.Node, what: str) -> None:
        if "{" in path or ":" in path.split("/")[-1] or not is_health_path(path):
            return
        target = path if path.startswith("/") else "/" + path
        start, end = _ts.line(node), _ts.end_line(node)
        if node.type in ("method_declaration", "function_declaration"):
            end = min(end, start + 3)  # the mapping and the signature, not the whole body
        self.out.health_check(target, what, start, end)

    # --- ports and defaults set in code ------------------------------------------------

    def _port(self, match: _ts.Match) -> None:
        listen, port_node = match.node("listen"), match.node("port")
        if listen is not None and port_node is not None:
            port = self.syntax.number(port_node)
            if isinstance(port, int):
                self.out.port(
                    port, "server started in code", _ts.line(listen), _ts.end_line(listen)
                )
            return
        defaults, call = match.node("defaults"), match.node("default_props")
        if defaults is not None and call is not None:
            self._defaults(defaults, call)

    def _defaults(self, arguments: ts.Node, call: ts.Node) -> None:
        pairs = list(self._pairs(arguments))
        for arg in self.syntax.args_of(arguments).positional:
            text = self.syntax.string(arg) if arg.type == "string_literal" else None
            key, sep, value = (text or "").partition("=")
            if sep and re.match(r"^[\w.-]+$", key):  # builder.properties("server.port=8081")
                pairs.append((key, value, arg))
            elif arg.type in ("identifier", "simple_identifier"):  # a Map filled just before
                filled = self._pairs(_scope(call))
                pairs += [p for p in filled if _ts.text(p[2]).startswith(_ts.text(arg) + ".")]
        for key, default, node in pairs:
            param = Param(
                name=key,
                what="Spring default property set in code",
                start=_ts.line(node),
                end=_ts.end_line(node),
                default=default,
            )
            self.out.add(param)
            if key == "server.port" and default is not None:
                port = parse_number(default)
                if isinstance(port, int):
                    self.out.port(
                        port, "server.port set in code", _ts.line(node), _ts.end_line(node)
                    )

    def _pairs(self, root: ts.Node) -> Iterator[tuple[str, str | None, ts.Node]]:
        """`Map.of("k", "v")`, `singletonMap`, `put`/`setProperty("k", v)`, `"k" to "v"`,
        and `"k=v"` strings: the property defaults a SpringApplication is given in code."""
        for node in _ts.walk(root):
            kind = node.type
            if kind in ("method_invocation", "call_expression"):
                name = _call_name(node)
                if name in (
                    "of",
                    "singletonMap",
                    "put",
                    "setProperty",
                    "entry",
                    "mapOf",
                    "hashMapOf",
                    "mutableMapOf",
                    "ofEntries",
                ):
                    args = self.syntax.call_args(node).positional
                    for index in range(0, len(args) - 1, 2):
                        key = self.syntax.string(args[index])
                        if key and re.match(r"^[\w.\[\]-]+$", key):
                            yield key, self.syntax.literal(args[index + 1]), node
            elif kind == "infix_expression" and len(node.named_children) == 3:
                left, op, right = node.named_children
                key = self.syntax.string(left)
                if _ts.text(op) == "to" and key:
                    yield key, self.syntax.literal(right), node


def _bounds(
    name: str, args: Args, syntax: Syntax, value_type: ValueType
) -> tuple[Number | None, Number | None]:
    value = args.get("value", index=0)
    if name in ("Min", "DecimalMin"):
        return syntax.number(value), None
    if name in ("Max", "DecimalMax"):
        return None, syntax.number(value)
    if name == "Positive":
        return (1 if value_type == "int" else 0), None
    if name == "PositiveOrZero":
        return 0, None
    if name == "Negative":
        return None, (-1 if value_type == "int" else 0)
    if name == "NegativeOrZero":
        return None, 0
    if name in ("Range", "Size", "Length"):
        return syntax.number(args.get("min")), syntax.number(args.get("max"))
    if name in ("DurationMin", "DurationMax"):
        seconds = _duration_args(args, syntax)
        return (seconds, None) if name == "DurationMin" else (None, seconds)
    return None, None


_DURATION_ATTRS = {
    "days": 86400,
    "hours": 3600,
    "minutes": 60,
    "seconds": 1,
    "millis": 0.001,
    "nanos": 1e-9,
}


def _duration_args(args: Args, syntax: Syntax) -> Number | None:
    total: float = 0
    seen = False
    for attr, factor in _DURATION_ATTRS.items():
        number = syntax.number(args.named.get(attr))
        if number is not None:
            total += number * factor
            seen = True
    if not seen:
        return None
    return int(total) if float(total).is_integer() else round(total, 6)


def _class_literal(node: ts.Node) -> str | None:
    """`Integer.class` (Java) or `Int::class.java` / `Int::class` (Kotlin) → the type name."""
    text = _ts.text(node)
    match = re.match(r"^([\w.]+?)(?:\.class|::class(?:\.java|\.javaObjectType)?)$", text)
    return match.group(1).rsplit(".", 1)[-1] if match else None


def _bare_type(type_text: str) -> str:
    """`Optional<Cache>` → `Optional`, `com.x.Mode?` → `Mode`, `List<String>` → `List`."""
    head = re.split(r"[<\[?(]", type_text.strip(), maxsplit=1)[0]
    return head.rsplit(".", 1)[-1].strip()


def _join(prefix: str, path: str) -> str:
    if not prefix:
        return path
    if not path:
        return prefix
    return prefix.rstrip("/") + "/" + path.lstrip("/")


def _call_name(node: ts.Node) -> str:
    if node.type == "method_invocation":
        return _ts.text(node.child_by_field_name("name"))
    head = node.named_children[0] if node.named_children else None
    if head is None:
        return ""
    if head.type == "navigation_expression" and head.named_children:
        return _ts.text(head.named_children[-1])
    return _ts.text(head) if head.type in ("identifier", "simple_identifier") else ""


def _scope(node: ts.Node) -> ts.Node:
    current = node
    while current.parent is not None and current.type not in (
        "method_declaration",
        "constructor_declaration",
        "function_declaration",
        "class_body",
    ):
        current = current.parent
    return current


def _short(node: ts.Node) -> str:
    return one_line(_ts.text(node), 60)
