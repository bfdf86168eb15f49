"""`ddd-llm ask --llm none`: where an answer's evidence lies (ddd_llm.apps.ask.evidence).

Each rule is checked both ways on small planted repositories: the line that answers is
cited (not the whole code block, table or section around it), and a question the
repository does not answer is refused although it shares words with some line.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ddd_llm.apps.ask import AskResult, AskSession, Knowledge
from ddd_llm.apps.ask.evidence import quoted_phrases
from ddd_llm.chunk.chunker import Chunk
from ddd_llm.chunk.tokens import count_tokens
from ddd_llm.models import (
    Citation,
    ConfigParameter,
    FactBase,
    FactsDocument,
    HealthCheck,
    RepoInfo,
    ResourceRequirement,
    RunInfo,
    ToolInfo,
    Verification,
)

CHANGELOG = """\
# Changelog

## 2.4.0

- Fixed a crash when the parser met an empty line.
- The command line prints its version with --version.
- Faster start on machines with many files.

## 2.3.0

- New option to colour the output.
- Translations for French and German.
- Dropped support for the old file format.

## 2.2.0

- Log lines carry a timestamp.
- The installer checks the operating system first.
"""
MAKEFILE = """\
build:
\tgo build ./...

test:
\tgo test ./...

lint:
\tgolangci-lint run
"""


def knowledge(tmp_path: Path, files: dict[str, str], facts: Sequence[FactBase] = ()) -> Knowledge:
    """A repository as `ask` sees it (the files, a changelog and a Makefile, so that words
    are weighed over more than one file): one chunk per file, the given (verified) facts."""
    every = {"CHANGELOG.md": CHANGELOG, "Makefile": MAKEFILE, **files}
    chunks = [
        Chunk(path, 1, len(text.split("\n")), text, "text", count_tokens(text))
        for path, text in every.items()
    ]
    document = FactsDocument(
        tool=ToolInfo(version="0"),
        repo=RepoInfo(root="."),
        run=RunInfo(started_at="t0", finished_at="t1"),
        facts=list(facts),  # type: ignore[arg-type]
    )
    return Knowledge(tmp_path, tmp_path, document, chunks, None)


def ask(k: Knowledge, question: str) -> AskResult:
    return AskSession(k).ask(question)


def cited(result: AskResult) -> list[str]:
    return [str(c) for c in result.cited()]


VERIFIED = Verification(status="verified")


def setting(name: str, path: str, start: int, end: int, summary: str) -> ConfigParameter:
    return ConfigParameter(
        name=name,
        summary=summary,
        citations=[Citation(path=path, start_line=start, end_line=end)],
        verification=VERIFIED,
    )


# ------------------------------------------------------------------ containers

EXAMPLE = """\
# Ledger

## Complete example

```yaml
ledger:
  replicas: 3
  image: ledger:2.4
  # Directory that holds spooled entries not yet flushed to the journal
  spool_dir: /var/spool/ledger
  journal:
    fsync: always
    segment_mb: 64
  audit:
    enabled: true
    sink: syslog
  quota:
    tenants: 40
```

## Contributing

