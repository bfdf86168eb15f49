"""getsubopt token tables as option tables (issue #15): every token is an option, typed,
defaulted and bounded from the arm that handles it; string arrays that getsubopt never reads
are no options."""

from __future__ import annotations

import textwrap

from ddd_llm.evidence.base import AnalyzerResult, SourceFile
from ddd_llm.evidence.code.c_code import CCodeAnalyzer
from ddd_llm.models import ConfigParameter

ANALYZER = CCodeAnalyzer()


def run(code: str, path: str = "src/proxy.c") -> AnalyzerResult:
    source = SourceFile(path, textwrap.dedent(code).lstrip("\n"))
    result = ANALYZER.analyze(source)
    assert not result.warnings, result.warnings
    return result


def params(result: AnalyzerResult) -> dict[str, ConfigParameter]:
    return {f.name: f for f in result.facts if isinstance(f, ConfigParameter)}


DESIGNATED = """
    #define QUEUE_DEPTH_DEFAULT 16
    struct proxy_conf { int queue_depth; double drain_ratio; int buffer_bytes;
                        bool keepalive; char *upstream; int backoff; } pconf;
    static const char *color_names[] = { "red", "green", "blue", NULL };

    void proxy_defaults(struct proxy_conf *c) {
        c->queue_depth = QUEUE_DEPTH_DEFAULT;
        c->drain_ratio = 0.5;
        c->buffer_bytes = 8 * 1024;
        c->keepalive = true;
        c->upstream = NULL;
        c->backoff = 0;
    }

    int parse_tuning(char *arg) {
        enum { T_QUEUE, T_DRAIN, T_BUFFER, T_KEEPALIVE, T_NOKEEPALIVE, T_UPSTREAM, T_MODE };
        char *const tuning_keys[] = {
            [T_QUEUE] = "queue_depth",
            [T_DRAIN] = "drain_ratio",
            [T_BUFFER] = "buffer_kib",
            [T_KEEPALIVE] = "keepalive",
            [T_NOKEEPALIVE] = "no_keepalive",
            [T_UPSTREAM] = "upstream",
            [T_MODE] = "mode",
            NULL
        };
        char *val;
        printf("%s\\n", color_names[0]);
        while (*arg) {
            switch (getsubopt(&arg, tuning_keys, &val)) {
            case T_QUEUE:
                if (val == NULL) { fprintf(stderr, "missing value\\n"); return -1; }
                pconf.queue_depth = (int)strtol(val, NULL, 10);
                if (pconf.queue_depth < 2 || pconf.queue_depth > 4096) {
                    fprintf(stderr, "queue_depth out of range\\n");
                    return -1;
                }
                break;
            case T_DRAIN:
                pconf.drain_ratio = atof(val);
                if (pconf.drain_ratio <= 0.0 || pconf.drain_ratio >= 1.0) {
                    goto bad;
                }
                break;
            case T_BUFFER:
                if (!parse_uint(val, &pconf.buffer_bytes)) { goto bad; }
                pconf.buffer_bytes *= 1024;
                break;
            case T_KEEPALIVE:
                pconf.keepalive = true;
                break;
            case T_NOKEEPALIVE:
                pconf.keepalive = false;
                break;
            case T_UPSTREAM:
                pconf.upstream = strdup(val);
                break;
            case T_MODE:
                if (strcasecmp(val, "fast") == 0) {
                    pconf.backoff = 0;
                } else if (strcasecmp(val, "gentle") == 0) {
                    pconf.backoff = 5;
                } else {
                    goto bad;
                }
                break;
            default:
                goto bad;
            }
        }
        return 0;
    bad:
        return -1;
    }
"""


