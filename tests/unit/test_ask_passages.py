"""ddd_llm.apps.ask.passages: citable units of a repository and how much of a question each
holds (the no-model answer path of `ddd-llm ask`)."""

from __future__ import annotations

from ddd_llm.apps.ask import QUESTION_WORDS
from ddd_llm.apps.ask.passages import (
    Match,
    PassageIndex,
    best_matches,
    clauses,
    passages,
    question_terms,
    widen,
)


def _lines(text: str) -> dict[int, str]:
    return dict(enumerate(text.split("\n"), 1))


INI = """\
;;;
;;; Connection limits
;;;

;; Total number of clients that can connect
;max_client_conn = 100

;; Where the log goes
logfile = /var/log/app.log
"""

UNIT = """\
[Unit]
Description=the relay
After=network-online.target

[Service]
User=relay
ExecStart=/usr/bin/relay /etc/relay.ini
ExecReload=/bin/kill -HUP $MAINPID

[Install]
WantedBy=multi-user.target
"""

README = """\
# Relay

## Backups

Take a dump every night:

```sh
relay-dump --out /backups/relay.dump
```

## Upgrades

- stop the relay
- install the new package
- start it again
"""

REPO = {
    "etc/relay.ini": _lines(INI),
    "etc/relay.service": _lines(UNIT),
    "README.md": _lines(README),
}


def _best(question: str) -> Match:
    index = PassageIndex(passages(REPO, []))
    wanted = question_terms(question, QUESTION_WORDS, index.known)
    return best_matches(index, wanted)[0]


def test_a_commented_default_is_one_passage_with_its_comment() -> None:
    best = _best("How many client connections are allowed by default?")
    p = best.passage
    assert (p.path, p.start, p.end) == ("etc/relay.ini", 5, 6)  # comment + ;max_client_conn
    assert best.coverage >= 0.8


def test_the_file_kind_names_a_unit_file_and_the_setting_name_ranks_first() -> None:
    best = _best("As which user does the systemd unit run the relay?")
    assert best.passage.location == "etc/relay.service:6"  # User=relay, not WantedBy=multi-user
    reload = _best("How do I reload the configuration of the systemd service?")
    assert reload.passage.location == "etc/relay.service:8"  # ExecReload (camel case split)


def test_a_heading_counts_for_its_blocks_and_a_section_is_a_passage_too() -> None:
    index = PassageIndex(passages(REPO, []))
    spans = {(p.start, p.end, p.section) for p in index.passages if p.path == "README.md"}
    assert (3, 9, True) in spans  # the Backups section
    assert (7, 9, False) in spans  # its code block
    assert (14, 14, False) in spans  # one list item of Upgrades
    best = _best("How do I back up the relay?")
    assert best.passage.path == "README.md" and 3 <= best.passage.start <= best.passage.end <= 9


def test_something_the_repository_never_mentions_covers_little() -> None:
    index = PassageIndex(passages(REPO, []))
    wanted = question_terms("How do I fail over the relay to a standby host?", QUESTION_WORDS)
    assert not index.known("standbi")
    assert all(m.coverage < 0.5 for m in best_matches(index, wanted))
    # …while a question it does answer is covered nearly whole.
    known = _best("Which log file does the relay use?")
    assert known.passage.location == "etc/relay.ini:8-9" and known.coverage >= 0.55


def test_question_terms_join_two_word_verbs_and_drop_function_words() -> None:
    assert "backup" in question_terms("How do I back up the data?", QUESTION_WORDS)
    assert "it" not in question_terms("Which port does its server use?", QUESTION_WORDS)
    # A prose compound the repository never writes whole counts as its words.
    terms = question_terms("What is the trade-off?", QUESTION_WORDS, lambda t: False)
    assert "trade_off" not in terms and "trade" in terms


def test_clauses_split_several_questions_asked_at_once() -> None:
    assert clauses("What is the default, and how do I change it?") == [
        "What is the default",
        "how do I change it",
    ]
    assert clauses("Which port does it use?") == ["Which port does it use"]


def test_a_command_line_option_is_a_flag_and_an_application_an_app() -> None:
    cli = {
        "cmd/main.go": _lines(
            'var cacheSize = flag.Int("cache-size", 64, "megabytes of item cache")\n'
            'var workers = flag.Int("workers", 4, "number of request workers")\n'
        ),
        "docs/app.md": _lines("# Logging\n\nThe app writes its logs to stdout.\n"),
    }
    index = PassageIndex(passages(cli, []))
    wanted = question_terms("Which option sets the item cache size?", QUESTION_WORDS, index.known)
    best = best_matches(index, wanted)[0]
    assert best.passage.location == "cmd/main.go:1" and "option" not in best.missing
    logs = question_terms("Where do the application logs go?", QUESTION_WORDS, index.known)
    assert best_matches(index, logs)[0].passage.path == "docs/app.md"
    # The synonym does not make a line about something else hold the question.
    other = question_terms("Which option sets the TLS certificate?", QUESTION_WORDS, index.known)
    assert all(m.coverage < 0.5 for m in best_matches(index, other))


def test_turning_something_on_is_enabling_it() -> None:
    assert "enabl" in question_terms("How do I turn on snapshots?", QUESTION_WORDS)
    assert "disabl" in question_terms("How do I switch off the cache?", QUESTION_WORDS)
    assert "enabl" not in question_terms("Which port do I turn to?", QUESTION_WORDS)


def test_a_word_written_as_code_names_a_parameter() -> None:
    from ddd_llm.apps.ask import identifiers

    assert "port" in identifiers("Which port is used if I do not set `port`?")
    assert "port" not in identifiers("Which port is used by default?")  # a plain word
    assert {"max_conns", "workers"} <= identifiers("Is `--max-conns` read, and `workers`?")


def test_only_passages_holding_a_term_are_scored_and_nothing_else_is_lost() -> None:
    index = PassageIndex(passages(REPO, []))
    for question in (
        "Where does the log go?",
        "How do I back up every night?",
        "Which user does the systemd service run as?",
        "What is the max client connection limit?",
    ):
        wanted = question_terms(question, QUESTION_WORDS, index.known)
        every = [index.score(wanted, p) for p in index.passages]
        scored = sorted((m for m in every if m.coverage > 0), key=lambda m: m.rank())
        assert best_matches(index, wanted) == scored
        held = index.holding(wanted)
        assert 0 < len(held) < len(index.passages)
        assert all(p.holds(t for term in wanted for t in widen(term)) for p in held)