Open a pull request.
"""


def test_a_code_block_is_cited_by_the_lines_that_answer_not_whole(tmp_path: Path) -> None:
    k = knowledge(tmp_path, {"README.md": EXAMPLE})
    result = ask(k, "Which directory holds the spooled entries not yet flushed?")
    assert not result.not_found
    [where] = result.cited()
    assert where.path == "README.md"
    assert where.start_line <= 10 <= where.end_line  # the spool_dir line and its comment
    assert where.end_line - where.start_line <= 3  # not the block's 5-20
    # The same block shares words with an unrelated question, which is refused.
    assert ask(k, "How do I shard the journal across several disks?").not_found


def row(name: str, description: str, kind: str, default: str) -> str:
    """A row as terraform-docs and helm-docs write them (anchor, link, escaped name)."""
    escaped = name.replace("_", "\\_")
    link = f'<a name="opt_{name}"></a> [{escaped}](#opt\\_{escaped})'
    return f"| {link} | {description} | `{kind}` | `{default}` | no |\n"


REFERENCE = (
    "# Relay options\n\n"
    "Every option of the relay, as generated from its declarations.\n\n"
    "## Options\n\n"
    "| Name | Description | Type | Default | Required |\n"
    "|------|-------------|------|---------|:--------:|\n"
    + row(
        "drain_seconds", "Seconds a stopping relay waits for open streams to finish", "number", "30"
    )
    + row("peer_user", "User name the relay presents to its peers", "string", "null")
    + row("window_kb", "Flow control window per stream, in KiB", "number", "256")
)

DECLARATIONS = """\
variable "drain_seconds" {
  description = "Seconds a stopping relay waits for open streams to finish"
  type        = number
  default     = 30
}
"""


def test_a_table_is_cited_by_its_row_and_never_by_its_header(tmp_path: Path) -> None:
    k = knowledge(tmp_path, {"README.md": REFERENCE})
    result = ask(k, "What flow control window does each stream get?")
    assert cited(result) == ["README.md:11"]
    # "Required" in the header does not answer a question that requires something.
    assert ask(k, "Which peers are required to present a password?").not_found


def test_a_row_copying_a_declared_setting_cites_the_declaration(tmp_path: Path) -> None:
    fact = setting("drain_seconds", "variables.tf", 1, 5, "relay variable drain_seconds")
    files = {"README.md": REFERENCE, "variables.tf": DECLARATIONS}
    k = knowledge(tmp_path, files, [fact])
    result = ask(k, "How long does a stopping relay wait for open streams?")
    assert cited(result) == ["variables.tf:1-5"]
    # A row whose setting has no declaration among the facts is still cited as the row.
    assert cited(ask(k, "What flow control window does each stream get?")) == ["README.md:11"]


PROCEDURES = """\
# Ledger

## Operating the ledger

To compact the journal after a large import, stop writers and run:

    ledger-admin compact --journal /var/lib/ledger

To rebuild the search index from the journal, run:

    ledger-admin reindex --all

