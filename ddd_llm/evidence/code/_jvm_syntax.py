"""How the Java and Kotlin grammars spell what the JVM analyzer reads: literals, annotation
arguments, the declaration an annotation sits on, and a file's string and number constants."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import tree_sitter as ts

from ddd_llm.evidence.base import parse_number
from ddd_llm.evidence.code import _ts
from ddd_llm.models import Number

_INT_SUFFIX = re.compile(r"(?i)[lufd]+$")
_MAX_DEPTH = 8


@dataclass(frozen=True)
class Decl:
    """A field, property, record component, constructor or method parameter, or a setter."""

    node: ts.Node
    name: str
    type_text: str
    value: ts.Node | None
    annotations: list[ts.Node]


@dataclass(frozen=True)
class Args:
    """An annotation's or a call's arguments: in order, and by name where they are named."""

    positional: list[ts.Node] = field(default_factory=list)
    named: dict[str, ts.Node] = field(default_factory=dict)

    def get(self, *names: str, index: int | None = None) -> ts.Node | None:
        for name in names:
            if name in self.named:
                return self.named[name]
        if index is not None and index < len(self.positional):
            return self.positional[index]
        return None


class Syntax:
    """Java; `KotlinSyntax` overrides what Kotlin spells differently."""

    lang = "java"
    field_types = ("field_declaration",)
    class_types = ("class_declaration", "record_declaration", "interface_declaration")

    def __init__(self, root: ts.Node) -> None:
        self.root = root
        self.constants: dict[str, ts.Node] = {}
        self._collect_constants(root)

    # --- literals --------------------------------------------------------------------

    def string(self, node: ts.Node | None, depth: int = 0) -> str | None:
        """A string literal, a constant holding one, or a concatenation of those."""
        if node is None or depth > _MAX_DEPTH:
            return None
        if node.type in ("parenthesized_expression", "value_argument"):
            inner = node.named_children[-1] if node.named_children else None
            return self.string(inner, depth + 1)
        if node.type == "string_literal":
            value = literal_text(node)
            if value is not None and _ts.text(node).startswith('"""') and self.lang == "java":
                value = _text_block(value)
            return value
        if node.type == "binary_expression" and self._operator(node) == "+":
            left = self.string(node.child_by_field_name("left"), depth + 1)
            right = self.string(node.child_by_field_name("right"), depth + 1)
            return None if left is None or right is None else left + right
        constant = self.constant(node)
        return self.string(constant, depth + 1) if constant is not None else None

    def constant(self, node: ts.Node) -> ts.Node | None:
        """The value of a file constant named by `node` (`KEY`, `Config.KEY`), or None."""
        text = _ts.text(node)
        if node.type in ("identifier", "simple_identifier"):
            return self.constants.get(text)
        if node.type in ("field_access", "navigation_expression", "scoped_identifier"):
            return self.constants.get(text.rsplit(".", 1)[-1])
        return None

    def number(self, node: ts.Node | None, depth: int = 0) -> Number | None:
        if node is None or depth > _MAX_DEPTH:
            return None
        kind = node.type
        if kind in ("parenthesized_expression", "value_argument") and node.named_children:
            return self.number(node.named_children[-1], depth + 1)
        if kind == "unary_expression":
            inner = node.named_children[-1] if node.named_children else None
            value = self.number(inner, depth + 1)
            if value is None:
                return None
            return -value if _ts.text(node).lstrip().startswith("-") else value
        if kind.endswith(
            ("integer_literal", "floating_point_literal", "number_literal")
        ) or kind in (
            "real_literal",
            "long_literal",
            "hex_literal",
        ):
            raw = _ts.text(node).replace("_", "")
            if raw.lower().startswith("0x"):
                try:
                    return int(_INT_SUFFIX.sub("", raw[2:]) or "x", 16)
                except ValueError:
                    return None
            return parse_number(_INT_SUFFIX.sub("", raw) if "e" not in raw.lower() else raw)
        if kind == "string_literal":
            text = self.string(node)
            return parse_number(text) if text is not None else None
        constant = self.constant(node)
        return self.number(constant, depth + 1) if constant is not None else None

    def literal(self, node: ts.Node | None) -> str | None:
        """A default as an operator would write it: strings unquoted, numbers and booleans
        as written, an enum constant by its name; None for anything computed."""
        if node is None:
            return None
        text = self.string(node)
        if text is not None:
            return text
        number = self.number(node)
        if number is not None:
            return str(number)
        raw = _ts.text(node)
        if raw in ("true", "false"):
            return raw
        if node.type in ("field_access", "navigation_expression") and re.match(
            r"^[A-Z]\w*\.[A-Z][A-Z0-9_]*$", raw
        ):
            return raw.rsplit(".", 1)[-1]  # an enum constant: Mode.FAST
        duration = _duration_call(raw)
        if duration is not None:
            return duration
        if node.type in (
            "array_initializer",
            "element_value_array_initializer",
            "collection_literal",
        ):
            items = [self.literal(item) for item in node.named_children]
            if items and all(item is not None for item in items):
                return ",".join(item for item in items if item is not None)
        return None

    def items(self, node: ts.Node | None) -> list[ts.Node]:
        """The elements of `{"-p", "--port"}`, `["-p", "--port"]`, `arrayOf(..)` or one value."""
        if node is None:
            return []
        if node.type in (
            "element_value_array_initializer",
            "array_initializer",
            "collection_literal",
        ):
            return [child for child in node.named_children if child.type != "comment"]
        if node.type == "call_expression" and _ts.text(node).startswith(("arrayOf", "listOf")):
            arguments = self.call_args(node)
            return arguments.positional
        return [node]

    def strings(self, node: ts.Node | None) -> list[str]:
        return [text for text in (self.string(item) for item in self.items(node)) if text]

    # --- annotations and declarations ----------------------------------------------------

    def annotation_name(self, annotation: ts.Node) -> str:
        name = annotation.child_by_field_name("name")
        return _ts.text(name).rsplit(".", 1)[-1]

    def annotation_args(self, annotation: ts.Node) -> Args:
        arguments = annotation.child_by_field_name("arguments")
        return self.args_of(arguments)

    def args_of(self, arguments: ts.Node | None) -> Args:
        args = Args()
        if arguments is None:
            return args
        for child in arguments.named_children:
            if child.type == "element_value_pair":
                key = _ts.text(child.child_by_field_name("key"))
                value = child.child_by_field_name("value")
                if value is not None:
                    args.named[key] = value
            elif child.type != "comment":
                args.positional.append(child)
        return args

    def call_args(self, call: ts.Node) -> Args:
        return self.args_of(call.child_by_field_name("arguments"))

    def annotations_of(self, decl: ts.Node) -> list[ts.Node]:
        out: list[ts.Node] = []
        for child in decl.named_children:
            if child.type == "modifiers":
                out.extend(
                    item
                    for item in child.named_children
                    if item.type in ("annotation", "marker_annotation")
                )
        return out

    def declaration_of(self, annotation: ts.Node) -> Decl | None:
        """The declaration an annotation is written on."""
        modifiers = annotation.parent
        decl = modifiers.parent if modifiers is not None else None
        if decl is None:
            return None
        return self.decl(decl)

    def decl(self, decl: ts.Node) -> Decl | None:
        kind = decl.type
        annotations = self.annotations_of(decl)
        type_text = _ts.text(decl.child_by_field_name("type"))
        if kind == "field_declaration":
            declarator = decl.child_by_field_name("declarator")
            if declarator is None:
                return None
            name = _ts.text(declarator.child_by_field_name("name"))
            return Decl(decl, name, type_text, declarator.child_by_field_name("value"), annotations)
        if kind == "formal_parameter":
            name = _ts.text(decl.child_by_field_name("name"))
            return Decl(decl, name, type_text, None, annotations)
        if kind == "method_declaration":
            name = _ts.text(decl.child_by_field_name("name"))
            parameters = decl.child_by_field_name("parameters")
            params = [
                p
                for p in (parameters.named_children if parameters else [])
                if p.type == "formal_parameter"
            ]
            if len(params) == 1:  # a setter: its parameter has the type
                type_text = _ts.text(params[0].child_by_field_name("type"))
            return Decl(decl, _bean_name(name), type_text, None, annotations)
        return None

    def members(self, cls: ts.Node) -> list[Decl]:
        """The bindable members of a class or record: record components and instance fields
        (Java); primary-constructor parameters and properties (Kotlin)."""
        out: list[Decl] = []
        parameters = cls.child_by_field_name("parameters")
        if cls.type == "record_declaration" and parameters is not None:
            for param in parameters.named_children:
                if param.type == "formal_parameter":
                    found = self.decl(param)
                    if found is not None:
                        out.append(found)
        body = cls.child_by_field_name("body")
        for child in body.named_children if body is not None else []:
            if child.type == "field_declaration" and not self._is_static(child):
                found = self.decl(child)
                if found is not None:
                    out.append(found)
            elif child.type == "method_declaration" and cls.type == "interface_declaration":
                found = self._accessor(child)
                if found is not None:
                    out.append(found)
        return out

    def _accessor(self, method: ts.Node) -> Decl | None:
        """A Quarkus @ConfigMapping interface method `int port();` (a default via @WithDefault)."""
        parameters = method.child_by_field_name("parameters")
        if parameters is not None and parameters.named_children:
            return None
        name = _ts.text(method.child_by_field_name("name"))
        type_text = _ts.text(method.child_by_field_name("type"))
        return Decl(method, name, type_text, None, self.annotations_of(method))

    def nested_classes(self, cls: ts.Node) -> dict[str, ts.Node]:
        body = cls.child_by_field_name("body")
        found: dict[str, ts.Node] = {}
        for child in body.named_children if body is not None else []:
            if child.type in self.class_types:
                found[_ts.text(child.child_by_field_name("name"))] = child
        return found

    def enum_constants(self, root: ts.Node) -> dict[str, list[str]]:
        enums: dict[str, list[str]] = {}
        for node in _ts.walk(root):
            if node.type != "enum_declaration":
                continue
            body = node.child_by_field_name("body")
            names = [
                _ts.text(child.child_by_field_name("name"))
                for child in (body.named_children if body is not None else [])
                if child.type == "enum_constant"
            ]
            enums[_ts.text(node.child_by_field_name("name"))] = names
        return enums

    def enclosing_class(self, node: ts.Node) -> ts.Node | None:
        current = node.parent
        while current is not None and current.type not in self.class_types:
            current = current.parent
        return current

    def class_name(self, cls: ts.Node) -> str:
        return _ts.text(cls.child_by_field_name("name"))

    # --- plumbing -----------------------------------------------------------------

    def _is_static(self, decl: ts.Node) -> bool:
        return any(
            child.type == "modifiers" and re.search(r"\bstatic\b", _ts.text(child))
            for child in decl.named_children
        )

    def _operator(self, node: ts.Node) -> str:
        operator = node.child_by_field_name("operator")
        if operator is not None:
            return _ts.text(operator)
        for child in node.children:
            if not child.is_named:
                return _ts.text(child)
        return ""

    def _collect_constants(self, root: ts.Node) -> None:
        for node in _ts.walk(root):
            if node.type != "field_declaration":
                continue
            modifiers = " ".join(_ts.text(c) for c in node.named_children if c.type == "modifiers")
            if not re.search(r"\bfinal\b", modifiers):
                continue
            declarator = node.child_by_field_name("declarator")
            value = declarator.child_by_field_name("value") if declarator is not None else None
            if declarator is not None and value is not None:
                self.constants.setdefault(_ts.text(declarator.child_by_field_name("name")), value)


