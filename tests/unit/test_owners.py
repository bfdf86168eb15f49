"""Owners from the right place: CODEOWNERS, active MAINTAINERS sections, Kubernetes OWNERS
files, Helm chart maintainers, package metadata. Alumni and emeritus people never own."""

from __future__ import annotations

from pathlib import Path

import pytest

from ddd_llm.evidence.owners import active_lines, find_owners, owner_of
from ddd_llm.models import Owner
from ddd_llm.scan.repotext import RepoText


def owners(tmp_path: Path, files: dict[str, str]) -> list[Owner]:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return find_owners(tmp_path, RepoText(tmp_path, files))


def everyone(rules: list[Owner]) -> set[str]:
    return {o for r in rules for o in r.owners}


# Shaped like MAINTAINERS.md in many CNCF projects (active list, then emeritus/alumni).
MAINTAINERS_MD = """\
# Maintainers

## Active maintainers

* Ada Lovelace <ada@example.org> (@ada)
* Grace Hopper <grace@example.org> (@grace)

## Emeritus maintainers

* Alan Turing <alan@example.org> (@alan)

### Storage

* Old Storage <old-storage@example.org>

## Reviewers

* @reviewer-one

Alumni
------

* @alum
"""


def test_maintainers_keeps_active_sections_and_drops_alumni_and_emeritus(tmp_path: Path) -> None:
    rules = owners(tmp_path, {"MAINTAINERS.md": MAINTAINERS_MD})
    found = everyone(rules)
    assert {"ada@example.org", "@ada", "grace@example.org", "@reviewer-one"} <= found
    # Never: the emeritus section, a sub-heading inside it, the underlined Alumni section.
    assert not found & {"alan@example.org", "@alan", "old-storage@example.org", "@alum"}
    assert rules[0].citation.path == "MAINTAINERS.md"
    assert rules[0].citation.start_line == 5


def test_table_rows_that_mark_a_person_inactive_are_dropped() -> None:
    lines = [
        "| Name | GitHub | Status |",
        "|---|---|---|",
        "| Ada | @ada | active |",
        "| Bob | @bob | Emeritus |",
        "Former maintainers:",
        "- @carol",
    ]
    kept = " ".join(text for _, text in active_lines(lines))
    assert "@ada" in kept
    assert "@bob" not in kept and "@carol" not in kept


# kubernetes/kubernetes-style OWNERS (https://go.k8s.io/owners).
K8S_OWNERS = """\
# See the OWNERS docs at https://go.k8s.io/owners
approvers:
  - thockin
  - sig-network-approvers
reviewers:
  - bowei
emeritus_approvers:
  - retired-person
"""


def test_kubernetes_owners_files_name_approvers_and_reviewers_of_their_folder(
    tmp_path: Path,
) -> None:
    rules = owners(tmp_path, {"pkg/proxy/OWNERS": K8S_OWNERS})
    [rule] = rules
    assert rule.pattern == "/pkg/proxy/"
    assert rule.owners == ["@thockin", "@sig-network-approvers", "@bowei"]
    assert "@retired-person" not in everyone(rules)
    assert owner_of(["pkg/proxy/iptables/proxier.go"], rules) == rule
    assert owner_of(["cmd/main.go"], rules) is None


# prometheus-community/helm-charts Chart.yaml maintainers.
CHART = """\
apiVersion: v2
name: prometheus-mysql-exporter
version: 2.5.0
maintainers:
  - name: juan-vg
    email: juan.valencia.gallego@gmail.com
  - name: nodemail
"""


def test_helm_chart_maintainers_own_their_chart(tmp_path: Path) -> None:
    [rule] = owners(tmp_path, {"charts/exporter/Chart.yaml": CHART})
    assert rule.pattern == "/charts/exporter/"
    assert rule.owners == ["juan.valencia.gallego@gmail.com", "nodemail"]
    assert rule.citation.start_line == 6


@pytest.mark.parametrize(
    ("rel", "text", "expected"),
    [
        (
            "package.json",
            '{"name": "web", "author": "Jane Doe <jane@example.com> (https://jane.dev)",'
            ' "maintainers": [{"name": "Max", "email": "max@example.com"}]}',
            ["jane@example.com", "max@example.com"],
        ),
        (
            "pyproject.toml",
            '[project]\nname = "svc"\nauthors = [{name = "Ann", email = "ann@example.com"}]\n'
            'maintainers = [{name = "Ben"}]\n',
            ["Ben", "ann@example.com"],
        ),
        (
            "Cargo.toml",
            '[package]\nname = "tool"\nauthors = ["Cleo <cleo@example.com>"]\n',
            ["cleo@example.com"],
        ),
    ],
)
def test_package_metadata_names_owners(
    tmp_path: Path, rel: str, text: str, expected: list[str]
) -> None:
    [rule] = owners(tmp_path, {rel: text})
    assert rule.pattern == "*"
    assert rule.owners == expected


def test_codeowners_wins_and_maintainers_outrank_package_metadata(tmp_path: Path) -> None:
    files = {
        "MAINTAINERS": "Ada <ada@example.org>\n",
        "pyproject.toml": '[project]\nauthors = [{name = "Pkg", email = "pkg@example.org"}]\n',
    }
    rules = owners(tmp_path, files)
    # The last matching rule wins (CODEOWNERS semantics): MAINTAINERS comes after metadata.
    assert owner_of(["src/app.py"], rules) is not None
    assert owner_of(["src/app.py"], rules).owners == ["ada@example.org"]  # type: ignore[union-attr]
    with_codeowners = owners(tmp_path / "b", {**files, ".github/CODEOWNERS": "* @team/ops\n"})
    assert everyone(with_codeowners) == {"@team/ops"}


def test_vendored_metadata_and_broken_files_name_nobody(tmp_path: Path) -> None:
    rules = owners(
        tmp_path,
        {
            "node_modules/left-pad/package.json": '{"author": "someone <s@example.com>"}',
            "package.json": "{not json",
            "OWNERS": "approvers: [\n",
        },
    )
    assert everyone(rules) == set()
