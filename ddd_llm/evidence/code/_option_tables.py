"""Option tables in any tree-sitter grammar: many rows of one shape that each declare a setting.

C servers declare every option in one table (`CF_ABS("listen_port", CF_INT, cf_listen_port, 0,
"6432")`, `createIntConfig("maxclients", NULL, …, 1, LONG_MAX, server.maxclients, 10000, …)`,
`{ ngx_string("worker_connections"), … }`), Rust projects in a macro or an array of tuples.
A table is recognised by its shape, never by a project's or a macro's name: an initializer list,
an array, a macro's token tree, or a run of sibling calls with at least `MIN_ROWS` rows whose
consistently placed first string literal is a key. Which column holds the default and the bounds
comes, in this order, from the rows' own labels (`.def = "5"`, struct fields), the parameter names
of a function-like macro defined in the same file (`#define X(name, lower, upper, default)`), and
otherwise from statistics over the rows (a literal column with varying values; three numeric
columns where one always lies between the other two are default, min and max).

`find_option_tables(root, syntax)` is the entry point every analyzer calls.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import tree_sitter as ts

from ddd_llm.evidence.code import _ts
from ddd_llm.evidence.code._option_cells import (
    Cell,
    cell_of,
    cells_of_tokens,
    number_of,
    one_line,
    words,
)
from ddd_llm.models import Number, RangeSource, ValueType

__all__ = [
    "C_SYNTAX",
    "CONFIG_WORDS",
    "MIN_ROWS",
    "RUST_SYNTAX",
    "Cell",
    "OptionTable",
    "Row",
    "TableOption",
    "TableSyntax",
    "cell_of",
    "find_option_tables",
    "number_of",
    "row_of",
    "words",
]

MIN_ROWS = 3
"""Fewer rows than this are a pair or a triple of calls, not a table."""

_CONSTANT = re.compile(r"^[A-Z][A-Z0-9_]*(?:\s*[-+*/]\s*\w+)?$")
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:\-/]{0,80}$")
# Words in a table's variable, type, row macro or flag names that say "these are settings".
CONFIG_WORDS = frozenset(
    {
        "conf",
        "config",
        "configs",
        "configuration",
        "configure",
        "cfg",
        "cf",
        "option",
        "options",
        "opt",
        "opts",
        "param",
        "params",
        "parameter",
        "parameters",
        "setting",
        "settings",
        "directive",
        "directives",
        "knob",
        "knobs",
        "tunable",
        "tunables",
        "guc",
        "sysvar",
    }
)

# Column roles by a label (a struct field, a designator, a macro's parameter name).
_ROLE_WORDS: dict[str, frozenset[str]] = {
    "name": frozenset(
        {"name", "key", "option", "opt", "param", "directive", "keyname", "key_name"}
    ),
    "default": frozenset(
        {
            "default",
            "def",
            "dflt",
            "dfl",
            "defval",
            "def_val",
            "default_val",
            "default_value",
            "def_value",
            "init",
            "initial",
            "default_str",
        }
    ),
    "min": frozenset(
        {"min", "lower", "lo", "low", "minimum", "min_val", "min_value", "minval", "lower_bound"}
    ),
    "max": frozenset(
        {"max", "upper", "hi", "high", "maximum", "max_val", "max_value", "maxval", "upper_bound"}
    ),
    "help": frozenset({"help", "desc", "description", "doc", "usage", "comment", "descr"}),
}

_TYPE_WORDS: tuple[tuple[frozenset[str], ValueType], ...] = (
    (frozenset({"bool", "boolean", "flag", "yesno", "onoff"}), "bool"),
    (frozenset({"time", "duration", "usec", "msec", "sec", "secs", "seconds", "ms"}), "duration"),
    (frozenset({"float", "double", "real"}), "float"),
    (
        frozenset(
            {"int", "integer", "uint", "long", "ulong", "longlong", "ulonglong", "num", "number"}
        ),
        "int",
    ),
    (frozenset({"size", "sizet", "bytes", "memory", "mem"}), "size"),
    (frozenset({"enum", "lookup", "choice", "choices"}), "enum"),
    (frozenset({"str", "string", "sds", "text", "path", "file"}), "string"),
)


@dataclass(frozen=True)
class Row:
    """One table row: its callee (None for a brace group) and its cells."""

    head: str | None
    cells: tuple[Cell, ...]
    start_line: int
    end_line: int


@dataclass(frozen=True)
class TableOption:
    """One decoded row: a setting's name, default and bounds as the table states them."""

    name: str
    start_line: int
    end_line: int
    default: str | None = None
    value_type: ValueType | None = None
    low: Number | None = None
    high: Number | None = None
    range_source: RangeSource | None = None
    allowed: list[str] | None = None
    help: str | None = None


