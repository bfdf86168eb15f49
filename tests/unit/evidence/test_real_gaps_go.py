"""Go gaps found on real repositories (issue #15): defaults that are another package's
constant, `time.Duration` constants printed by `.String()`, listen addresses as ports, and
bounds the code enforces by rejecting a flag's value."""

from __future__ import annotations

import textwrap

import pytest

from ddd_llm.evidence import analyze_files
from ddd_llm.evidence.base import AnalyzerResult, SourceFile
from ddd_llm.evidence.code._go_duration import duration_ns, go_duration
from ddd_llm.models import ConfigParameter, ResourceRequirement

LIMITS = """
package limits

import "time"

// Defaults shared by the daemon and its embedders.
const (
	DefaultDrainWait = 90 * time.Second
	DefaultPoll      = 250 * time.Millisecond
	DefaultBind      = "127.0.0.1:7000"
)

var Unexported = "x"
"""

MAIN = """
package main

import (
	"github.com/alecthomas/kingpin/v2"
	"github.com/spf13/pflag"

	"example.org/quarry/internal/limits"
	"github.com/elsewhere/vendorlib/tuning"
)

func main() {
	var (
		drain = kingpin.Flag("drain-wait", "How long to drain.").
			Default(limits.DefaultDrainWait.String()).Duration()
		poll  = kingpin.Flag("poll", "Poll period.").Default(limits.DefaultPoll.String()).Duration()
		other = kingpin.Flag("tune", "Tuning.").Default(tuning.Factor.String()).Duration()
		ghost = kingpin.Flag("ghost", "Not declared.").Default(limits.Missing.String()).Duration()
	)
	bind := pflag.String("bind-address", limits.DefaultBind, "where to listen")
	_, _, _, _, _ = drain, poll, other, ghost, bind
}
"""


def run(files: dict[str, str]) -> AnalyzerResult:
    return analyze_files(
        SourceFile(path, textwrap.dedent(text).lstrip("\n")) for path, text in files.items()
    )


def params(result: AnalyzerResult) -> dict[str, ConfigParameter]:
    return {f.name: f for f in result.facts if isinstance(f, ConfigParameter)}


def ports(result: AnalyzerResult) -> set[str | None]:
    return {
        f.value for f in result.facts if isinstance(f, ResourceRequirement) and f.resource == "port"
    }


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        ("0 * time.Second", "0s"),
        ("250 * time.Millisecond", "250ms"),
        ("1500 * time.Millisecond", "1.5s"),
        ("90 * time.Second", "1m30s"),
        ("time.Hour * 6", "6h0m0s"),
        ("time.Minute + 5*time.Second", "1m5s"),
        ("40 * time.Microsecond", "40µs"),
    ],
)
def test_durations_print_the_way_go_prints_them(text: str, printed: str) -> None:
    ns = duration_ns(text)
    assert ns is not None
    assert go_duration(ns) == printed


@pytest.mark.parametrize("text", ["timeout", "time.Since(start)", "3 * base", "42"])
def test_what_is_not_a_duration_constant_is_not_read_as_one(text: str) -> None:
    assert duration_ns(text) is None


def test_another_packages_constants_resolve_and_foreign_ones_stay_as_written() -> None:
    result = run({"internal/limits/limits.go": LIMITS, "cmd/quarry/main.go": MAIN})
    found = params(result)
    assert found["--drain-wait"].default == "1m30s"
    assert found["--poll"].default == "250ms"
    assert found["--bind-address"].default == "127.0.0.1:7000"
    # the constant's own line is cited beside the flag
    cited = {(c.path, c.start_line) for c in found["--drain-wait"].citations}
    assert ("internal/limits/limits.go", 7) in cited
    # a package that is not in the repository, or a name it does not declare: as written
    assert found["--tune"].default == "tuning.Factor.String()"
    assert found["--ghost"].default == "limits.Missing.String()"
    # the listen address's port is a resource; no port is made up from the other flags
    assert ports(result) == {"7000"}


def test_go_mod_names_the_module_so_a_same_named_foreign_folder_is_not_used() -> None:
    go_mod = "module example.net/other\n\ngo 1.22\n"
    result = run(
        {"go.mod": go_mod, "internal/limits/limits.go": LIMITS, "cmd/quarry/main.go": MAIN}
    )
    found = params(result)
    # example.org/quarry/... is another module: its constants are not this folder's
    assert found["--drain-wait"].default == "limits.DefaultDrainWait.String()"
    result = run(
        {
            "go.mod": "module example.org/quarry\n",
            "internal/limits/limits.go": LIMITS,
            "cmd/quarry/main.go": MAIN,
        }
    )
    assert params(result)["--drain-wait"].default == "1m30s"


BOUNDS = """
package main

import (
	"flag"
	"log"
	"log/slog"
	"os"
)

func run() int {
	var workers int
	flag.IntVar(&workers, "workers", 4, "worker goroutines")
	share := flag.Float64("share", 0.5, "share of memory to use")
	retries := flag.Int("retries", 3, "retries")
	depth := flag.Int("depth", 8, "queue depth")
	flag.Parse()
	if workers < 1 || workers > 64 {
		log.Fatalf("-workers must be 1..64")
	}
	if *share <= 0.0 || *share > 1.0 {
		slog.Error("-share must be in (0, 1]")
		return 1
	}
	if *retries > 10 {
		slog.Warn("many retries")
	}
	if *depth > workers {
		os.Exit(2)
	}
	return 0
}
"""


def test_a_check_that_stops_the_program_gives_the_flags_bounds() -> None:
    found = params(run({"cmd/pool/main.go": BOUNDS}))
    workers, share = found["-workers"], found["-share"]
    assert (workers.min, workers.max, workers.range_source) == (1, 64, "declared")
    assert (share.min, share.max) == (0, 1)
    # a check that only warns, or compares with another flag, bounds nothing
    assert (found["-retries"].min, found["-retries"].max) == (None, None)
    assert (found["-depth"].min, found["-depth"].max) == (None, None)
