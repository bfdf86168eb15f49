"""C option values that are not one literal beside the option (issue #15): bounds checked
after the option loop, a value parsed through a scratch copy with size suffixes, defaults
computed from other settings or copied from them, and what the usage text says of an option
the code leaves open."""

from __future__ import annotations

import textwrap

from ddd_llm.evidence.base import AnalyzerResult, SourceFile
from ddd_llm.evidence.code.c_code import CCodeAnalyzer
from ddd_llm.models import ConfigParameter


def analyze(*files: tuple[str, str]) -> dict[str, ConfigParameter]:
    """Every file through one analyzer, then `finish` (what another file completes)."""
    analyzer = CCodeAnalyzer()
    found: dict[str, ConfigParameter] = {}
    for path, text in files:
        result: AnalyzerResult = analyzer.analyze(
            SourceFile(path, textwrap.dedent(text).lstrip("\n"))
        )
        assert not result.warnings, result.warnings
        found.update({f.name: f for f in result.facts if isinstance(f, ConfigParameter)})
    analyzer.finish()
    return found


RELAY = """
    #define RING_MIN_KB 16
    struct config { long ring_bytes; int workers; int spill_pct; } cfg;

    static void config_defaults(struct config *c) {
        c->ring_bytes = 8 * 1024 * 1024;
        c->workers = 2;
        c->spill_pct = 50;
    }

    int main(int argc, char **argv) {
        int opt;
        char *copy;
        char last;
        long n;
        config_defaults(&cfg);
        if (cfg.spill_pct > 90) {
            return 3;
        }
        while ((opt = getopt(argc, argv, "r:w:p:")) != -1) {
            switch (opt) {
            case 'r':
                copy = strdup(optarg);
                last = copy[strlen(copy) - 1];
                n = strtol(copy, NULL, 10);
                if (last == 'g' || last == 'G') {
                    n *= 1024 * 1024 * 1024;
                } else if (last == 'm' || last == 'M') {
                    n *= 1024 * 1024;
                } else if (last == 'k' || last == 'K') {
                    n *= 1024;
                }
                cfg.ring_bytes = n;
                free(copy);
                break;
            case 'w':
                cfg.workers = atoi(optarg);
                break;
            case 'p':
                cfg.spill_pct = atoi(optarg);
                break;
            }
        }
        if (cfg.ring_bytes < RING_MIN_KB * 1024) {
            fprintf(stderr, "ring buffer too small\\n");
            return 2;
        }
        if (cfg.workers > 32) {
            fprintf(stderr, "warning: that many workers rarely helps\\n");
        }
        if (cfg.spill_pct > cfg.workers * 10) {
            exit(1);
        }
        if (cfg.workers < 1 || cfg.workers > 256) {
            usage();
        }
        return serve(&cfg);
    }
"""


def test_a_size_read_through_a_copy_takes_the_field_it_ends_in_and_its_suffixes() -> None:
    ring = analyze(("src/relay.c", RELAY))["-r"]
    assert ring.value_type == "size"
    assert ring.default == "8m"  # 8 MiB as the option is given it
    assert ring.min == 16384  # the check after the loop, through the #define
    assert ring.max is None
    assert "cfg.ring_bytes" in ring.summary


def test_rejecting_checks_after_the_option_loop_bound_the_option_they_test() -> None:
    found = analyze(("src/relay.c", RELAY))
    workers = found["-w"]
    assert (workers.min, workers.max, workers.range_source) == (1, 256, "declared")
    lines = textwrap.dedent(RELAY).lstrip("\n").splitlines()
    assert any("cfg.workers < 1" in lines[c.start_line - 1] for c in workers.citations)
    # a check before the loop tests the default, one against another setting bounds nothing
    spill = found["-p"]
    assert (spill.min, spill.max, spill.range_source) == (None, None, None)


def test_no_bounds_without_a_rejecting_check_after_the_loop() -> None:
    warned = RELAY.replace("usage();", 'fprintf(stderr, "odd worker count\\n");')
    workers = analyze(("src/relay.c", warned))["-w"]
    assert (workers.min, workers.max, workers.range_source) == (None, None, None)
    tested_elsewhere = RELAY.replace("cfg.workers < 1 || cfg.workers > 256", "cfg.rings < 1")
    assert analyze(("src/relay.c", tested_elsewhere))["-w"].max is None