@dataclass
class OptionTable:
    """A recognised table; `confident` is False when nothing says its rows are settings."""

    container: str
    start_line: int
    end_line: int
    options: list[TableOption] = field(default_factory=list)
    undecoded: list[tuple[int, int, str]] = field(default_factory=list)
    confident: bool = True
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TableSyntax:
    """The node types one grammar uses for the parts of a table.

    `lists` hold rows (an initializer list, an array literal, a macro's token tree); `calls` are
    rows with a callee (`function` or `macro` field) and `arguments`; `groups` are brace or tuple
    rows; `blocks` hold statements, where a run of sibling calls of one callee is a table too;
    `statements` wrap one call (`expression_statement`)."""

    lists: frozenset[str]
    calls: frozenset[str]
    groups: frozenset[str]
    blocks: frozenset[str]
    statements: frozenset[str]
    pairs: frozenset[str] = frozenset()


C_SYNTAX = TableSyntax(
    lists=frozenset({"initializer_list"}),
    calls=frozenset({"call_expression"}),
    groups=frozenset({"initializer_list"}),
    blocks=frozenset({"compound_statement", "translation_unit"}),
    statements=frozenset({"expression_statement"}),
    pairs=frozenset({"initializer_pair"}),
)
RUST_SYNTAX = TableSyntax(
    lists=frozenset({"array_expression", "token_tree"}),
    calls=frozenset({"call_expression", "macro_invocation"}),
    groups=frozenset({"tuple_expression", "token_tree", "struct_expression"}),
    blocks=frozenset({"block", "source_file", "declaration_list"}),
    statements=frozenset({"expression_statement"}),
    pairs=frozenset({"field_initializer"}),
)


# --- rows -------------------------------------------------------------------------------


def _callee(node: ts.Node) -> str | None:
    for name in ("function", "macro", "name"):
        target = node.child_by_field_name(name)
        if target is not None:
            return one_line(_ts.text(target))
    return None


def row_of(node: ts.Node, syntax: TableSyntax, constants: Mapping[str, str]) -> Row | None:
    """A row node as cells, or None when the node is no row."""
    start, end = _ts.line(node), _ts.end_line(node)
    if node.type in syntax.calls:
        head = _callee(node)
        args = node.child_by_field_name("arguments")
        if args is None:
            args = next((c for c in node.named_children if c.type == "token_tree"), None)
        if args is None or head is None:
            return None
        if args.type == "token_tree":
            return Row(head, tuple(cells_of_tokens(args, constants)), start, end)
        return Row(head, tuple(_element_cells(args, syntax, constants)), start, end)
    if node.type in syntax.groups:
        if node.type == "token_tree":
            return Row(None, tuple(cells_of_tokens(node, constants)), start, end)
        return Row(None, tuple(_element_cells(node, syntax, constants)), start, end)
    return None


def _element_cells(
    node: ts.Node, syntax: TableSyntax, constants: Mapping[str, str], depth: int = 0
) -> list[Cell]:
    cells: list[Cell] = []
    for child in node.named_children:
        if child.type in ("comment", "line_comment", "block_comment", "ERROR"):
            continue
        if child.type.startswith("preproc"):
            continue
        if child.type in syntax.groups and child.type != "token_tree":
            # a nested group is part of the row: `{ {"port", PGC_POSTMASTER, …}, &Port, 5432 }`
            if depth < 4:
                cells.extend(_element_cells(child, syntax, constants, depth + 1))
            else:
                cells.append(cell_of(child, constants))
            continue
        if child.type in syntax.pairs:
            label, value = _pair(child)
            if value is not None:
                cells.append(cell_of(value, constants, label))
            continue
        if child.type in ("argument", "arguments"):  # PHP wraps each argument
            inner = child.named_children
            if inner:
                cells.append(cell_of(inner[-1], constants))
            continue
        cells.append(cell_of(child, constants))
    return cells


