"""Turns the captures of the `c_sharp-*.scm` queries into parameters, health endpoints and
ports (the .NET analyzer's reader; `_dotnet_syntax` hides the grammar)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import tree_sitter as ts

from ddd_llm.evidence.base import is_health_path
from ddd_llm.evidence.code import _ts
from ddd_llm.evidence.code._dotnet_syntax import (
    Around,
    CSharp,
    around,
    attribute_name,
    attributes_of,
)
from ddd_llm.evidence.code._jvm_around import (
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
from ddd_llm.models import ValueType

LANG = "c_sharp"
_CONFIG_RECEIVER = re.compile(
    r"(?i)(^|\.)(_?config|_?configuration|configurationroot|cfg|_?cfg|appsettings|configurationmanager)$"
)
_SECTION_CALL = frozenset({"GetSection", "GetRequiredSection"})
_SECTION_CONSTANT = re.compile(
    r"(?i)^(section|section_?name|config_?section|configuration_?section|section_?key|"
    r"position|config_?key|config_?name)$"
)
"""The constant an options class names its own section with (`SectionName`, `CONFIG_NAME`)."""
_OPTIONS_CLASS = re.compile(r"(Options|Settings|Config|Configuration)$")
_MAX_NESTING = 4
_URL_PORT = re.compile(r"^[a-z][a-z0-9+.-]*://[^/:;\s]*:(\d+)", re.IGNORECASE)


class DotnetReader:
    """One C# file's reads, turned into parameters on a `Collector`."""

    def __init__(self, cs: CSharp, root: ts.Node, out: Collector, cross: CrossFile) -> None:
        self.cs = cs
        self.root = root
        self.out = out
        self.cross = cross
        self.classes: dict[str, ts.Node] = {}
        self.enums: dict[str, list[str]] = {}
        for node in _ts.walk(root):
            if node.type in ("class_declaration", "record_declaration", "struct_declaration"):
                self.classes.setdefault(_ts.text(node.child_by_field_name("name")), node)
            elif node.type == "enum_declaration":
                body = node.child_by_field_name("body")
                members = [
                    _ts.text(m.child_by_field_name("name"))
                    for m in (body.named_children if body is not None else [])
                    if m.type == "enum_member_declaration"
                ]
                self.enums[_ts.text(node.child_by_field_name("name"))] = members
        self.bound: set[str] = set()

    def read(self) -> None:
        for match in _ts.matches(LANG, "env", self.root):
            self._env(match)
        for match in _ts.matches(LANG, "config", self.root):
            self._config(match)
        self._unbound_options()
        for match in _ts.matches(LANG, "flags", self.root):
            self._flag(match)
        for match in _ts.matches(LANG, "health", self.root):
            self._health(match)
        for match in _ts.matches(LANG, "ports", self.root):
            self._port(match)

    # --- environment and IConfiguration reads ---------------------------------------------

    def _env(self, match: _ts.Match) -> None:
        read, name_node = match.node("read"), match.node("name")
        if read is None or name_node is None:
            return
        name = self.cs.string(name_node)
        if name is None:
            if not self._through_helper(read, name_node, "environment variable"):
                self.out.candidate(
                    read, f"environment variable read with a computed name: {_short(name_node)}"
                )
            return
        self._add(name, "environment variable", read, None, None)

    def _config(self, match: _ts.Match) -> None:
        for capture, handler in (
            ("index", self._indexed),
            ("getvalue", self._get_value),
            ("connection", self._connection),
            ("bind", self._bind),
            ("bind_instance", self._bind_instance),
        ):
            node = match.node(capture)
            if node is not None:
                handler(match, node)
                return

    def _indexed(self, match: _ts.Match, read: ts.Node) -> None:
        recv, name_node = match.node("recv"), match.node("name")
        if recv is None or name_node is None or _assigned(read):
            return
        prefix = self._prefix(recv)
        key = self.cs.string(name_node)
        if prefix is None or key is None:
            self.out.candidate(read, f"configuration read with a computed key: {_short(read)}")
            return
        self._add(prefix + key, "configuration key", read, None, None)

    def _get_value(self, match: _ts.Match, read: ts.Node) -> None:
        recv, name_node = match.node("recv"), match.node("name")
        if recv is None or name_node is None:
            return
        type_node = match.node("type")
        default = match.node("default")
        if name_node.type == "typeof_expression" and default is not None:
            # GetValue(typeof(string), "Key"): the type comes first
            type_node, name_node, default = name_node.child_by_field_name("type"), default, None
        prefix = self._prefix(recv)
        key = self.cs.string(name_node)
        if prefix is None and type_node is None:
            return  # a GetValue helper of something that is no configuration
        if prefix is None or key is None:
            self.out.candidate(read, f"configuration read with a computed key: {_short(read)}")
            return
        value_type = self._type(_ts.text(type_node)) if type_node is not None else None
        if "Required" in _ts.text(read.child_by_field_name("function")).rsplit(".", 1)[-1]:
            self._add(prefix + key, "configuration key", read, None, value_type)
            self.out.params[prefix + key].required = True
            return
        self._add(prefix + key, "configuration key", read, default, value_type)

    def _connection(self, match: _ts.Match, read: ts.Node) -> None:
        name_node = match.node("name")
        name = self.cs.string(name_node)
        if name is None:
            self.out.candidate(read, f"connection string with a computed name: {_short(read)}")
            return
        param = Param(
            name=f"ConnectionStrings:{name}",
            what="connection string",
            start=_ts.line(read),
            end=_ts.end_line(read),
            secret=True,
        )
        self.out.add(param)

    def _add(
        self,
        name: str,
        what: str,
        read: ts.Node,
        default: ts.Node | None,
        value_type: ValueType | None,
    ) -> None:
        found = self._around(read)
        default_node = default if default is not None else found.default
        self.out.add(
            Param(
                name=name,
                what=what,
                start=_ts.line(read),
                end=_ts.end_line(read),
                value_type=value_type or found.value_type,
                default=self.cs.literal(default_node),
                required=found.required,
            )
        )

    def _around(self, read: ts.Node) -> Around:
        """What wraps the read, or the uses of the variable it was stored in."""
        found = around(read)
        if found.default is None:
            found.default = self._overwritten_default(read)
        name = assigned_name(read)
        if name is None or (found.default is not None and found.value_type is not None):
            return found
        for use in later_uses(read, name):
            more = around(use)
            if found.default is None and self.cs.literal(more.default) is not None:
                found.default = more.default
            found.value_type = found.value_type or more.value_type
            found.required = found.required or more.required
        return found

    def _overwritten_default(self, read: ts.Node) -> ts.Node | None:
        """`bool inMemory = false; if (config["X"] != null) inMemory = bool.Parse(config["X"]!);`:
        the read overwrites a local declared with a literal, which is the setting's default."""
        node = read
        while node.parent is not None and node.parent.type in _WRAPS_A_READ:
            node = node.parent
        parent = node.parent
        if parent is None or parent.type != "assignment_expression":
            return None
        left = parent.child_by_field_name("left")
        if parent.child_by_field_name("right") != node or left is None:
            return None
        if left.type != "identifier" or _ts.text(parent.child_by_field_name("operator")) != "=":
            return None
        value = self._local_value(left)
        return value if value is not None and self.cs.literal(value) is not None else None

    def _through_helper(self, read: ts.Node, name_node: ts.Node, what: str) -> bool:
        """`static string Env(string name, string fallback) =>
        Environment.GetEnvironmentVariable(name) ?? fallback;` called as `Env("PORT", "80")`."""
        return reads_through_helper(
            self.root,
            read,
            name_node,
            what,
            syntax=self.cs,
            around=self._around,
            out=self.out,
            name_types=("identifier",),
        )

    def _type(self, type_text: str) -> ValueType | None:
        bare = type_text.rstrip("?").strip()
        if bare in self.enums:
            return "enum"
        return scalar_type(type_text)

    def _prefix(self, recv: ts.Node, depth: int = 0) -> str | None:
        """The section path a receiver stands for, with a trailing `:` (`""` for the root);
        None when it cannot be told (a section held in a variable set elsewhere)."""
        if depth > _MAX_NESTING:
            return None
        section = self._section(recv, depth)
        if section is None:
            return None
        return f"{section}:" if section else ""

    def _section(self, node: ts.Node, depth: int = 0) -> str | None:
        """`config.GetSection("A").GetSection("B")` → `A:B`; `builder.Configuration` → `""`."""
        if depth > _MAX_NESTING:
            return None
        text = _ts.text(node)
        if node.type == "invocation_expression":
            function = node.child_by_field_name("function")
            if function is None or function.type != "member_access_expression":
                return None
            name = _ts.text(function.child_by_field_name("name"))
            if name not in _SECTION_CALL:
                return None
            args = node.child_by_field_name("arguments")
            first = args.named_children[0] if args is not None and args.named_children else None
            key = self.cs.string(first)
            outer = function.child_by_field_name("expression")
            if key is None or outer is None:
                return None
            parent = self._section(outer, depth + 1)
            if parent is None:
                return None
            return f"{parent}:{key}" if parent else key
        if _CONFIG_RECEIVER.search(text) or text.endswith(".Configuration"):
            return ""
        if node.type == "identifier":
            value = self._local_value(node)
            if value is not None:
                return self._section(value, depth + 1)
        return None

    def _local_value(self, name: ts.Node) -> ts.Node | None:
        """The value a local variable was declared with before its use, in the enclosing
        method or lambda or any scope around them (`var section = config.GetSection("S")`)."""
        wanted = _ts.text(name)
        scope = name.parent
        while scope is not None:
            if scope.type in _SCOPES:
                value = _declared_in(scope, wanted, name.start_byte)
                if value is not None:
                    return value
                if scope.type in (
                    "method_declaration",
                    "constructor_declaration",
                    "compilation_unit",
                ):
                    return None
            scope = scope.parent
        return None

    # --- options classes --------------------------------------------------------------

    def _bind(self, match: _ts.Match, call: ts.Node) -> None:
        options, section_node = match.node("options"), match.node("section")
        if options is None or section_node is None:
            return
        if section_node.type in ("lambda_expression", "anonymous_method_expression"):
            return  # Configure<T>(o => ...) sets options in code, not from configuration
        section = self.cs.string(section_node)
        if section is None:
            section = self._section(section_node)
        self._bind_type(_ts.text(options), section, call)

    def _bind_instance(self, match: _ts.Match, call: ts.Node) -> None:
        bound = match.node("bound")
        if bound is None:
            return
        name_node = match.node("section_name")
        if name_node is not None:
            recv = match.node("_recv")
            if recv is None or self._section(recv) is None:
                return
            section = self.cs.string(name_node)
        else:
            section_node = match.node("section")
            if section_node is None or self._section(section_node) is None:
                return
            section = self._section(section_node)
        type_name = self._instance_type(bound)
        if type_name is None:
            self.out.candidate(
                call, f"binds section {section!r} to an object whose type is not in sight"
            )
            return
        self._bind_type(type_name, section, call)

    def _instance_type(self, bound: ts.Node) -> str | None:
        value: ts.Node | None = bound
        if bound.type == "identifier":
            value = self._local_value(bound)
        if value is not None and value.type == "object_creation_expression":
            return _ts.text(value.child_by_field_name("type"))
        if bound.type == "identifier":  # IConfigureOptions<T>.Configure(T options)
            return _parameter_type(bound)
        return None

    def _bind_type(self, type_text: str, section: str | None, call: ts.Node) -> None:
        name = _bare(type_text)
        cls = self.classes.get(name)
        if section is None:
            self.out.candidate(
                call, f"binds configuration to {name} through a section name that is not a literal"
            )
            return
        if cls is None:
            where = f"section {section!r}" if section else "the configuration root"
            self.out.candidate(
                call,
                f"binds {where} to {name}, declared in another file: its properties are settings",
            )
            self.cross.bind(name, section, self.out.source.cite(_ts.line(call), _ts.end_line(call)))
            return
        self.bound.add(name)
        self._properties(cls, section, 0)

    def _unbound_options(self) -> None:
        """An options class bound in another file: its own `SectionName` constant names the
        section; without one the class is left to the model."""
        for name, cls in self.classes.items():
            if name in self.bound or not _OPTIONS_CLASS.search(name) or not self._settable(cls):
                continue
            section = self._own_section(cls)
            if section is None:
                self.out.candidate(
                    cls,
                    f"options class {name}: its properties are settings under the section "
                    "it is bound to elsewhere",
                )
                found: list[Param] = []
                self._properties(cls, "", 0, found)
                self.cross.declare(name, self.out.source, found)
                continue
            self._properties(cls, section, 0)

    def _own_section(self, cls: ts.Node) -> str | None:
        body = cls.child_by_field_name("body")
        for member in body.named_children if body is not None else []:
            if member.type != "field_declaration":
                continue
            for declarator in _ts.walk(member):
                if declarator.type != "variable_declarator":
                    continue
                if _SECTION_CONSTANT.match(_ts.text(declarator.child_by_field_name("name"))):
                    constant = self.cs.constants.get(
                        _ts.text(declarator.child_by_field_name("name"))
                    )
                    value = self.cs.string(constant)
                    if value:
                        return value
        return None

    def _settable(self, cls: ts.Node) -> bool:
        return any(True for _ in self._members(cls))

    def _members(self, cls: ts.Node) -> list[tuple[ts.Node, str, str, ts.Node | None]]:
        """(node, name, type, initial value) of each public settable property or record
        parameter."""
        out: list[tuple[ts.Node, str, str, ts.Node | None]] = []
        for child in cls.named_children:
            if child.type != "parameter_list":
                continue
            for param in child.named_children:  # record R(int Port = 80)
                if param.type != "parameter":
                    continue
                name, kind = param.child_by_field_name("name"), param.child_by_field_name("type")
                values = [
                    c
                    for c in param.named_children
                    if c not in (name, kind) and c.type not in ("attribute_list", "modifier")
                ]
                out.append((param, _ts.text(name), _ts.text(kind), values[-1] if values else None))
        body = cls.child_by_field_name("body")
        for member in body.named_children if body is not None else []:
            if member.type != "property_declaration":
                continue
            modifiers = {_ts.text(c) for c in member.named_children if c.type == "modifier"}
            accessors = _ts.text(member.child_by_field_name("accessors"))
            if "public" not in modifiers or "static" in modifiers:
                continue
            if "set" not in accessors and "init" not in accessors:
                continue
            out.append(
                (
                    member,
                    _ts.text(member.child_by_field_name("name")),
                    _ts.text(member.child_by_field_name("type")),
                    member.child_by_field_name("value"),
                )
            )
        return out

    def _properties(
        self, cls: ts.Node, section: str, depth: int, sink: list[Param] | None = None
    ) -> None:
        """The settable properties of an options class as `Section:Property` (nested classes
        add their own level); into `sink` instead of the file's facts when it is given."""
        for node, name, type_text, value in self._members(cls):
            full = f"{section}:{name}" if section else name
            bare = _bare(type_text)
            value_type = self._type(type_text)
            inner = self.classes.get(bare)
            if value_type is None and inner is not None:
                if depth < _MAX_NESTING and inner is not cls:
                    self._properties(inner, full, depth + 1, sink)
                continue
            if value_type is None and value is None:
                if not re.search(r"(Dictionary|Map)\b", type_text):
                    self.out.candidate(
                        node,
                        f"setting {full} has type {one_line(type_text, 40)} declared elsewhere",
                    )
                continue
            param = Param(
                name=full,
                what="options property",
                start=_ts.line(node),
                end=_ts.end_line(node),
                value_type=value_type,
                default=self.cs.literal(value),
            )
            if value_type == "enum":
                param.allowed = list(self.enums.get(bare.rstrip("?"), [])) or None
            self._annotations(param, node)
            if sink is not None:
                sink.append(param)
            else:
                self.out.add(param)

    def _annotations(self, param: Param, node: ts.Node) -> None:
        """[Range(1, 100)], [Required], [MinLength]/[MaxLength] on an options property."""
        for attribute in attributes_of(node):
            name = attribute_name(attribute)
            args = self.cs.attribute_args(attribute)
            if name == "Required":
                param.required = True
            elif name == "Range":
                positional = args.positional
                if positional and positional[0].type == "typeof_expression":
                    positional = positional[1:]
                if len(positional) >= 2:
                    param.set_range(
                        self.cs.number(positional[0]), self.cs.number(positional[1]), "declared"
                    )
            elif name in ("MinLength", "MaxLength") and args.positional:
                bound = self.cs.number(args.positional[0])
                if name == "MinLength":
                    param.set_range(bound, None, "declared")
                else:
                    param.set_range(None, bound, "declared")

    # --- command-line flags -------------------------------------------------------------

    def _flag(self, match: _ts.Match) -> None:
        attribute = match.node("flag_attribute")
        if attribute is not None:
            self._option_attribute(attribute)
            return
        created, args_node = match.node("option_new"), match.node("option_args")
        if created is not None and args_node is not None:
            self._option_object(created, args_node, _ts.text(match.node("type")))

    def _option_attribute(self, attribute: ts.Node) -> None:
        args = self.cs.attribute_args(attribute)
        names: list[str] = []
        for arg in args.positional:
            if arg.type == "character_literal":
                names.append("-" + _ts.text(arg).strip("'"))
                continue
            text = self.cs.string(arg) or ""
            for part in text.split("|"):  # McMaster: "-p|--port <PORT>"
                part = part.split(" ")[0].strip()
                if part:
                    names.append(
                        part
                        if part.startswith("-")
                        else ("--" + part if len(part) > 1 else "-" + part)
                    )
        long_name = self.cs.string(args.named.get("LongName"))
        if long_name:
            names.append("--" + long_name)
        if not names:
            return
        name = max(names, key=lambda flag: (flag.startswith("--"), len(flag)))
        decl = attribute.parent.parent if attribute.parent is not None else None
        param = Param(
            name=name,
            what="command-line option",
            start=_ts.line(attribute),
            end=_ts.end_line(decl)
            if decl is not None and decl.type == "property_declaration"
            else _ts.end_line(attribute),
            default=self.cs.literal(args.named.get("Default")),
            required=_ts.text(args.named.get("Required")) == "true",
            help=self.cs.string(args.named.get("HelpText") or args.named.get("Description")),
        )
        if decl is not None and decl.type == "property_declaration":
            type_text = _ts.text(decl.child_by_field_name("type"))
            param.value_type = self._type(type_text)
            if param.value_type == "enum":
                param.allowed = list(self.enums.get(_bare(type_text), [])) or None
            if param.default is None:
                param.default = self.cs.literal(decl.child_by_field_name("value"))
            self._annotations(param, decl)
        self.out.add(param)

    def _option_object(self, created: ts.Node, args_node: ts.Node, type_text: str) -> None:
        args = self.cs.call_args(args_node)
        names: list[str] = []
        description: str | None = None
        default: ts.Node | None = None
        for arg in args.positional:
            if arg.type == "lambda_expression":
                default = arg.child_by_field_name("body")
                continue
            found = self.cs.strings(arg)
            flags = [text for text in found if text.startswith("-")]
            if flags:
                names.extend(flags)
            elif found and description is None and names:
                description = found[0]
        names.extend(
            text for text in self.cs.strings(args.named.get("name")) if text.startswith("-")
        )
        names.extend(
            text for text in self.cs.strings(args.named.get("aliases")) if text.startswith("-")
        )
        description = description or self.cs.string(args.named.get("description"))
        factory = args.named.get("getDefaultValue")
        if factory is not None and factory.type == "lambda_expression":
            default = factory.child_by_field_name("body")
        required = False
        initializer = created.child_by_field_name("initializer")
        for assignment in initializer.named_children if initializer is not None else []:
            if assignment.type != "assignment_expression":
                continue
            key = _ts.text(assignment.child_by_field_name("left"))
            right = assignment.child_by_field_name("right")
            if key == "Description":
                description = self.cs.string(right)
            elif key in ("DefaultValueFactory", "SetDefaultValue") and right is not None:
                default = (
                    right.child_by_field_name("body")
                    if right.type == "lambda_expression"
                    else right
                )
            elif key in ("IsRequired", "Required"):
                required = _ts.text(right) == "true"
        if not names:
            return
        name = max(names, key=lambda flag: (flag.startswith("--"), len(flag)))
        value_type = self._type(type_text)
        self.out.add(
            Param(
                name=name,
                what="command-line option",
                start=_ts.line(created),
                end=_ts.end_line(created),
                value_type=value_type
                if value_type is not None
                else ("bool" if type_text == "bool" else None),
                default=self.cs.literal(default),
                required=required,
                help=description,
            )
        )

    # --- health endpoints -------------------------------------------------------------

    def _health(self, match: _ts.Match) -> None:
        call = match.node("health_call")
        if call is not None:
            path = self.cs.string(match.node("path"))
            if path is None:
                self.out.candidate(
                    call, "health checks mapped on a path that is not a literal", "health_check"
                )
                return
            port = self.cs.number(match.node("port_arg"))
            target = path if path.startswith("/") else "/" + path
            name = _ts.text(call.child_by_field_name("function")).rsplit(".", 1)[-1]
            self.out.health_check(
                target,
                f"{name}",
                _ts.line(call),
                _ts.end_line(call),
                port if isinstance(port, int) else None,
            )
            return
        route_call = match.node("route_call")
        if route_call is not None:
            path = self.cs.string(match.node("route"))
            if path is not None:
                self._health_route(path, "MapGet", _ts.line(route_call), _ts.end_line(route_call))
            return
        attribute = match.node("mapping_attribute")
        if attribute is not None:
            self._attribute_route(attribute)

    def _attribute_route(self, attribute: ts.Node) -> None:
        decl = attribute.parent.parent if attribute.parent is not None else None
        if decl is None or decl.type != "method_declaration":
            return
        names = {attribute_name(a) for a in attributes_of(decl)}
        if attribute_name(attribute) == "Route" and names & {
            "HttpPost",
            "HttpPut",
            "HttpDelete",
            "HttpPatch",
        }:
            return
        args = self.cs.attribute_args(attribute)
        path = self.cs.string(args.get("template", index=0)) or ""
        cls = decl.parent
        while cls is not None and cls.type not in ("class_declaration", "record_declaration"):
            cls = cls.parent
        prefix = ""
        class_name = ""
        if cls is not None:
            class_name = _ts.text(cls.child_by_field_name("name"))
            for class_attribute in attributes_of(cls):
                if attribute_name(class_attribute) == "Route":
                    prefix = (
                        self.cs.string(
                            self.cs.attribute_args(class_attribute).get("template", index=0)
                        )
                        or ""
                    )
        controller = re.sub(r"Controller$", "", class_name)
        method = _ts.text(decl.child_by_field_name("name"))
        full = path if path.startswith(("/", "~/")) else _join(prefix, path)
        full = (
            full.lstrip("~")
            .replace("[controller]", controller.lower())
            .replace("[action]", method.lower())
        )
        self._health_route(
            full,
            f"[{attribute_name(attribute)}]",
            _ts.line(attribute),
            _ts.line(decl.child_by_field_name("name") or decl),
        )

    def _health_route(self, path: str, what: str, start: int, end: int) -> None:
        if "{" in path or not is_health_path(path):
            return
        target = path if path.startswith("/") else "/" + path
        self.out.health_check(target, what, start, end)

    # --- ports --------------------------------------------------------------------------

    def _port(self, match: _ts.Match) -> None:
        listen, port_node = match.node("listen"), match.node("port")
        if listen is not None and port_node is not None:
            port = self.cs.number(port_node)
            if isinstance(port, int):
                self.out.port(port, "Kestrel listen", _ts.line(listen), _ts.end_line(listen))
            return
        call, url_node = match.node("listen_url"), match.node("url")
        if call is None or url_node is None:
            return
        method = _ts.text(call.child_by_field_name("function")).rsplit(".", 1)[-1]
        recv = _ts.text(match.node("_recv"))
        if method == "Add" and not recv.endswith("Urls"):
            return
        text = self.cs.string(url_node) or ""
        for url in re.split(r"[;,]", text):
            found = _URL_PORT.match(url.strip().replace("*", "localhost").replace("+", "localhost"))
            if found:
                self.out.port(
                    int(found.group(1)), f"{method} URL", _ts.line(call), _ts.end_line(call)
                )
            elif url.strip().startswith(("http://", "https://")):
                try:
                    port = urlsplit(url.strip()).port
                except ValueError:
                    port = None
                default = 443 if url.strip().startswith("https") else 80
                self.out.port(port or default, f"{method} URL", _ts.line(call), _ts.end_line(call))


