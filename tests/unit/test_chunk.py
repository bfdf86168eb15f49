"""Chunk stage: structure-aware splits with exact line ranges, bounded in tokens."""

from __future__ import annotations

import textwrap

from ddd_llm.chunk.chunker import chunk_file
from ddd_llm.chunk.tokens import count_tokens


def assert_exact(text: str, chunks: list) -> None:  # type: ignore[type-arg]
    lines = text.splitlines()
    for c in chunks:
        assert c.text == "\n".join(lines[c.start_line - 1 : c.end_line])


def big_function(name: str, n: int) -> str:
    body = "".join(f"    value_{i} = compute_something({i}, 'text {i}')\n" for i in range(n))
    return f"def {name}():\n{body}    return 0\n"


def test_python_splits_at_top_level_definitions() -> None:
    text = (
        "import os\n\n\n"
        + big_function("alpha", 40)
        + "\n\n@decorator\n"
        + big_function("beta", 40)
    )
    chunks = chunk_file("app.py", text)
    assert_exact(text, chunks)
    assert all(c.kind == "python" for c in chunks)
    starts = {c.text.splitlines()[0] for c in chunks}
    assert "@decorator" in starts  # the decorator stays with its function
    assert any(c.text.startswith("import os") for c in chunks)


def test_yaml_splits_by_document_and_top_level_key() -> None:
    services = "".join(
        f"  svc{i}:\n    image: repo/image-{i}:1.{i}\n    restart: always\n" for i in range(30)
    )
    text = "services:\n" + services + "volumes:\n  data: {}\n---\nkind: Service\n"
    chunks = chunk_file("docker-compose.yml", text, max_tokens=200)
    assert_exact(text, chunks)
    assert all(c.tokens <= 200 for c in chunks)
    assert chunks[0].start_line == 1
    assert any(c.text.startswith("---") or "kind: Service" in c.text for c in chunks)


def test_markdown_by_heading_ignores_fenced_hashes() -> None:
    section = "Some prose about operations. " * 30
    fence = "```sh\n# not a heading\nmake deploy\n```"
    text = f"# Title\n{section}\n## Deploy\n{fence}\n{section}\n## Backup\n{section}\n"
    chunks = chunk_file("README.md", text)
    assert_exact(text, chunks)
    firsts = [c.text.splitlines()[0] for c in chunks]
    assert firsts == ["# Title", "## Deploy", "## Backup"]


def test_oversized_blocks_are_cut_to_budget() -> None:
    text = "\n".join(f"line {i} with several words in it to use tokens" for i in range(500))
    chunks = chunk_file("big.txt", text, max_tokens=100)
    assert_exact(text, chunks)
    assert all(count_tokens(c.text) <= 100 for c in chunks)
    assert chunks[0].start_line == 1 and chunks[-1].end_line == 500
    covered = sum(c.end_line - c.start_line + 1 for c in chunks)
    assert covered == 500


def test_empty_and_blank_files_have_no_chunks() -> None:
    assert chunk_file("empty.txt", "") == []
    assert chunk_file("blank.txt", "\n\n  \n") == []


def test_broken_python_falls_back_to_blocks() -> None:
    text = textwrap.dedent(
        """\
        def broken(:
            pass

        x = 1
        """
    )
    chunks = chunk_file("bad.py", text)
    assert chunks and chunks[0].kind == "text"
    assert_exact(text, chunks)


def test_chunk_ids_are_content_addressed() -> None:
    a = chunk_file("a.txt", "hello\n\nworld\n")
    b = chunk_file("a.txt", "hello\n\nworld\n")
    c = chunk_file("a.txt", "hello\n\nthere\n")
    assert [x.id for x in a] == [x.id for x in b]
    assert {x.id for x in a} != {x.id for x in c}


def test_a_single_huge_line_is_truncated_to_budget() -> None:
    text = "short line\n" + "x=1;" * 20_000 + "\nlast line\n"
    chunks = chunk_file("bundle.js", text, max_tokens=100)
    assert all(c.tokens <= 100 for c in chunks)
    huge = [c for c in chunks if c.start_line == c.end_line == 2]
    assert huge and huge[0].text.endswith("[line truncated]")