def _pair(node: ts.Node) -> tuple[str | None, ts.Node | None]:
    value = node.child_by_field_name("value")
    designator = node.child_by_field_name("designator") or node.child_by_field_name("field")
    label = None
    if designator is not None:
        label = _ts.text(designator).lstrip(".").strip()
        if not re.match(r"^\w+$", label):
            label = None  # `[INDEX] = "name"` names a slot, not a column
    if value is None and node.named_children:
        value = node.named_children[-1]
    return label, value


# --- finding tables ---------------------------------------------------------------------


def _container_name(node: ts.Node) -> str:
    """The variable, constant or callee a table belongs to (`bouncer_params`, `OPTIONS`)."""
    current: ts.Node | None = node
    for _ in range(5):
        if current is None:
            break
        for fname in ("declarator", "name", "pattern", "left", "macro"):
            target = current.child_by_field_name(fname)
            if target is not None and target is not node:
                idents = [n for n in _ts.walk(target) if n.type == "identifier"]
                if idents:
                    return _ts.text(idents[0])
        current = current.parent
    return ""


def _declared_type(node: ts.Node) -> str:
    current: ts.Node | None = node
    for _ in range(5):
        if current is None:
            return ""
        typ = current.child_by_field_name("type")
        if typ is not None and current.type in ("declaration", "const_item", "static_item"):
            return _ts.text(typ)
        current = current.parent
    return ""


def _candidate_tables(
    root: ts.Node, syntax: TableSyntax, skip: set[tuple[int, int]]
) -> Iterator[tuple[ts.Node, list[ts.Node], str]]:
    """(table node, row nodes, container) for every list of rows and run of sibling calls."""
    for node in _ts.walk(root):
        if (node.start_byte, node.end_byte) in skip:
            continue
        if node.type in syntax.lists:
            rows = [
                c for c in node.named_children if c.type in syntax.calls or c.type in syntax.groups
            ]
            if len(rows) >= MIN_ROWS:
                container = _container_name(node)
                if node.type == "token_tree" and node.parent is not None:
                    container = container or _callee(node.parent) or ""
                yield node, rows, container
        if node.type in syntax.blocks:
            yield from _sibling_runs(node, syntax)


# A run of calls to a writer, a logger or an assertion is output, not a declaration.
_OUTPUT_WORDS = frozenset(
    {
        "write",
        "print",
        "printf",
        "fprintf",
        "log",
        "send",
        "emit",
        "append",
        "status",
        "row",
        "reply",
        "assert",
        "expect",
        "error",
        "warn",
        "debug",
        "info",
        "trace",
        "puts",
        "push",
        "insert",
        "test",
        "check",
    }
)


def _sibling_runs(
    block: ts.Node, syntax: TableSyntax
) -> Iterator[tuple[ts.Node, list[ts.Node], str]]:
    """Runs of at least `MIN_ROWS` statements calling one callee whose name speaks of
    settings (`cfg.set_default(…)`, `conf_register(…)`), never of output."""
    run: list[ts.Node] = []
    head: str | None = None
    for child in [*block.named_children, None]:
        if child is not None and child.type in ("comment", "line_comment", "block_comment"):
            continue
        call = _statement_call(child, syntax) if child is not None else None
        this_head = _callee(call) if call is not None else None
        if call is not None and this_head == head:
            run.append(call)
            continue
        if len(run) >= MIN_ROWS and head is not None:
            said = set(words(head))
            if said & CONFIG_WORDS and not said & _OUTPUT_WORDS:
                yield block, run, head
        run = [call] if call is not None else []
        head = this_head


def _statement_call(node: ts.Node, syntax: TableSyntax) -> ts.Node | None:
    if node.type in syntax.calls:
        return node
    if node.type in syntax.statements and node.named_children:
        inner = node.named_children[0]
        if inner.type == "try_expression" and inner.named_children:
            inner = inner.named_children[0]
        if inner.type in syntax.calls:
            return inner
    return None


def find_option_tables(
    root: ts.Node,
    syntax: TableSyntax,
    *,
    constants: Mapping[str, str] | None = None,
    macro_params: Mapping[str, list[str]] | None = None,
    skip: Iterable[ts.Node] = (),
) -> list[OptionTable]:
    """Every option table under `root`.

    `constants` maps a constant's name to its literal source text (`#define PORT "6432"`);
    `macro_params` maps a function-like macro to its parameter names; `skip` are table nodes an
    analyzer already read another way (a getopt `struct option` array)."""
    consts = dict(constants or {})
    params = dict(macro_params or {})
    skipped = {(n.start_byte, n.end_byte) for n in skip}
    raw_tables: list[tuple[ts.Node, list[Row], str]] = []
    for node, row_nodes, container in _candidate_tables(root, syntax, skipped):
        rows = [r for r in (row_of(n, syntax, consts) for n in row_nodes) if r is not None]
        if len(rows) >= MIN_ROWS:
            raw_tables.append((node, rows, container))
    lookups = _lookups(raw_tables)
    tables: list[OptionTable] = []
    for node, rows, container in raw_tables:
        table = _decode(node, rows, container, params, lookups)
        if table is not None:
            tables.append(table)
    return tables


