"""Bounds from the guards of a C option switch (issue #15): a check whose branch rejects the
value (returns, jumps to an error label, exits, prints the usage) is a bound; a check that only
warns, one joined by `&&` or one on another variable is not."""

from __future__ import annotations

import textwrap

from ddd_llm.evidence.base import AnalyzerResult, SourceFile
from ddd_llm.evidence.code.c_code import CCodeAnalyzer
from ddd_llm.models import ConfigParameter

ANALYZER = CCodeAnalyzer()


def run(code: str, path: str = "src/daemon.c") -> AnalyzerResult:
    source = SourceFile(path, textwrap.dedent(code).lstrip("\n"))
    result = ANALYZER.analyze(source)
    assert not result.warnings, result.warnings
    return result


def params(result: AnalyzerResult) -> dict[str, ConfigParameter]:
    return {f.name: f for f in result.facts if isinstance(f, ConfigParameter)}


GETOPT = """
    #define MAX_BACKLOG 65535
    static struct { int backlog; int workers; double jitter; int retries; int ttl; } cfg;

    static void cfg_defaults(void) {
        cfg.backlog = 128;
        cfg.workers = 2;
        cfg.jitter = 0.1;
        cfg.retries = 5;
        cfg.ttl = 60;
    }

    int main(int argc, char **argv) {
        static struct option longopts[] = {
            {"backlog", required_argument, 0, 'b'},
            {"workers", required_argument, 0, 'w'},
            {"jitter", required_argument, 0, 'j'},
            {"retries", required_argument, 0, 'r'},
            {"ttl", required_argument, 0, 't'},
            {0, 0, 0, 0}
        };
        int c, strict = 0;
        cfg_defaults();
        while ((c = getopt_long(argc, argv, "b:w:j:r:t:", longopts, NULL)) != -1) {
            switch (c) {
            case 'b':
                cfg.backlog = atoi(optarg);
                if (cfg.backlog < 1 || cfg.backlog > MAX_BACKLOG) {
                    fprintf(stderr, "backlog out of range\\n");
                    exit(EX_USAGE);
                }
                break;
            case 'w':
                cfg.workers = atoi(optarg);
                if (cfg.workers >= 256) {
                    fprintf(stderr, "WARNING: that is a lot of workers\\n");
                }
                break;
            case 'j':
                cfg.jitter = strtod(optarg, NULL);
                if (0.0 > cfg.jitter) {
                    return 2;
                }
                break;
            case 'r':
                cfg.retries = atoi(optarg);
                if (strict && cfg.retries > 10) {
                    return 2;
                }
                break;
            case 't':
                cfg.ttl = atoi(optarg);
                if (cfg.backlog > 1000) {
                    return 2;
                }
                break;
            }
        }
        return 0;
    }
"""


def test_rejecting_guards_give_bounds() -> None:
    found = params(run(GETOPT))
    backlog = found["--backlog"]
    assert (backlog.default, backlog.min, backlog.max) == ("128", 1, 65535)  # via the #define
    assert backlog.range_source == "declared"
    jitter = found["--jitter"]  # `0.0 > x`: the constant on the left
    assert (jitter.value_type, jitter.default, jitter.min, jitter.max) == (
        "float",
        "0.1",
        0.0,
        None,
    )


def test_guards_that_do_not_reject_this_value_give_no_bounds() -> None:
    found = params(run(GETOPT))
    workers = found["--workers"]  # only warns
    assert (workers.default, workers.min, workers.max) == ("2", None, None)
    retries = found["--retries"]  # refused only together with another condition
    assert (retries.default, retries.min, retries.max) == ("5", None, None)
    ttl = found["--ttl"]  # the guard tests another setting
    assert (ttl.default, ttl.min, ttl.max) == ("60", None, None)


def test_integer_strict_bounds_move_inside_the_range() -> None:
    code = GETOPT.replace(
        "if (cfg.backlog < 1 || cfg.backlog > MAX_BACKLOG)",
        "if (cfg.backlog <= 0 || cfg.backlog >= 1024)",
    )
    backlog = params(run(code))["--backlog"]
    assert (backlog.min, backlog.max) == (1, 1023)