_SCOPES = frozenset(
    {
        "method_declaration",
        "constructor_declaration",
        "local_function_statement",
        "lambda_expression",
        "compilation_unit",
    }
)


_WRAPS_A_READ = frozenset(
    {
        "postfix_unary_expression",  # config["X"]!
        "argument",
        "argument_list",
        "invocation_expression",  # bool.Parse(…), Convert.ToInt32(…)
        "parenthesized_expression",
        "cast_expression",
    }
)
"""What may stand between a configuration read and the variable it is assigned to."""


def _assigned(node: ts.Node) -> bool:
    """`configuration["X"] = "v"` writes a key in code; it is no setting an operator makes."""
    parent = node.parent
    return (
        parent is not None
        and parent.type == "assignment_expression"
        and parent.child_by_field_name("left") == node
    )


def _parameter_type(name: ts.Node) -> str | None:
    """The declared type of the enclosing method's parameter called `name`."""
    method = name.parent
    while method is not None and method.type not in (
        "method_declaration",
        "local_function_statement",
    ):
        method = method.parent
    parameters = method.child_by_field_name("parameters") if method is not None else None
    for param in parameters.named_children if parameters is not None else []:
        if param.type == "parameter" and _ts.text(param.child_by_field_name("name")) == _ts.text(
            name
        ):
            return _ts.text(param.child_by_field_name("type")) or None
    return None


def _declared_in(scope: ts.Node, wanted: str, before: int) -> ts.Node | None:
    for node in _ts.walk(scope):
        if node.start_byte >= before:
            break
        if node.type != "variable_declarator":
            continue
        name = node.child_by_field_name("name")
        if _ts.text(name) != wanted:
            continue
        values = [c for c in node.named_children if c != name]
        if values:
            value = values[-1]
            if value.type == "equals_value_clause" and value.named_children:
                value = value.named_children[-1]
            return value
    return None


def _bare(type_text: str) -> str:
    head = re.split(r"[<\[?(]", type_text.strip(), maxsplit=1)[0]
    return head.rsplit(".", 1)[-1].strip()


def _join(prefix: str, path: str) -> str:
    if not prefix:
        return path
    if not path:
        return prefix
    return prefix.rstrip("/") + "/" + path.lstrip("/")


def _short(node: ts.Node) -> str:
    return one_line(_ts.text(node), 60)