def test_designated_token_table_gives_every_option_with_default_type_and_bounds() -> None:
    found = params(run(DESIGNATED))
    queue = found["queue_depth"]
    assert (queue.value_type, queue.default, queue.min, queue.max) == ("int", "16", 2, 4096)
    assert queue.range_source == "declared"
    drain = found["drain_ratio"]  # strict float bounds stay at the refused value
    assert (drain.value_type, drain.default, drain.min, drain.max) == ("float", "0.5", 0.0, 1.0)
    # stored in bytes, given in KiB: the default is written in the option's unit
    assert found["buffer_kib"].default == "8"
    assert found["buffer_kib"].value_type == "int"
    assert found["keepalive"].value_type == "bool"
    assert found["keepalive"].default == "true"
    assert found["no_keepalive"].value_type == "bool"
    assert found["no_keepalive"].default is None  # a switch that turns off has no default
    assert found["upstream"].value_type == "string"
    assert found["upstream"].default is None
    mode = found["mode"]
    assert mode.value_type == "enum" and mode.allowed_values == ["fast", "gentle"]
    lines = [c.start_line for c in queue.citations]
    source = textwrap.dedent(DESIGNATED).lstrip("\n").splitlines()
    assert any('"queue_depth"' in source[n - 1] for n in lines)


def test_string_arrays_that_getsubopt_never_reads_are_not_options() -> None:
    found = params(run(DESIGNATED))
    assert not {"red", "green", "blue"} & set(found)
    without_getsubopt = DESIGNATED.replace("getsubopt(&arg, tuning_keys, &val)", "lookup(arg)")
    assert params(run(without_getsubopt)) == {}


POSITIONAL = """
    enum { OPT_WORKERS = 0, OPT_SPOOL, OPT_VERBOSE };
    static char *opts_names[] = { "workers", "spool_dir", "verbose", NULL };
    static int workers = 3;
    static const char *spool = "/var/spool/relay";
    static int verbose;

    void read_suboptions(char *list) {
        char *value;
        while (*list != '\\0') {
            int which = getsubopt(&list, opts_names, &value);
            switch (which) {
            case OPT_WORKERS:
                workers = atoi(value);
                if (workers <= 0) usage();
                break;
            case OPT_SPOOL:
                spool = value;
                break;
            case OPT_VERBOSE:
                verbose = 1;
                break;
            }
        }
    }
"""


def test_positional_table_resolved_through_the_enum_and_a_switch_on_a_variable() -> None:
    found = params(run(POSITIONAL))
    assert set(found) == {"workers", "spool_dir", "verbose"}
    workers = found["workers"]
    assert (workers.value_type, workers.default, workers.min) == ("int", "3", 1)
    assert found["spool_dir"].default == "/var/spool/relay"
    assert found["spool_dir"].value_type == "string"
    assert found["verbose"].value_type == "bool"


def test_a_warning_that_lets_the_value_through_is_no_bound() -> None:
    code = POSITIONAL.replace(
        "if (workers <= 0) usage();",
        'if (workers > 64) fprintf(stderr, "WARNING: many workers\\n");',
    )
    workers = params(run(code))["workers"]
    assert workers.min is None and workers.max is None
    assert workers.default == "3"


def test_the_flag_that_takes_the_sub_options_is_named_and_a_foreign_table_is_a_candidate() -> None:
    summary = params(run(DESIGNATED))["queue_depth"].summary
    assert summary.startswith("sub-option queue_depth")
    inline = """
        extern char *const shared_keys[];
        int main(int argc, char **argv) {
            char *opts = argv[1], *value;
            struct { int level; } cf;
            int c;
            while ((c = getopt(argc, argv, "O:")) != -1) {
                switch (c) {
                case 'O':
                    switch (getsubopt(&opts, local_keys, &value)) {
                    case 0:
                        cf.level = atoi(value);
                        break;
                    }
                    break;
                }
            }
        }
    """
    local = 'char *const local_keys[] = { "level", NULL };\n'
    found = params(run(local + textwrap.dedent(inline)))
    assert found["level"].summary.startswith("sub-option of -O level (int")
    foreign = run(inline.replace("local_keys", "shared_keys"))
    assert "level" not in params(foreign)
    assert any("getsubopt" in c.reason for c in foreign.candidates)