def test_a_bound_defined_in_a_header_is_resolved_once_every_file_was_read() -> None:
    main = RELAY.replace("#define RING_MIN_KB 16\n", '#include "relay.h"\n')
    ring = analyze(("src/relay.c", main), ("src/relay.h", "#define RING_MIN_KB 4 * 4 * 2\n"))
    assert ring["-r"].min == 32 * 1024


TUNING = """
    struct tuning { int page_kb; int half_kb; int io_threads; int depth; int quota; } tune;
    struct engine { int threads; int depth; int quota; } eng;

    void tuning_init(struct tuning *t, struct engine *e) {
        t->page_kb = 256;
        t->half_kb = t->page_kb / 2;
        e->threads = tune.io_threads;
        e->depth = tune.missing_depth;
        e->quota = t->page_kb * cpu_count();
        t->io_threads = 4;
    }

    int main(int argc, char **argv) {
        int opt;
        tuning_init(&tune, &eng);
        while ((opt = getopt(argc, argv, "a:t:d:q:")) != -1) {
            switch (opt) {
            case 'a': tune.half_kb = atoi(optarg); break;
            case 't': eng.threads = atoi(optarg); break;
            case 'd': eng.depth = atoi(optarg); break;
            case 'q': eng.quota = atoi(optarg); break;
            }
        }
        return run(&eng);
    }
"""


def test_defaults_computed_from_other_settings_or_copied_from_them() -> None:
    found = analyze(("src/engine.c", TUNING))
    assert found["-a"].default == "128"  # page_kb / 2, page_kb set just before
    assert found["-t"].default == "4"  # a copy of io_threads, set after the copy
    assert found["-d"].default is None  # a copy of something nothing sets
    assert found["-q"].default is None  # a function's result is not known


MAIN = """
    struct opts { int mode; int nodes; int level; int index_pct; int shards; } o;
    static void opts_defaults(void) {
        o.mode = CACHE_POLICY_LRU;
        o.nodes = 3;
    }
    int main(int argc, char **argv) {
        static struct option longopts[] = {
            {"cache-mode", required_argument, 0, 'c'},
            {"nodes", required_argument, 0, 'n'},
            {"level", required_argument, 0, 'L'},
            {"index", required_argument, 0, 'x'},
            {"shards", required_argument, 0, 's'},
            {0, 0, 0, 0}
        };
        int opt;
        opts_defaults();
        while ((opt = getopt_long(argc, argv, "c:n:L:x:s:", longopts, NULL)) != -1) {
            switch (opt) {
            case 'c': o.mode = atoi(optarg); break;
            case 'n': o.nodes = atoi(optarg); break;
            case 'L': o.level = atoi(optarg); break;
            case 'x': o.index_pct = atoi(optarg); break;
            case 's':
                o.shards = atoi(optarg);
                if (o.shards < 1 || o.shards > 64) { return 1; }
                break;
            }
        }
        return 0;
    }
"""

HELP = """
    void print_help(void) {
        printf("  -c, --cache-mode=<n>  eviction policy (default: lru)\\n"
               "  -n, --nodes=<n>       peers to dial (default: 7)\\n"
               "  -L, --level=<n>       compression level\\n"
               "                        valid values are 0(none), 1(fast) or 2(best)\\n");
        printf("  -x, --index=<n>       index share (default: 1 percent of memory)\\n"
               "  -s, --shards=<n>      shard count, one of 1, 2, 4 or 128 (default: %d)\\n",
               o.shards);
    }
"""


def test_the_usage_text_fills_in_what_the_code_leaves_open() -> None:
    found = analyze(("src/main.c", MAIN), ("src/help.c", HELP))
    assert found["--cache-mode"].default == "lru"  # a library's constant in the code
    assert any(c.path == "src/help.c" for c in found["--cache-mode"].citations)
    assert found["--nodes"].default == "3"  # the code's value wins over the text's
    level = found["--level"]
    assert (level.min, level.max, level.range_source) == (0, 2, "documented")
    assert found["--index"].default is None  # a sentence, not a value
    shards = found["--shards"]  # the code's own check wins over the listed values
    assert (shards.min, shards.max, shards.range_source) == (1, 64, "declared")
    assert shards.default is None  # `%d` is filled in by the code, not a literal


def test_without_usage_text_nothing_is_documented() -> None:
    found = analyze(("src/main.c", MAIN))
    assert found["--cache-mode"].default is None
    assert (found["--level"].min, found["--level"].max) == (None, None)