# --- decoding ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Lookup:
    names: list[str]
    by_ident: dict[str, str]


def _lookups(tables: list[tuple[ts.Node, list[Row], str]]) -> dict[str, _Lookup]:
    """Two-column (string, constant) tables: `{ "session", POOL_SESSION }` — enum choices."""
    found: dict[str, _Lookup] = {}
    for _node, rows, container in tables:
        if not container:
            continue
        names: list[str] = []
        by_ident: dict[str, str] = {}
        for row in rows:
            if _is_sentinel(row):
                continue  # `{ NULL }`, `{NULL, 0}` terminators
            kinds = [c.kind for c in row.cells]
            if len(kinds) != 2 or "string" not in kinds or kinds[0] == kinds[1]:
                break
            text, other = row.cells if kinds[0] == "string" else reversed(row.cells)
            value = text.value or ""
            names.append(value)
            by_ident[other.text] = value
        else:
            if len(names) >= 2:
                found[container] = _Lookup(names, by_ident)
    return found


_SENTINEL_WORDS = frozenset({"null", "nil", "none", "end", "sentinel", "terminator", "last"})


def _is_sentinel(row: Row) -> bool:
    """`{ NULL }`, `{NULL, 0}`, `{ ngx_null_string, 0 }`: the row that ends a table."""
    return all(
        c.kind == "null"
        or c.text in ("0", "{0}", "NULL")
        or (c.kind == "ident" and set(words(c.text)) & _SENTINEL_WORDS)
        for c in row.cells
    )


def _role_of(label: str | None) -> str | None:
    if not label:
        return None
    lowered = label.lower().strip("_")
    for role, names in _ROLE_WORDS.items():
        if lowered in names:
            return role
    return None


@dataclass
class _Columns:
    name: int
    default: int | None = None
    low: int | None = None
    high: int | None = None
    help: int | None = None
    type_col: int | None = None
    labelled: bool = False
    notes: list[str] = field(default_factory=list)


def _shares_word(a: str, b: str) -> bool:
    return bool(set(re.split(r"[-_.:/]", a.lower())) & set(re.split(r"[-_.:/]", b.lower())) - {""})


def _name_column(rows: list[Row], width: int) -> int | None:
    """The first column of distinct keys (a column repeating one string is a format or a tag)."""
    for index in range(width):
        keys = [
            r.cells[index].value or ""
            for r in rows
            if r.cells[index].kind == "string" and _KEY.match(r.cells[index].value or "")
        ]
        if len(keys) >= max(1, round(0.8 * len(rows))) and len(set(keys)) >= 0.8 * len(keys):
            return index
    return None


def _type_of_words(texts: Iterable[str]) -> ValueType | None:
    seen = {w for text in texts for w in words(text)}
    for type_words, value_type in _TYPE_WORDS:
        if seen & type_words:
            return value_type
    return None