Both take a few minutes on a small journal.
"""


def test_a_procedure_in_a_section_of_several_cites_its_own_commands(tmp_path: Path) -> None:
    k = knowledge(tmp_path, {"README.md": PROCEDURES})
    result = ask(k, "How do I compact the journal after an import?")
    assert not result.not_found
    assert [s.text for s in result.steps] == ["ledger-admin compact --journal /var/lib/ledger"]
    assert all(c.start_line >= 5 and c.end_line <= 7 for c in result.cited())
    other = ask(k, "How do I rebuild the search index?")
    assert [s.text for s in other.steps] == ["ledger-admin reindex --all"]
    # Asked for both, both are given, each with its own command.
    both = ask(k, "How do I compact the journal and then rebuild the search index?")
    assert [s.text for s in both.steps] == [
        "ledger-admin compact --journal /var/lib/ledger",
        "ledger-admin reindex --all",
    ]


# ------------------------------------------------------------------ refusals by evidence


def test_a_concept_the_repository_never_mentions_is_refused(tmp_path: Path) -> None:
    readme = "# Shop\n\n## Build\n\nRun `dotnet restore` and then `dotnet build` in src/.\n"
    k = knowledge(tmp_path, {"README.md": readme})
    # "restore" is there, as a build command; nothing is about backups in any word.
    refused = ask(k, "How is the shop database backed up and restored?")
    assert refused.not_found and "never mentions: backup" in refused.answer
    # Said with another of its words (a dump), the same question is answered.
    dumped = readme + "\n## Database\n\nTake a nightly dump with `pg_dump shop > shop.sql`.\n"
    k = knowledge(tmp_path, {"README.md": dumped})
    result = ask(k, "How is the shop database backed up?")
    assert not result.not_found and cited(result)[0].startswith("README.md:9")


def test_the_whole_phrase_asked_for_must_be_there(tmp_path: Path) -> None:
    readme = (
        "# Shop\n\n## Queue\n\n"
        "The worker keeps its queue in memory until the web tier acknowledges it.\n"
        "Queued jobs are lost on restart.\n"
    )
    compose = "services:\n  worker:\n    image: shop/worker\n    pids_limit: 100\n"
    question = "What memory limit does the worker have?"
    # A limit of the worker (on processes) and the worker's memory, but no memory limit.
    k = knowledge(tmp_path, {"README.md": readme, "docker-compose.yml": compose})
    assert ask(k, question).not_found
    limited = compose + "    mem_limit: 512m\n"
    k = knowledge(tmp_path, {"README.md": readme, "docker-compose.yml": limited})
    result = ask(k, question)
    assert not result.not_found
    assert any(
        c.path == "docker-compose.yml" and c.start_line <= 5 <= c.end_line for c in result.cited()
    )


ENV = """\
# Signs session cookies and password reset links; never commit the real value.
SECRET_KEY=change-me
DEBUG=False
"""


def test_a_named_setting_answers_only_what_its_lines_say(tmp_path: Path) -> None:
    fact = setting("SECRET_KEY", ".env.example", 2, 2, "environment variable SECRET_KEY")
    k = knowledge(tmp_path, {".env.example": ENV}, [fact])
    refused = ask(k, "How do I change SECRET_KEY without logging everyone out?")
    assert refused.not_found
    assert "It is set" in refused.answer  # what the repository does say about it
    answered = ask(k, "What does SECRET_KEY sign?")
    assert not answered.not_found and ".env.example:2" in " ".join(cited(answered))


PROGRAM = """\
var app = builder.Build();
app.UseHealthChecks("/healthz");
app.MapGet("/", () => "ok");
"""


def test_a_fact_holding_the_phrase_asked_for_answers(tmp_path: Path) -> None:
    check = HealthCheck(
        summary="HTTP health endpoint /healthz (UseHealthChecks)",
        check_type="http",
        target="/healthz",
        citations=[Citation(path="src/Program.cs", start_line=2, end_line=2)],
        verification=VERIFIED,
    )
    files = {"src/Program.cs": PROGRAM}
    question = "Which health check endpoints does the storefront expose?"
    assert cited(ask(knowledge(tmp_path, files, [check]), question)) == ["src/Program.cs:2"]
    # Without the (verified) fact the same lines do not answer on their words alone…
    assert ask(knowledge(tmp_path, files), question).not_found
    # …and a phrase that only names the kind ("which settings") is no such question.
    assert ask(knowledge(tmp_path, files, [check]), "Which settings does it read?").not_found


def test_one_clause_answered_by_chance_words_in_code_is_refused(tmp_path: Path) -> None:
    code = "def check_schedule(value):\n    # Test that the parser accepts it\n    parse(value)\n"
    compose = "services:\n  worker:\n    image: shop/worker\n    restart: always\n"
    files = {"app/forms.py": code, "docker-compose.yml": compose}
    question = "How does the orchestrator decide the worker is alive, and what does the check test?"
    # The code line holds all of "what does the check test", and nothing else of it.
    assert ask(knowledge(tmp_path, files), question).not_found
    probe = (
        "services:\n  worker:\n    image: shop/worker\n    healthcheck:\n"
        "      # the check tests that the worker answers on its status port\n"
        '      test: ["CMD", "curl", "-f", "http://localhost:9000/status"]\n'
    )
    result = ask(knowledge(tmp_path, {**files, "docker-compose.yml": probe}), question)
    assert not result.not_found
    assert all(c.path == "docker-compose.yml" for c in result.cited())


def test_a_settings_file_named_for_an_environment_answers_for_it(tmp_path: Path) -> None:
    base = '{\n  "ConnectionStrings": {\n    "Orders": "Server=localhost;Database=orders"\n  }\n}\n'
    staging = (
        '{\n  "ConnectionStrings": {\n    "Orders": "Server=db.staging;Database=orders"\n  }\n}\n'
    )
    readme = "# Orders\n\n## Running\n\nSet ASPNETCORE_ENVIRONMENT to choose the environment.\n"
    files = {
        "README.md": readme,
        "src/appsettings.json": base,
        "src/appsettings.Staging.json": staging,
    }
    k = knowledge(tmp_path, files)
    result = ask(k, "Where is the orders connection string set for the staging environment?")
    assert [c.path for c in result.cited()] == ["src/appsettings.Staging.json"]
    # An environment the repository has no file for is not answered by the others.
    assert ask(k, "Where is the orders connection string set for the perf environment?").not_found


def test_a_conjunction_is_not_what_a_question_is_about(tmp_path: Path) -> None:
    toml = (
        "# Largest amount of memory the store may take for compaction.\n"
        '# compaction_memory = "1 GiB"\n'
        "\n"
        "# Where the store keeps its files.\n"
        'data_dir = "/var/lib/store"\n'
    )
    code = (
        "pub struct Opts {\n"
        "    /// How many threads the store runs while compacting; at most half the cores.\n"
        "    pub compaction_threads: usize,\n"
        "}\n"
    )
    k = knowledge(tmp_path, {"store.toml": toml, "src/opts.rs": code})
    result = ask(k, "How do I limit the memory the store takes while compacting?")
    assert cited(result) == ["store.toml:1-2"]  # not the threads line that says "while"
    assert ask(k, "How do I limit the disk space the store takes while compacting?").not_found


# ------------------------------------------------------------------ pasted messages, steps

QUEUE_CODE = """\
import logging

