"""Rust analyzer: env reads, clap/structopt options (derive and builder), serde config structs,
config-crate defaults, option tables in macros and arrays, health routes and listen ports.

Read with tree-sitter (`queries/rust-*.scm`); values resolve through the file's constants and
default functions (`_rust_values`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import tree_sitter as ts

from ddd_llm.evidence.base import SourceFile, register
from ddd_llm.evidence.code import _ts
from ddd_llm.evidence.code._option_tables import RUST_SYNTAX, find_option_tables, words
from ddd_llm.evidence.code._param_facts import ENV, FLAG, KEY, Collector, Param, TreeSitterAnalyzer
from ddd_llm.evidence.code._rust_values import (
    AttrArg,
    RustFile,
    attr_args,
    kebab,
    range_of,
    renamed,
    screaming,
    tokens_text,
    type_of,
)

NAME = "rust_code"

# A Deserialize struct named for settings is a config file's shape; `*Param(s)` structs are
# request parameters of a web API.
_CONFIG_STRUCT_WORDS = frozenset(
    {"config", "configuration", "settings", "cfg", "conf", "options", "opts", "opt"}
)
_CONFIG_LOADERS = re.compile(
    r"\b(?:figment|Figment|config::(?:Config|File|Environment)|toml::from_str|serde_yaml::from"
    r"|serde_yml::from|envy::|confy::|config_rs|ConfigBuilder|Environment::with_prefix)"
)
_CLAP_ATTRS = frozenset({"arg", "clap", "structopt", "argh", "option"})
_CLAP_DERIVES = frozenset({"Parser", "Args", "StructOpt", "FromArgs"})
_SECRET_TYPES = ("Secret", "SecUtf8", "SecretString", "Password")
_CHAIN_PASS = frozenset(
    {
        "ok",
        "as_deref",
        "as_ref",
        "as_str",
        "map",
        "and_then",
        "to_string",
        "into",
        "trim",
        "to_owned",
        "to_lowercase",
        "into_string",
        "map_err",
        "context",
        "with_context",
        "filter",
    }
)
_REQUIRED_END = frozenset({"unwrap", "expect"})
_DEFAULT_KEYS = (
    "default_value",
    "default_value_t",
    "default_value_os_t",
    "default_values_t",
    "default_missing_value",
)


# --- environment ----------------------------------------------------------------------


def _method_call(node: ts.Node) -> tuple[str, ts.Node, list[ts.Node]] | None:
    """(method, call, args) when `node` is the receiver of a method call."""
    parent = node.parent
    if parent is None or parent.type != "field_expression":
        return None
    if parent.child_by_field_name("value") != node:
        return None
    method = _ts.text(parent.child_by_field_name("field"))
    call = parent.parent
    if call is not None and call.type == "generic_function":
        turbofish = call.child_by_field_name("type_arguments")
        call = call.parent
        method = f"{method}::{_ts.text(turbofish)}"
    if call is None or call.type != "call_expression":
        return None
    args = call.child_by_field_name("arguments")
    return method, call, list(args.named_children) if args is not None else []


def _read_env(rust: RustFile, out: Collector, root: ts.Node) -> None:
    for match in _ts.matches("rust", "env", root):
        call, build, name_node = match.node("call"), match.node("build"), match.node("name")
        anchor = call or build
        if anchor is None or name_node is None:
            continue
        name = rust.literal(name_node)
        if not name:
            out.candidate(_ts.line(anchor), _ts.end_line(anchor), "env read with a computed name")
            continue
        param = out.at(name, ENV, anchor)
        if build is not None:
            macro = _ts.text(match.node("macro"))
            param.note = " (read when the binary is built)"
            param.required = macro == "env"
        else:
            _follow_chain(rust, anchor, param)
        out.param(param)


def _follow_chain(rust: RustFile, call: ts.Node, param: Param) -> None:
    """`.unwrap_or("d")`, `.unwrap_or_else(|_| "d".into())`, `.parse::<u16>()`, `.expect()`, `?`."""
    node = call
    for _ in range(12):
        step = _method_call(node)
        if step is None:
            parent = node.parent
            if parent is not None and parent.type == "try_expression" and param.default is None:
                param.required = True
                node = parent
                continue
            break
        method, node, args = step
        base = method.split("::")[0]
        if base == "parse" and "::" in method:
            param.value_type = type_of(method.split("::", 1)[1].strip("<>"))[0] or param.value_type
        elif base in ("unwrap_or", "unwrap_or_else", "or", "map_or", "map_or_else") and args:
            if param.default is None:
                param.default = rust.literal(args[0])
        elif base in _REQUIRED_END and param.default is None:
            param.required = True
        elif base not in _CHAIN_PASS and base not in ("parse", "unwrap_or_default"):
            break
    let = node.parent
    if let is not None and let.type == "let_declaration" and param.value_type is None:
        typ = let.child_by_field_name("type")
        if typ is not None:
            param.value_type = type_of(_ts.text(typ))[0]


# --- struct fields: clap derive, serde config structs ---------------------------------


@dataclass
class _Field:
    name: str
    type_text: str
    node: ts.Node
    attrs: dict[str, list[AttrArg]] = field(default_factory=dict)
    doc: str = ""


@dataclass
class _Struct:
    name: str
    node: ts.Node
    derives: set[str]
    attrs: dict[str, list[AttrArg]]
    fields: list[_Field]


def _attribute(item: ts.Node) -> tuple[str, list[AttrArg]] | None:
    attribute = next((c for c in item.named_children if c.type == "attribute"), None)
    if attribute is None or not attribute.named_children:
        return None
    name = _ts.text(attribute.named_children[0]).split("::")[-1]
    args = attribute.child_by_field_name("arguments")
    value = attribute.child_by_field_name("value")
    if args is not None:
        return name, attr_args(args)
    if value is not None:  # `#[default = 8080]`
        return name, [AttrArg("", (value,))]
    return name, []


def _structs(flags: list[_ts.Match]) -> list[_Struct]:
    found: list[_Struct] = []
    for match in flags:
        item, fields, name = match.node("item"), match.node("fields"), match.node("struct")
        if item is None or fields is None or name is None:
            continue
        attrs: dict[str, list[AttrArg]] = {}
        sibling = item.prev_named_sibling
        while sibling is not None and sibling.type in ("attribute_item", "line_comment"):
            if sibling.type == "attribute_item":
                got = _attribute(sibling)
                if got is not None:
                    attrs.setdefault(got[0], []).extend(got[1])
            sibling = sibling.prev_named_sibling
        derives = {a.key.split("::")[-1] for a in attrs.get("derive", [])}
        found.append(_Struct(_ts.text(name), item, derives, attrs, _fields(fields)))
    return found


def _fields(body: ts.Node) -> list[_Field]:
    fields: list[_Field] = []
    attrs: dict[str, list[AttrArg]] = {}
    doc: list[str] = []
    for child in body.named_children:
        if child.type == "attribute_item":
            got = _attribute(child)
            if got is not None:
                attrs.setdefault(got[0], []).extend(got[1])
        elif child.type == "line_comment":
            text = _ts.text(child)
            if text.startswith("///"):
                doc.append(text[3:].strip())
        elif child.type == "field_declaration":
            name = child.child_by_field_name("name")
            typ = child.child_by_field_name("type")
            fields.append(_Field(_ts.text(name), _ts.text(typ), child, attrs, " ".join(doc)))
            attrs, doc = {}, []
    return fields


def _arg(args: list[AttrArg], key: str) -> AttrArg | None:
    return next((a for a in args if a.key == key), None)


def _base_type(type_text: str) -> str:
    return type_text.replace("Option<", "").rstrip(">").split("::")[-1].strip()


_NON_ZERO = re.compile(r"\bNonZeroU(?:8|16|32|64|128|size)\b")


def _read_clap_field(rust: RustFile, out: Collector, f: _Field, args: list[AttrArg]) -> None:
    if any(a.key in ("subcommand", "flatten", "skip", "external_subcommand") for a in args):
        return
    value_type, optional = type_of(f.type_text)
    base = Param(f.name, FLAG, _ts.line(f.node), _ts.end_line(f.node), value_type=value_type)
    base.help = (_attr_string(rust, _arg(args, "help")) or f.doc) or None
    has_default = False
    for key in _DEFAULT_KEYS:
        arg = _arg(args, key)
        if arg is None:
            continue
        has_default = True
        if arg.tokens:
            base.default = _token_literal(rust, arg)
        elif value_type == "bool":
            base.default = "false"
        else:  # bare `default_value_t`: the type's Default, an enum's `#[default]` variant
            base.default = rust.enum_defaults.get(_base_type(f.type_text))
        break
    if base.default is None and value_type == "bool":
        base.default = "false"
    parser = _arg(args, "value_parser")
    if parser is not None:
        low, high = range_of(parser.tokens)
        if low is not None or high is not None:
            base.low, base.high, base.range_source = low, high, "declared"
        choices = [t for t in parser.tokens if t.type == "token_tree"]
        strings = [_ts.string_value(s) for c in choices[:1] for s in c.named_children]
        if (
            strings
            and all(s is not None for s in strings)
            and tokens_text(parser.tokens).startswith("[")
        ):
            base.allowed = [s for s in strings if s is not None]
            base.value_type = "enum"
    if base.low is None and _NON_ZERO.search(f.type_text):
        base.low, base.range_source = 1, "declared"  # `NonZeroUsize` holds no zero
    base.required = not (optional or has_default or value_type in ("bool", "list"))
    explicit = _arg(args, "required")
    if explicit is not None:
        base.required = not explicit.tokens or tokens_text(explicit.tokens) == "true"
    base.secret = any(word in f.type_text for word in _SECRET_TYPES)
    long_arg, short_arg, env_arg = _arg(args, "long"), _arg(args, "short"), _arg(args, "env")
    if long_arg is not None:
        long_name = _attr_string(rust, long_arg) if long_arg.tokens else kebab(f.name)
        if long_name:
            out.param(replace(base, name=f"--{long_name}", lines=[]))
    elif short_arg is not None:
        short = tokens_text(short_arg.tokens).strip("'") if short_arg.tokens else f.name[:1]
        out.param(replace(base, name=f"-{short}", lines=[]))
    if env_arg is not None:
        env_name = _attr_string(rust, env_arg) if env_arg.tokens else screaming(f.name)
        if env_name:
            out.param(replace(base, name=env_name, what=ENV, lines=[]))


def _attr_string(rust: RustFile, arg: AttrArg | None) -> str | None:
    if arg is None or not arg.tokens:
        return None
    if len(arg.tokens) == 1:
        return rust.literal(arg.tokens[0])
    return None


def _token_literal(rust: RustFile, arg: AttrArg) -> str | None:
    """A default written as attribute tokens: `8080`, `"x"`, `-1`, `default_port()`, `CONST`."""
    tokens = arg.tokens
    if len(tokens) == 1:
        return rust.literal(tokens[0])
    text = tokens_text(tokens)
    if len(tokens) == 2 and _ts.text(tokens[0]) == "-":
        inner = rust.literal(tokens[1])
        return f"-{inner}" if inner is not None else None
    if len(tokens) == 2 and tokens[1].type == "token_tree" and text.endswith("()"):
        function = rust.functions.get(_ts.text(tokens[0]))
        return rust.literal(function) if function is not None else None
    return rust.literal_source(text) if len(text) < 200 else None


def _config_prefixes(structs: list[_Struct], config: dict[str, _Struct]) -> dict[str, str]:
    """`smtp_options.` for the fields of a config struct another config struct holds."""
    prefixes: dict[str, str] = {}

    def prefix(name: str, depth: int = 0) -> str:
        if name in prefixes or depth > 6:
            return prefixes.get(name, "")
        for parent in config.values():
            for f in parent.fields:
                inner = type_of(f.type_text)
                base = f.type_text.replace("Option<", "").rstrip(">").split("::")[-1].strip()
                if base == name and inner[0] is None and parent.name != name:
                    # `#[serde(flatten)]` puts the inner struct's keys at its holder's level
                    own = "" if _flattened(f) else _field_key(parent, f) + "."
                    found = prefix(parent.name, depth + 1) + own
                    prefixes[name] = found
                    return found
        prefixes[name] = ""
        return ""

    for s in structs:
        if s.name in config:
            prefix(s.name)
    return prefixes


def _flattened(f: _Field) -> bool:
    return any(a.key == "flatten" for a in f.attrs.get("serde", []))


def _field_key(s: _Struct, f: _Field) -> str:
    rename = _arg(f.attrs.get("serde", []), "rename")
    if rename is not None and rename.tokens:
        value = _ts.string_value(rename.tokens[0])
        if value:
            return value
    rule_arg = _arg(s.attrs.get("serde", []), "rename_all")
    rule = _ts.string_value(rule_arg.tokens[0]) if rule_arg and rule_arg.tokens else None
    return renamed(f.name, rule)


def _serde_default(rust: RustFile, f: _Field) -> str | None:
    serde = _arg(f.attrs.get("serde", []), "default")
    if serde is not None and serde.tokens:
        function = rust.functions.get(_ts.string_value(serde.tokens[0]) or "")
        if function is not None:
            return rust.literal(function)
    elif serde is not None and type_of(f.type_text) == ("bool", False):
        return "false"  # `#[serde(default)]` on a bool is bool::default()
    elif serde is not None and _base_type(f.type_text) in rust.enum_defaults:
        return rust.enum_defaults[_base_type(f.type_text)]
    builder = _arg(f.attrs.get("builder", []), "default")
    if builder is not None and builder.tokens:
        code = _ts.string_value(builder.tokens[0])
        if code:
            return rust.literal_source(code)
    smart = f.attrs.get("default")  # smart-default: `#[default = 8080]`, `#[default(8080)]`
    if smart:
        arg = smart[0]
        if arg.key == "":
            return _token_literal(rust, arg)
        return rust.literal_source(arg.key + tokens_text(arg.tokens))
    return None


def _read_structs(rust: RustFile, out: Collector, root: ts.Node, flags: list[_ts.Match]) -> None:
    structs = _structs(flags)
    # A `Settings` struct is a config file's shape only where the file loads one; elsewhere
    # it is as likely an API payload (an index's settings, a request's options).
    loads_config = bool(_CONFIG_LOADERS.search(_ts.text(root)))
    config: dict[str, _Struct] = {}
    for s in structs:
        clap = bool(s.derives & _CLAP_DERIVES) or any(
            f.attrs.keys() & _CLAP_ATTRS for f in s.fields
        )
        if clap:
            for f in s.fields:
                for attr in _CLAP_ATTRS:
                    if attr in f.attrs:
                        _read_clap_field(rust, out, f, f.attrs[attr])
        if "Deserialize" in s.derives:
            defaults = sum(1 for f in s.fields if _serde_default(rust, f) is not None)
            defaults += len(rust.defaults.get(s.name, {}))
            named = bool(set(words(s.name)) & _CONFIG_STRUCT_WORDS)
            if defaults or clap or (named and loads_config):
                config[s.name] = s
    overlay = _env_overlay(rust, flags)
    prefixes = _config_prefixes(structs, config)
    nested = {name for name, prefix in prefixes.items() if prefix}
    for s in config.values():
        for f in s.fields:
            if any(a.key == "skip" for a in f.attrs.get("serde", [])):
                continue
            base_type = f.type_text.replace("Option<", "").rstrip(">").split("::")[-1].strip()
            if base_type in config and (base_type in nested or _flattened(f)):
                continue  # a section (or a flattened group): its own fields are the keys
            value_type, optional = type_of(f.type_text)
            default = _serde_default(rust, f)
            if default is None and f.name in rust.defaults.get(s.name, {}):
                default = rust.literal(rust.defaults[s.name][f.name])
            param = Param(
                prefixes.get(s.name, "") + _field_key(s, f),
                KEY,
                _ts.line(f.node),
                _ts.end_line(f.node),
                value_type=value_type,
                default=default,
                help=f.doc or None,
                secret=any(word in f.type_text for word in _SECRET_TYPES),
            )
            if _NON_ZERO.search(f.type_text):
                param.low, param.range_source = 1, "declared"
            out.param(param)
            if overlay is not None and ("." not in param.name or overlay[1]):
                env_name = overlay[0] + param.name.upper().replace(".", overlay[1] or "_")
                out.param(replace(param, name=env_name, what=ENV, lines=[]))


def _env_overlay(rust: RustFile, flags: list[_ts.Match]) -> tuple[str, str] | None:
    """(prefix, nesting separator) of an environment provider merged over the config file:
    figment `Env::prefixed("APP_").split("__")` → ("APP_", "__"); config-rs
    `Environment::with_prefix("APP").separator("__")` → ("APP_", "__")."""
    for match in flags:
        call, prefix_node = match.node("env_overlay"), match.node("env_prefix")
        if call is None or prefix_node is None:
            continue
        prefix = rust.literal(prefix_node) or ""
        if (
            _ts.text(match.node("env_ctor")) == "with_prefix"
            and prefix
            and not prefix.endswith("_")
        ):
            prefix += "_"
        separator = ""
        node = call
        for _ in range(8):
            step = _method_call(node)
            if step is None:
                break
            method, node, args = step
            if method in ("split", "separator") and args:
                separator = rust.literal(args[0]) or ""
        return prefix, separator
    return None


# --- builders and config crates -------------------------------------------------------


def _read_builders(rust: RustFile, out: Collector, flags: list[_ts.Match]) -> None:
    for match in flags:
        arg, ident = match.node("arg"), match.node("id")
        if arg is not None and ident is not None:
            _builder_chain(rust, out, arg, rust.literal(ident))
        setter, key, value = match.node("set"), match.node("key"), match.node("value")
        if setter is not None and key is not None:
            name = rust.literal(key)
            if not name:
                out.candidate(
                    _ts.line(setter), _ts.end_line(setter), "config default with a computed key"
                )
                continue
            param = out.at(name, KEY, setter)
            param.default = rust.literal(value)
            out.param(param)


def _builder_chain(rust: RustFile, out: Collector, start: ts.Node, ident: str | None) -> None:
    node = start
    values: dict[str, ts.Node | None] = {}
    for _ in range(30):
        step = _method_call(node)
        if step is None:
            break
        method, node, args = step
        values.setdefault(method.split("::")[0], args[0] if args else None)
    param = Param(ident or "", FLAG, _ts.line(start), _ts.end_line(node))
    param.default = rust.literal(values.get("default_value"))
    param.help = rust.literal(values.get("help")) or rust.literal(values.get("about"))
    action = _ts.text(values.get("action"))
    if (
        action.endswith(("SetTrue", "SetFalse"))
        or "takes_value" in values
        and _ts.text(values.get("takes_value")) == "false"
    ):
        param.value_type = "bool"
    parser = values.get("value_parser")
    if parser is not None:
        parser_text = _ts.text(parser)
        for typ in ("u16", "u32", "u64", "usize", "i32", "i64", "u8", "f64", "f32"):
            if f"!({typ})" in parser_text:
                param.value_type = "float" if typ.startswith("f") else "int"
        low, high = range_of((parser,))
        if low is not None or high is not None:
            param.low, param.high, param.range_source = low, high, "declared"
    param.required = _ts.text(values.get("required")) == "true"
    long_name = rust.literal(values.get("long"))
    short = _ts.text(values.get("short")).strip("'")
    env_name = rust.literal(values.get("env"))
    if long_name:
        out.param(replace(param, name=f"--{long_name}", lines=[]))
    elif short:
        out.param(replace(param, name=f"-{short}", lines=[]))
    if env_name:
        out.param(replace(param, name=env_name, what=ENV, lines=[]))


# --- health, ports, tables --------------------------------------------------------------


def _read_routes(out: Collector, root: ts.Node) -> None:
    for match in _ts.matches("rust", "health", root):
        call, path = match.node("call"), match.node("path")
        value = _ts.string_value(path)
        if call is None or not value or " " in value or "://" in value:
            continue
        # In a macro's route table the match is the whole table: cite the route's own line.
        out.route(value, path if call.type == "token_tree" and path is not None else call)


def _read_ports(out: Collector, root: ts.Node) -> None:
    for match in _ts.matches("rust", "ports", root):
        call = match.node("call")
        if call is None:
            continue
        port = match.node("port")
        addr = _ts.string_value(match.node("addr")) if match.node("addr") is not None else None
        if port is not None:
            out.port(_ts.text(port), _ts.text(match.node("fn")), call)
        elif addr and ":" in addr:
            out.port(addr.rsplit(":", 1)[1], _ts.text(match.node("fn")), call)


class RustCodeAnalyzer(TreeSitterAnalyzer):
    """Reads `*.rs` files (not tests, benches, examples or build scripts)."""

    name = NAME
    grammars = {".rs": "rust"}

    def accepts(self, source: SourceFile) -> bool:
        return super().accepts(source) and source.name != "build.rs"

    def read(self, grammar: str, root: ts.Node, out: Collector) -> None:  # noqa: ARG002
        rust = RustFile.read(root)
        _read_env(rust, out, root)
        flags = list(_ts.matches("rust", "flags", root))  # one pass: queries cost on deep trees
        _read_structs(rust, out, root, flags)
        _read_builders(rust, out, flags)
        consts = {k: _ts.text(v) for k, v in rust.consts.items()}
        out.tables(find_option_tables(root, RUST_SYNTAX, constants=consts))
        _read_routes(out, root)
        _read_ports(out, root)


register(RustCodeAnalyzer())