def _columns(rows: list[Row], width: int, labels: list[str] | None) -> _Columns | None:
    if labels:
        roles = {_role_of(label): i for i, label in reversed(list(enumerate(labels[:width])))}
        if "name" in roles or roles.get("default") is not None:
            name = roles.get("name", _name_column(rows, width))
            if name is not None:
                return _Columns(
                    name=name,
                    default=roles.get("default"),
                    low=roles.get("min"),
                    high=roles.get("max"),
                    help=roles.get("help"),
                    labelled=True,
                )
    name = _name_column(rows, width)
    if name is None:
        return None
    cols = _Columns(name=name)
    n = len(rows)
    numeric: list[int] = []
    numberish: list[int] = []
    strings: list[int] = []
    for index in range(width):
        if index == name:
            continue
        column = [r.cells[index] for r in rows]
        kinds = Counter(c.kind for c in column)
        literal = [c for c in column if c.kind in ("string", "number", "bool")]
        distinct = {c.value for c in literal}
        if kinds["ident"] + kinds["expr"] >= 0.6 * n and _type_of_words(
            w for c in column for w in c.idents or (c.text,)
        ):
            if cols.type_col is None:
                cols.type_col = index
            continue
        if (
            kinds["string"] >= 0.5 * n
            and sum(
                1
                for c in column
                if c.kind == "string" and " " in (c.value or "") and len(c.value or "") >= 12
            )
            >= 0.5 * kinds["string"]
        ):
            cols.help = cols.help if cols.help is not None else index
            continue
        constants = sum(1 for c in column if c.kind == "ident" and _CONSTANT.match(c.text))
        if kinds["number"] and kinds["number"] + constants >= 0.6 * n:
            numberish.append(index)  # numbers and constants of other files: maybe a bound
        if kinds["number"] + kinds["bool"] >= 0.6 * n and (len(distinct) >= 2 or n < MIN_ROWS):
            numeric.append(index)
            continue
        if kinds["string"] + kinds["null"] >= 0.8 * n and kinds["string"] and len(distinct) >= 2:
            pairs = [
                (r.cells[name].value or "", r.cells[index].value or "")
                for r in rows
                if r.cells[index].kind == "string"
            ]
            if sum(1 for a, b in pairs if _KEY.match(b) and _shares_word(a, b)) >= 0.5 * len(pairs):
                continue  # an alias column: `"replica-read-only", "slave-read-only"`
            strings.append(index)
    _choose(rows, cols, numeric, strings, numberish)
    return cols


def _choose(
    rows: list[Row],
    cols: _Columns,
    numeric: list[int],
    strings: list[int],
    numberish: list[int],
) -> None:
    triple = _bounded_triple(rows, numeric, sorted(set(numeric) | set(numberish)))
    if triple is not None:
        cols.low, cols.high, cols.default = triple
        return
    if strings and len(strings) == 1:
        cols.default = strings[0]
        pair = [i for i in numeric if i + 1 in numeric]
        if pair and _ordered(rows, pair[0], pair[0] + 1):
            cols.low, cols.high = pair[0], pair[0] + 1
        return
    if len(numeric) == 1 and not strings:
        cols.default = numeric[0]
        return
    if numeric or strings:
        cols.notes.append("default column ambiguous")


def _ordered(rows: list[Row], low: int, high: int) -> bool:
    checked = 0
    for r in rows:
        a, b = r.cells[low].number, r.cells[high].number
        if a is None or b is None:
            continue
        if a > b:
            return False
        checked += 1
    return checked > 0


def _bounded_triple(
    rows: list[Row], numeric: list[int], bounds: list[int]
) -> tuple[int, int, int] | None:
    """(min, max, default) columns: the default (a numeric column) lies between two adjacent
    bound columns in every row where all three are known, and in at least one row."""
    if len(bounds) < 3 or not numeric:
        return None
    for low in bounds:
        high = low + 1
        if high not in bounds:
            continue
        for default in numeric:
            if default in (low, high):
                continue
            checked, wider = 0, 0
            ok = True
            for r in rows:
                lo, hi, d = r.cells[low].number, r.cells[high].number, r.cells[default].number
                if lo is None or hi is None or d is None:
                    continue
                if not lo <= d <= hi:
                    ok = False
                    break
                checked += 1
                wider += lo < hi
            if ok and wider and (checked >= 0.6 * len(rows) or low in numeric or high in numeric):
                return low, high, default
    return None