log = logging.getLogger(__name__)


def connect(broker_url):
    try:
        return Broker(broker_url, timeout=5)
    except OSError:
        log.error("Lost contact with the message broker, retrying")
        raise
"""
QUEUE_README = """\
# Relay

## Settings

Set BROKER_URL to the broker's address; the default is amqp://localhost.
"""


def test_a_pasted_message_is_answered_where_it_is_raised(tmp_path: Path) -> None:
    k = knowledge(tmp_path, {"relay/queue.py": QUEUE_CODE, "README.md": QUEUE_README})
    question = 'My log says "lost contact with the message  broker". What do I check?'
    result = ask(k, question)
    assert not result.not_found
    assert cited(result) and all(c.startswith("relay/queue.py:") for c in cited(result))
    assert any(c.start_line <= 10 <= c.end_line for c in result.cited())
    # A quoted message the repository never writes answers nothing by itself.
    other = ask(k, 'My log says "connection reset by peer while flushing". What do I check?')
    assert other.not_found
    # Nor do a few quoted words that are no message.
    assert quoted_phrases('What does "broker" mean?') == []


TOKENS_README = """\
# Accounts

## Sessions

A session token is valid for 30 minutes (SESSION_MINUTES). To require a session on a
route, wrap it:

```javascript
const guard = require('./guard');
router.get('/me', guard(), handler);
```

To change the lifetime, restart with a new value:

```sh
SESSION_MINUTES=60 npm start
```
"""


def test_steps_come_from_command_blocks_not_code_to_read(tmp_path: Path) -> None:
    k = knowledge(tmp_path, {"README.md": TOKENS_README})
    result = ask(k, "How long is a session token valid, and how do I change the lifetime?")
    assert not result.not_found
    assert [s.text for s in result.steps] == ["SESSION_MINUTES=60 npm start"]
    # Untagged blocks are still commands.
    untagged = TOKENS_README.replace("```sh", "```")
    k = knowledge(tmp_path, {"README.md": untagged})
    result = ask(k, "How long is a session token valid, and how do I change the lifetime?")
    assert [s.text for s in result.steps] == ["SESSION_MINUTES=60 npm start"]


UNIT = """\
[Unit]
Description=relay daemon
After=network.target

[Service]
EnvironmentFile=-/etc/default/relay
ExecStart=/usr/bin/relay --port ${PORT} --account ${ACCOUNT}
# Needed to drop root and keep running as an unprivileged user afterwards
AmbientCapabilities=CAP_SETUID CAP_SETGID
Restart=on-failure

[Install]
WantedBy=multi-user.target
"""


def test_a_fact_is_about_the_kind_of_file_it_cites(tmp_path: Path) -> None:
    files = {"deploy/relay.service": UNIT, "deploy/relay.default": 'PORT=7000\nACCOUNT="relay"\n'}
    runs_as = ResourceRequirement(
        service=None,
        summary="relay runs as user relay (command-line flag --account)",
        resource="permission",
        value="user:relay",
        citations=[
            Citation(path="deploy/relay.service", start_line=7, end_line=7),
            Citation(path="deploy/relay.default", start_line=2, end_line=2),
        ],
        verification=VERIFIED,
    )
    question = "As which user does the systemd service run relay?"
    result = ask(knowledge(tmp_path, files, [runs_as]), question)
    assert not result.not_found
    assert "deploy/relay.service:7" in cited(result)
    assert "deploy/relay.service:8-9" not in cited(result)
    # Asked of another kind of file, the fact's unit is no help: the answer is not it.
    other = ask(knowledge(tmp_path, files, [runs_as]), "Which user does the compose file use?")
    assert "deploy/relay.service:7" not in cited(other)