class KotlinSyntax(Syntax):
    lang = "kotlin"
    class_types = ("class_declaration", "object_declaration", "companion_object")

    def annotation_name(self, annotation: ts.Node) -> str:
        for child in annotation.named_children:
            if child.type == "constructor_invocation":
                child = child.named_children[0] if child.named_children else child
            if child.type == "user_type":
                return _ts.text(child).rsplit(".", 1)[-1]
        return ""

    def annotation_args(self, annotation: ts.Node) -> Args:
        for child in annotation.named_children:
            if child.type == "constructor_invocation":
                for part in child.named_children:
                    if part.type == "value_arguments":
                        return self.args_of(part)
        after = annotation.next_named_sibling
        if after is not None and after.type == "parenthesized_expression":
            return Args(positional=list(after.named_children))  # see `annotations_of`
        return Args()

    def args_of(self, arguments: ts.Node | None) -> Args:
        args = Args()
        if arguments is None:
            return args
        for child in arguments.named_children:
            if child.type != "value_argument":
                continue
            parts = [p for p in child.named_children if p.type != "comment"]
            if len(parts) >= 2 and parts[0].type in ("identifier", "simple_identifier"):
                args.named[_ts.text(parts[0])] = parts[-1]
            elif parts:
                args.positional.append(parts[-1])
        return args

    def call_args(self, call: ts.Node) -> Args:
        for child in call.named_children:
            if child.type == "value_arguments":
                return self.args_of(child)
        return Args()

    def annotations_of(self, decl: ts.Node) -> list[ts.Node]:
        out: list[ts.Node] = []
        for child in decl.named_children:
            if child.type == "modifiers":
                out.extend(item for item in child.named_children if item.type == "annotation")
        if not out and decl.type == "class_declaration":
            out = self.detached_annotations(decl)
        return out

    def detached_annotations(self, cls: ts.Node) -> list[ts.Node]:
        """The grammar reads `@RestController\n@RequestMapping("/api")\nclass X(...)` as an
        annotated expression before the class; its annotations belong to the class."""
        before = cls.prev_named_sibling
        if before is None or before.type != "annotated_expression":
            return []
        return [node for node in _ts.walk(before) if node.type == "annotation"]

    def decl(self, decl: ts.Node) -> Decl | None:
        annotations = self.annotations_of(decl)
        if decl.type == "class_parameter" or decl.type == "parameter":
            name, type_text, value = "", "", None
            seen_name = False
            for child in decl.named_children:
                if child.type in ("identifier", "simple_identifier") and not seen_name:
                    name, seen_name = _ts.text(child), True
                elif child.type in ("user_type", "nullable_type", "function_type"):
                    type_text = _ts.text(child)
                elif seen_name and child.type not in ("modifiers", "binding_pattern_kind"):
                    value = child
            return Decl(decl, name, type_text, value, annotations) if name else None
        if decl.type == "property_declaration":
            name, type_text, value = "", "", None
            for child in decl.named_children:
                if child.type == "variable_declaration":
                    for part in child.named_children:
                        if part.type in ("identifier", "simple_identifier"):
                            name = _ts.text(part)
                        elif part.type in ("user_type", "nullable_type"):
                            type_text = _ts.text(part)
                elif child.type not in ("modifiers", "getter", "setter", "binding_pattern_kind"):
                    if name and value is None and child.type != "property_delegate":
                        value = child
            return Decl(decl, name, type_text, value, annotations) if name else None
        if decl.type == "function_declaration":
            name = _ts.text(decl.child_by_field_name("name"))
            return Decl(decl, _bean_name(name), "", None, annotations)
        return None

    def declaration_of(self, annotation: ts.Node) -> Decl | None:
        modifiers = annotation.parent
        decl = modifiers.parent if modifiers is not None else None
        return self.decl(decl) if decl is not None else None

    def members(self, cls: ts.Node) -> list[Decl]:
        out: list[Decl] = []
        for child in cls.named_children:
            if child.type == "primary_constructor":
                for params in child.named_children:
                    if params.type != "class_parameters":
                        continue
                    for param in params.named_children:
                        if param.type == "class_parameter":
                            found = self.decl(param)
                            if found is not None:
                                out.append(found)
            elif child.type == "class_body":
                for member in child.named_children:
                    if member.type == "property_declaration":
                        found = self.decl(member)
                        if found is not None:
                            out.append(found)
        return out

    def nested_classes(self, cls: ts.Node) -> dict[str, ts.Node]:
        found: dict[str, ts.Node] = {}
        for child in cls.named_children:
            if child.type != "class_body":
                continue
            for member in child.named_children:
                if member.type == "class_declaration":
                    found[self.class_name(member)] = member
        return found

    def enum_constants(self, root: ts.Node) -> dict[str, list[str]]:
        enums: dict[str, list[str]] = {}
        for node in _ts.walk(root):
            if node.type != "class_declaration" or not _ts.text(node).lstrip().startswith(
                ("enum ", "public enum", "internal enum", "private enum")
            ):
                continue
            names = [
                _ts.text(entry.named_children[0])
                for body in node.named_children
                if body.type == "enum_class_body"
                for entry in body.named_children
                if entry.type == "enum_entry" and entry.named_children
            ]
            enums[self.class_name(node)] = names
        return enums

    def class_name(self, cls: ts.Node) -> str:
        name = cls.child_by_field_name("name")
        if name is not None:
            return _ts.text(name)
        for child in cls.named_children:
            if child.type in ("type_identifier", "identifier", "simple_identifier"):
                return _ts.text(child)
        return ""

    def _collect_constants(self, root: ts.Node) -> None:
        for node in _ts.walk(root):
            if node.type != "property_declaration":
                continue
            modifiers = " ".join(_ts.text(c) for c in node.named_children if c.type == "modifiers")
            if "const" not in modifiers.split() and not _ts.text(node).lstrip().startswith("val "):
                continue
            found = self.decl(node)
            if (
                found is not None
                and found.value is not None
                and re.match(r"^[A-Z][A-Z0-9_]*$", found.name)
            ):
                self.constants.setdefault(found.name, found.value)


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "b": "\b", "f": "\f"}


