"""Defaults of C options in the forms servers write them (issue #15): octal, char, constant
arithmetic, `#define`d names, enum constants chosen by a `strcmp` chain, an environment value
converted into a variable; informational flags dropped; the port and memory an option's
default sets aside as resources."""

from __future__ import annotations

import textwrap

from ddd_llm.evidence.base import AnalyzerResult, SourceFile
from ddd_llm.evidence.code.c_code import CCodeAnalyzer
from ddd_llm.models import ConfigParameter, ResourceRequirement

ANALYZER = CCodeAnalyzer()


def run(code: str, path: str = "src/cached.c") -> AnalyzerResult:
    source = SourceFile(path, textwrap.dedent(code).lstrip("\n"))
    result = ANALYZER.analyze(source)
    assert not result.warnings, result.warnings
    return result


def params(result: AnalyzerResult) -> dict[str, ConfigParameter]:
    return {f.name: f for f in result.facts if isinstance(f, ConfigParameter)}


def resources(result: AnalyzerResult) -> list[ResourceRequirement]:
    return [f for f in result.facts if isinstance(f, ResourceRequirement)]


SERVER = """
    #define DEFAULT_SPOOL_KB 512
    enum wire { wire_auto, wire_text, wire_binary };
    struct opts { int mode; char sep; int spool_kb; size_t cache_bytes; int listen_port;
                  enum wire wire; int admin_port; long quota; } o;

    static void opts_init(void) {
        o.mode = 0640;
        o.sep = '/';
        o.spool_kb = DEFAULT_SPOOL_KB;
        o.cache_bytes = 128 * 1024 * 1024;
        o.listen_port = 7400;
        o.wire = wire_auto;
        o.admin_port = 0;
        o.quota = 1 << 20;
        if (getuid() == 0) {
            o.spool_kb = 2048;
        }
    }

    int main(int argc, char **argv) {
        static const struct option longopts[] = {
            {"file-mode", required_argument, 0, 'M'},
            {"separator", required_argument, 0, 'S'},
            {"spool-kb", required_argument, 0, 'k'},
            {"max-memory", required_argument, 0, 'x'},
            {"listen-port", required_argument, 0, 'l'},
            {"wire", required_argument, 0, 'W'},
            {"admin-port", required_argument, 0, 'a'},
            {"quota", required_argument, 0, 'q'},
            {"copying", no_argument, 0, 'C'},
            {"dry-run", no_argument, 0, 'n'},
            {0, 0, 0, 0}
        };
        int c;
        opts_init();
        while ((c = getopt_long(argc, argv, "M:S:k:x:l:W:a:q:Cn", longopts, NULL)) != -1) {
            switch (c) {
            case 'M': o.mode = strtol(optarg, NULL, 8); break;
            case 'S': o.sep = optarg[0]; break;
            case 'k': o.spool_kb = atoi(optarg); break;
            case 'x': o.cache_bytes = ((size_t)atoi(optarg)) * 1024 * 1024; break;
            case 'l': o.listen_port = atoi(optarg); break;
            case 'W':
                if (strcmp(optarg, "auto") == 0) {
                    o.wire = wire_auto;
                } else if (strcmp(optarg, "text") == 0) {
                    o.wire = wire_text;
                } else if (strcmp(optarg, "binary") == 0) {
                    o.wire = wire_binary;
                } else {
                    exit(EX_USAGE);
                }
                break;
            case 'a': o.admin_port = atoi(optarg); break;
            case 'q': o.quota = atol(optarg); break;
            case 'C':
                print_copying();
                exit(EXIT_SUCCESS);
            case 'n':
                dry_run = 1;
                break;
            }
        }
        return 0;
    }
"""


def test_defaults_in_the_forms_c_writes_them() -> None:
    found = params(run(SERVER))
    assert found["--file-mode"].default == "0640"  # octal as written
    assert found["--separator"].default == "/"  # a char
    assert found["--spool-kb"].default == "512"  # a #define'd name, not the later `if` branch
    assert found["--max-memory"].default == "128"  # in the flag's unit (MiB)
    assert found["--quota"].default == "1048576"  # constant arithmetic evaluated
    wire = found["--wire"]
    assert (wire.value_type, wire.default) == ("enum", "auto")
    assert wire.allowed_values == ["auto", "text", "binary"]


def test_informational_flags_are_dropped_but_switches_kept() -> None:
    found = params(run(SERVER))
    assert "--copying" not in found
    assert found["--dry-run"].value_type == "bool"


