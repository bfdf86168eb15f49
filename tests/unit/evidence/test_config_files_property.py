"""Property tests: no config-file analyzer raises, and every line it cites is in the file."""

from __future__ import annotations

from hypothesis import HealthCheck as Health
from hypothesis import given, settings
from hypothesis import strategies as st

from ddd_llm.evidence.base import Analyzer, AnalyzerResult, SourceFile
from ddd_llm.evidence.config_files.appsettings import AppSettingsAnalyzer
from ddd_llm.evidence.config_files.directives import DirectivesAnalyzer
from ddd_llm.evidence.config_files.dotenv import DotenvAnalyzer
from ddd_llm.evidence.config_files.helm import HelmAnalyzer
from ddd_llm.evidence.config_files.ini import IniAnalyzer
from ddd_llm.evidence.config_files.kustomize import KustomizeAnalyzer
from ddd_llm.evidence.config_files.properties import PropertiesAnalyzer
from ddd_llm.evidence.config_files.terraform import TerraformAnalyzer
from ddd_llm.evidence.config_files.toml_config import TomlConfigAnalyzer
from ddd_llm.models import ConfigParameter

ANALYZERS: list[tuple[Analyzer, tuple[str, ...]]] = [
    (DirectivesAnalyzer(), ("redis.conf", "nginx.conf", "haproxy.cfg")),
    (IniAnalyzer(), ("etc/pgbouncer.ini", "php.ini")),
    (TomlConfigAnalyzer(), ("config.toml",)),
    (
        PropertiesAnalyzer(),
        ("src/main/resources/application.properties", "src/main/resources/application-prod.yml"),
    ),
    (AppSettingsAnalyzer(), ("appsettings.json", "appsettings.Production.json")),
    (DotenvAnalyzer(), (".env.example",)),
    (TerraformAnalyzer(), ("variables.tf",)),
    (HelmAnalyzer(), ("chart/values.yaml", "chart/Chart.yaml", "chart/templates/deploy.yaml")),
    (KustomizeAnalyzer(), ("overlays/prod/kustomization.yaml",)),
]

_WORD = st.text(alphabet="abcdefgXYZ_.-:09", min_size=1, max_size=8)
_VALUE = st.one_of(
    _WORD,
    st.sampled_from(
        [
            "${PORT:8080}",
            "${A:-x}",
            "${B}",
            "${",
            "}",
            '"quoted',
            "'x'",
            "http://u:p@h:1/p",
            "1-100",
            "[",
            "{",
            "\\",
            "",
            "8080",
            "true",
        ]
    ),
)
_LINE = st.one_of(
    st.builds(lambda k, v: f"{k} = {v}", _WORD, _VALUE),
    st.builds(lambda k, v: f"{k}={v}", _WORD, _VALUE),
    st.builds(lambda k, v: f"{k} {v};", _WORD, _VALUE),
    st.builds(lambda k, v: f"{k}: {v}", _WORD, _VALUE),
    st.builds(lambda k, v: f"  {k}: {v}", _WORD, _VALUE),
    st.builds(lambda k, v: f"# {k} {v}", _WORD, _VALUE),
    st.builds(lambda k, v: f";{k} = {v}", _WORD, _VALUE),
    st.builds(lambda k: f"[{k}]", _WORD),
    st.builds(lambda k: f"[[{k}]]", _WORD),
    st.builds(lambda k: f'variable "{k}" {{', _WORD),
    st.builds(lambda k: f"location /{k} {{", _WORD),
    st.builds(lambda k: f"{{{{ .Values.{k} }}}}", _WORD),
    st.sampled_from(["{", "}", "---", "- a", "  - b=1", "\\", '"""', "", "livenessProbe:"]),
)
_STRUCTURED = st.lists(_LINE, max_size=25).map("\n".join)
_ANY = st.text(max_size=300)


def _check(source: SourceFile, result: AnalyzerResult) -> None:
    last = max(1, len(source.lines))
    for fact in result.facts:
        assert fact.citations, fact
        for cite in fact.citations:
            assert cite.path == source.path
            assert 1 <= cite.start_line <= cite.end_line <= last, (cite, last)
        if isinstance(fact, ConfigParameter) and fact.secret:
            assert fact.default is None
    for warning in result.warnings:
        assert warning.path == source.path
        assert warning.line is None or 1 <= warning.line <= last + 1, warning
    for candidate in result.candidates:
        assert 1 <= candidate.start_line <= candidate.end_line <= last


def _run_all(text: str) -> None:
    for analyzer, paths in ANALYZERS:
        for path in paths:
            source = SourceFile(path, text)
            analyzer.accepts(source)
            _check(source, analyzer.analyze(source))


@settings(max_examples=60, deadline=None, suppress_health_check=[Health.too_slow])
@given(_STRUCTURED)
def test_config_shaped_text_never_breaks_an_analyzer(text: str) -> None:
    _run_all(text)


@settings(max_examples=40, deadline=None, suppress_health_check=[Health.too_slow])
@given(_ANY)
def test_arbitrary_text_never_breaks_an_analyzer(text: str) -> None:
    _run_all(text)


@settings(max_examples=30, deadline=None, suppress_health_check=[Health.too_slow])
@given(st.binary(max_size=200))
def test_bytes_decoded_as_text_never_break_an_analyzer(data: bytes) -> None:
    _run_all(data.decode("utf-8", errors="replace"))