def literal_text(node: ts.Node) -> str | None:
    """The value of a Java, Kotlin or C# string literal from its parts; None when it
    interpolates (`"${x}"` in Kotlin, `$"{x}"` in C#). `_ts.string_value` would take a
    Spring `"#{...}"` expression for Ruby interpolation."""
    out: list[str] = []
    for child in node.named_children:
        kind = child.type
        if kind.startswith("interpolat"):
            return None
        raw = _ts.text(child)
        if kind == "escape_sequence":
            char = raw[1:2]
            out.append(_ESCAPES.get(char, raw[1:] if char != "u" else _unicode(raw)))
        elif kind != "comment":
            out.append(raw)
    return "".join(out)


def _unicode(raw: str) -> str:
    try:
        return chr(int(raw[2:6], 16))
    except ValueError:
        return raw


def _bean_name(method: str) -> str:
    """`setMaxSize` → `maxSize`; other method names stay as they are."""
    match = re.match(r"^(?:set|get|is)([A-Z]\w*)$", method)
    if not match:
        return method
    rest = match.group(1)
    return rest[0].lower() + rest[1:]


def _text_block(value: str) -> str:
    lines = value.split("\n")
    if lines and not lines[0].strip():
        lines = lines[1:]
    return "\n".join(line.strip() for line in lines)


_DURATION_CALL = re.compile(
    r"^(?:java\.time\.)?Duration\.of(Nanos|Millis|Seconds|Minutes|Hours|Days)\(\s*(\d+)L?\s*\)$"
)
_DURATION_UNITS = {
    "Nanos": "ns",
    "Millis": "ms",
    "Seconds": "s",
    "Minutes": "m",
    "Hours": "h",
    "Days": "d",
}


def _duration_call(raw: str) -> str | None:
    """`Duration.ofSeconds(30)` → `30s`, as Spring's duration properties are written."""
    match = _DURATION_CALL.match(raw.strip())
    if not match:
        return None
    return f"{match.group(2)}{_DURATION_UNITS[match.group(1)]}"