def test_option_defaults_give_port_and_memory_resources() -> None:
    found = resources(run(SERVER))
    ports = sorted(r.value or "" for r in found if r.resource == "port")
    assert ports == ["7400"]  # --admin-port defaults to 0 (off): no port
    memory = [r for r in found if r.resource == "memory"]
    assert [(r.limit, "MiB" in r.summary) for r in memory] == [("128", True)]
    # Each is cited where its value is written, not at the option's declaration (which
    # holds no value: the verifier could not find the requirement there).
    lines = textwrap.dedent(SERVER).lstrip("\n").split("\n")
    for r in found:
        assert r.citations, r
        for c in r.citations:
            text = "\n".join(lines[c.start_line - 1 : c.end_line])
            assert (r.value or r.limit or "") in text, (r.summary, c, text)


def test_no_resource_without_a_port_or_memory_option() -> None:
    code = SERVER.replace('"listen-port"', '"listen-tries"').replace('"max-memory"', '"max-files"')
    assert resources(run(code)) == []


def test_preprocessor_arms_give_the_default_build_s_value_and_note_the_other() -> None:
    code = """
        int main(int argc, char **argv) {
        #ifdef SMALL_BOX
            int slots = 8;
        #else
            int slots = 64;
        #endif
            int c;
            while ((c = getopt(argc, argv, "s:")) != -1) {
                switch (c) {
                case 's': slots = atoi(optarg); break;
                }
            }
            return slots;
        }
    """
    found = params(run(code))["-s"]
    assert found.default == "64"  # SMALL_BOX is a build option nothing here turns on
    assert "another build: 8" in found.summary
    negative = code.replace("#ifdef SMALL_BOX", "#ifndef SMALL_BOX")
    assert params(run(negative))["-s"].default == "8"
    defined_here = "#define SMALL_BOX 1\n" + textwrap.dedent(code)
    assert params(run(defined_here))["-s"].default == "8"
    tested = code.replace("#ifdef SMALL_BOX", "#if BOX_SLOTS > 16")
    assert params(run(tested))["-s"].default is None  # a condition that decides nothing
    single = code.replace("#else", "").replace("int slots = 64;", "")
    assert params(run(single))["-s"].default == "8"


ENV = """
    #define DEFAULT_BATCH 32
    int batch = DEFAULT_BATCH;
    void start(void) {
        char *env = getenv("RELAY_BATCH");
        if (env != NULL) {
            batch = atoi(env);
        }
        const char *path = getenv("RELAY_STATE_FILE");
        size_t len;
        if (path != NULL) {
            len = strlen(path) + 8;
        }
    }
"""


def test_env_value_converted_into_a_variable_takes_its_initial_value() -> None:
    found = params(run(ENV))
    assert (found["RELAY_BATCH"].value_type, found["RELAY_BATCH"].default) == ("int", "32")
    state = found["RELAY_STATE_FILE"]  # only measured, never converted: no default
    assert (state.value_type, state.default) == ("string", None)


def test_defaults_set_in_another_file_are_joined_once_every_file_was_read() -> None:
    analyzer = CCodeAnalyzer()
    main = """
        #include "net.h"
        int main(int argc, char **argv) {
            int c;
            while ((c = getopt(argc, argv, "w:k:q:")) != -1) {
                switch (c) {
                case 'w': srv.window_kb = atoi(optarg) * 1024; break;
                case 'k': srv.keepalive_s = atoi(optarg); break;
                case 'q': srv.queue = atoi(optarg); break;
                }
            }
        }
    """
    net_c = """
        void net_init_defaults(struct server *s) {
            s->window_kb = NET_WINDOW_BYTES;
            s->keepalive_s = 75;
            s->queue = 8;
        }
    """
    other_c = "void disk_init_defaults(struct disk *d) { d->queue = 32; }\n"
    header = "#define NET_WINDOW_BYTES (64 * 1024)\n"
    first = analyzer.analyze(SourceFile("src/main.c", textwrap.dedent(main).lstrip("\n")))
    found = params(first)
    assert found["-w"].default is None  # reported at once, completed later
    for path, text in (("src/net.c", net_c), ("src/disk.c", other_c), ("src/net.h", header)):
        analyzer.analyze(SourceFile(path, textwrap.dedent(text).lstrip("\n")))
    assert analyzer.finish().facts == []
    assert found["-w"].default == "64"  # bytes over the flag's KiB, through the header
    assert found["-k"].default == "75"
    assert any(c.path == "src/net.c" for c in found["-k"].citations)
    assert found["-q"].default is None  # two files give a `queue` different values
    again = params(analyzer.analyze(SourceFile("src/main.c", textwrap.dedent(main).lstrip("\n"))))
    analyzer.finish()
    assert again["-k"].default is None  # nothing kept from the previous run