def _decode(
    node: ts.Node,
    rows: list[Row],
    container: str,
    macro_params: Mapping[str, list[str]],
    lookups: Mapping[str, _Lookup],
) -> OptionTable | None:
    if container in lookups:
        return None
    content = [r for r in rows if not _is_sentinel(r)]
    groups: dict[tuple[str | None, int], list[Row]] = {}
    for row in content:
        groups.setdefault((row.head, len(row.cells)), []).append(row)
    table = OptionTable(container, _ts.line(node), _ts.end_line(node))
    hint_texts = [container, _declared_type(node)]
    row_hints = 0
    decoded_rows = 0
    for (head, width), group in groups.items():
        if width < 2:
            table.undecoded.extend((r.start_line, r.end_line, "one-element row") for r in group)
            continue
        labels = _labels(group, head, macro_params)
        cols = _columns(group, width, labels)
        if cols is None:
            table.undecoded.extend(
                (r.start_line, r.end_line, "row without a literal name") for r in group
            )
            continue
        hint_texts.append(head or "")
        row_hints += sum(
            1 for r in group if any(set(words(w)) & CONFIG_WORDS for c in r.cells for w in c.idents)
        )
        table.notes.extend(cols.notes)
        for row in group:
            option = _option(row, cols, head, lookups, container)
            if option is None:
                table.undecoded.append((row.start_line, row.end_line, "row without a literal name"))
            else:
                table.options.append(option)
                decoded_rows += 1
    if decoded_rows < MIN_ROWS:
        return None
    # Settings by name (the table's variable, type or row macro), by nearly every row's flags
    # (`NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1`), or by some rows' flags and the keys' shape.
    named = any(set(words(t)) & CONFIG_WORDS for t in hint_texts if t)
    flagged = row_hints >= 0.8 * decoded_rows
    keyish = sum(1 for o in table.options if re.search(r"[-_.]", o.name)) >= 0.5 * decoded_rows
    shaped = keyish or any(o.default is not None for o in table.options)
    table.confident = (named and shaped) or flagged or (row_hints > 0 and shaped)
    return table


def _labels(
    group: list[Row], head: str | None, macro_params: Mapping[str, list[str]]
) -> list[str] | None:
    first = group[0]
    if all(c.label for c in first.cells):
        return [c.label or "" for c in first.cells]
    if head is not None and head in macro_params:
        return macro_params[head]
    return None


def _option(
    row: Row,
    cols: _Columns,
    head: str | None,
    lookups: Mapping[str, _Lookup],
    container: str = "",
) -> TableOption | None:
    cells = row.cells
    if cols.labelled:
        by_label = {_role_of(c.label): c for c in cells if c.label}
        if by_label:
            name_cell = by_label.get("name", cells[cols.name] if cols.name < len(cells) else None)
        else:
            name_cell = cells[cols.name] if cols.name < len(cells) else None
    else:
        by_label = {}
        name_cell = cells[cols.name]
    if name_cell is None or name_cell.kind != "string" or not _KEY.match(name_cell.value or ""):
        return None

    def pick(role: str, index: int | None) -> Cell | None:
        if role in by_label:
            return by_label[role]
        return cells[index] if index is not None and index < len(cells) else None

    default_cell, low_cell, high_cell = (
        pick("default", cols.default),
        pick("min", cols.low),
        pick("max", cols.high),
    )
    help_cell = pick("help", cols.help)
    lookup = next((lookups[i] for c in cells for i in c.idents if i in lookups), None)
    value_type = _row_type(row, cols, head) or _type_of_words([container])
    default = _default_text(default_cell, lookup)
    if default is None and lookup is not None:
        # an enum row names its default by one of its lookup's constants (`LL_NOTICE`)
        default = next((lookup.by_ident[c.text] for c in cells if c.text in lookup.by_ident), None)
    low = low_cell.number if low_cell is not None else None
    high = high_cell.number if high_cell is not None else None
    if high is not None and abs(high) >= 2**31 - 1:
        high = None  # `LONG_MAX` is "no limit", not a range an operator keeps to
    if low is not None and low <= -(2**31):
        low = None  # so is `INT_MIN`
    if low is not None and high is not None and low > high:
        low = high = None
    return TableOption(
        name=name_cell.value or "",
        start_line=row.start_line,
        end_line=row.end_line,
        default=default,
        value_type="enum" if lookup is not None else value_type,
        low=low,
        high=high,
        range_source="declared" if low is not None or high is not None else None,
        allowed=list(lookup.names) if lookup is not None else None,
        help=help_cell.value if help_cell is not None and help_cell.kind == "string" else None,
    )


def _row_type(row: Row, cols: _Columns, head: str | None) -> ValueType | None:
    if cols.type_col is not None and cols.type_col < len(row.cells):
        cell = row.cells[cols.type_col]
        found = _type_of_words(cell.idents or (cell.text,))
        if found is not None:
            return found
    if head is not None:
        found = _type_of_words([head])
        if found is not None:
            return found
    return None


def _default_text(cell: Cell | None, lookup: _Lookup | None) -> str | None:
    if cell is None:
        return None
    if cell.kind in ("string", "number", "bool", "char"):
        return cell.value if cell.kind != "number" else cell.text
    if lookup is not None and cell.text in lookup.by_ident:
        return lookup.by_ident[cell.text]
    return None
