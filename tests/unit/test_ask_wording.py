"""`ask --llm none`: a question's wording (verbs, adjectives) the repository never uses does
not count against an answer; a thing it names that the repository never names still does
(ddd_llm.apps.ask.wording, passages.question_terms)."""

from __future__ import annotations

from pathlib import Path

from ddd_llm.apps.ask import QUESTION_WORDS as ASKING
from ddd_llm.apps.ask.passages import question_terms
from ddd_llm.apps.ask.wording import non_topic
from tests.unit.test_ask_passages_evidence import ask, cited, knowledge


def test_verbs_and_adjectives_word_a_question_nouns_and_names_name_it() -> None:
    words = non_topic("How do I let the container receive pings sent by email?")
    assert {"let", "receiv", "sent"} <= words
    assert not {"contain", "ping", "email"} & words
    # Outside the dictionary is a name, not wording: a Kubernetes kind, a unit.
    assert not {"poddisruptionbudget", "kubernet", "gb"} & non_topic(
        "Does the chart create a PodDisruptionBudget on Kubernetes for 50 GB?"
    )


def test_a_word_that_is_noun_or_verb_is_the_verb_after_a_subject_or_modal() -> None:
    assert "pass" in non_topic("How do I pass options to the daemon?")
    assert "pass" in non_topic("Which options should I pass?")
    assert "pass" not in non_topic("Where is the database pass stored?")
    # Used both ways in one question: it names something.
    assert "test" not in non_topic("How do I test that the test endpoint answers?")


SMTP_README = """\
# Pinger

## Email

Pings can also arrive by email: set SMTPD_PORT and the container starts an SMTP listener
on that port. Each message to <code>@example.org counts as a ping.
"""


def test_a_verb_the_repository_never_uses_does_not_refuse_what_it_answers(
    tmp_path: Path,
) -> None:
    k = knowledge(tmp_path, {"README.md": SMTP_README})
    result = ask(k, "How do I let the container receive pings sent by email?")
    assert not result.not_found
    assert any(c.startswith("README.md:") for c in cited(result))
    # A thing the repository never names is still not answered by what shares the rest.
    assert ask(k, "How do I let the container receive pings sent by pager?").not_found
    assert ask(k, "How do I let the container receive pings sent by carrier pigeon?").not_found


def test_an_operations_verb_the_repository_never_uses_still_refuses(tmp_path: Path) -> None:
    readme = "# Relay\n\n## Connections\n\nThe relay forwards client connections upstream.\n"
    k = knowledge(tmp_path, {"README.md": readme})
    # "drain" is an operations capability: not wording, even as a verb.
    assert ask(k, "How do I drain the relay's client connections?").not_found
    assert not ask(k, "How does the relay handle client connections?").not_found


STORE_TOML = """\
# Interval between compactions of the snapshots and the write-ahead log on disk.
compaction_interval = "15m"

# How long to retain data for.
retention = "120h"
"""


def test_how_long_something_is_kept_asks_for_its_retention(tmp_path: Path) -> None:
    k = knowledge(tmp_path, {"store.toml": STORE_TOML})
    result = ask(k, "How long does the store keep snapshot data, and which setting changes it?")
    assert not result.not_found
    assert "store.toml:4-5" in cited(result)
    assert "store.toml:1-2" not in cited(result)
    # How often something happens is no retention.
    other = ask(k, "How often does the store compact its snapshots and write-ahead log?")
    assert "store.toml:1-2" in cited(other)
    assert "store.toml:4-5" not in cited(other)


def test_wording_the_repository_uses_elsewhere_does_not_refuse_either(tmp_path: Path) -> None:
    # "receive" and "sent" stand elsewhere in the repository, never with the answer: what
    # the question names (pings, email, container) is answered whole without them.
    notes = "# Notes\n\nReports are sent weekly. Admins receive a copy of each report.\n"
    k = knowledge(tmp_path, {"README.md": SMTP_README, "docs/notes.md": notes})
    result = ask(k, "How do I let the container receive pings sent by email?")
    assert not result.not_found
    assert all(c.startswith("README.md:") for c in cited(result))
    assert ask(k, "How do I let the container receive pings sent by pager?").not_found


VARIABLES_TF = """\
variable "deletion_protection" {
  description = "The database can't be deleted when this value is set to true."
  type        = bool
  default     = false
}

variable "port" {
  description = "The port on which the DB accepts connections"
  type        = string
  default     = null
}
"""


def test_pronouns_and_contractions_name_nothing(tmp_path: Path) -> None:
    k = knowledge(tmp_path, {"variables.tf": VARIABLES_TF})
    question = "Is deletion protection actually on by default, so I don't switch it on myself?"
    result = ask(k, question)
    assert not result.not_found
    assert cited(result) == ["variables.tf:1-4"]
    other = "Is deletion protection on for the snapshots, or don't I need it myself?"
    assert ask(k, other).not_found


WINDOWS_TOML = """\
# Length of a maintenance window: notifications stay muted until it ends.
window_duration = "1h"

# Node type of the cache cluster.
node_type = "cache.t3.small"
"""


def test_for_a_number_of_hours_asks_for_a_duration(tmp_path: Path) -> None:
    k = knowledge(tmp_path, {"maintenance.toml": WINDOWS_TOML})
    result = ask(k, "How do I keep notifications muted for two hours during maintenance?")
    assert not result.not_found
    assert cited(result) == ["maintenance.toml:1-2"]
    # A size the operator needs is what the question asks about: no sizing is stated.
    assert ask(k, "Which node type should I choose for about 50 GB of data?").not_found


SETUP_README = """\
# Shop

## Configuration

Copy .env.example to .env and fill in SECRET_KEY and SITE_ROOT, then start the stack with
docker compose up.
"""


def test_when_something_is_done_is_not_what_it_is_about(tmp_path: Path) -> None:
    # "before" and "time" stand elsewhere in the repository, never with the answer.
    notes = "# Upgrades\n\nRead the changelog before each upgrade; it takes time.\n"
    ops = (
        "# Operations\n\n## Restart\n\nRestart the stack to apply changed settings.\n\n"
        "## Logs\n\nThe stack logs each start and the settings it read.\n"
    )
    k = knowledge(
        tmp_path, {"README.md": SETUP_README, "docs/upgrade.md": notes, "docs/ops.md": ops}
    )
    question = "Which settings must I fill in before starting the stack for the first time?"
    result = ask(k, question)
    assert not result.not_found
    assert cited(result) and all(c.startswith("README.md:") for c in cited(result))
    assert ask(k, "Which settings must I fill in before starting the stack on Windows?").not_found


def test_keep_doing_something_is_no_retention() -> None:
    assert "retent" in question_terms("How long does the store keep snapshot data?", ASKING)
    retrying = question_terms("How long will the job keep retrying before it gives up?", ASKING)
    assert "retent" not in retrying
    assert "retri" in retrying
    # "Being" names nothing either.
    assert "be" not in question_terms("Can I stop the token being refreshed?", ASKING)
