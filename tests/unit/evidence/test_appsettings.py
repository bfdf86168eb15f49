""".NET appsettings*.json: `Section:Key` names, environments, secrets, Kestrel ports."""

from __future__ import annotations

from ddd_llm.evidence.base import REGISTRY, AnalyzerResult, SourceFile
from ddd_llm.evidence.config_files.appsettings import AppSettingsAnalyzer, blank_comments
from ddd_llm.models import ConfigParameter, HealthCheck, ResourceRequirement

# Adapted from dotnet/eShop src/Ordering.API/appsettings.json (+ Kestrel, health UI, comments).
SETTINGS = """\
{
  // Logging levels
  "Logging": {
    "LogLevel": {
      "Default": "Information",
      "Microsoft.AspNetCore": "Warning"
    }
  },
  "ConnectionStrings": {
    "EventBus": "amqp://localhost"
  },
  "Kestrel": {
    "Endpoints": {
      "Http": { "Url": "http://+:5000" }
    }
  },
  /* UI polls this */
  "HealthChecksUI": {
    "HealthChecks": [
      { "Name": "self", "Uri": "http://localhost:5000/hc" }
    ]
  },
  "TokenLifetimeMinutes": 120,
  "UseCustomizationData": false,
  "Urls": "http://example.com//not-a-comment",
}
"""


def analyze(text: str, path: str = "src/Ordering.API/appsettings.json") -> AnalyzerResult:
    return AppSettingsAnalyzer().analyze(SourceFile(path, text))


def params(result: AnalyzerResult) -> dict[str, ConfigParameter]:
    return {f.id.split(":", 2)[2]: f for f in result.facts if isinstance(f, ConfigParameter)}


def test_names_lines_and_types() -> None:
    found = params(analyze(SETTINGS))
    level = found["Logging:LogLevel:Default"]
    assert (level.default, level.citations[0].start_line) == ("Information", 5)
    assert found["TokenLifetimeMinutes"].value_type == "int"
    assert found["UseCustomizationData"].default == "false"
    assert found["HealthChecksUI:HealthChecks:0:Uri"].citations[0].start_line == 20
    assert found["Urls"].default == "http://example.com//not-a-comment"


def test_connection_strings_are_secret() -> None:
    result = analyze(SETTINGS)
    event_bus = params(result)["ConnectionStrings:EventBus"]
    assert event_bus.secret and event_bus.default is None
    assert "amqp://localhost" not in " ".join(f.model_dump_json() for f in result.facts)


def test_kestrel_port_and_health_ui() -> None:
    result = analyze(SETTINGS)
    ports = [
        (f.value, f.citations[0].start_line)
        for f in result.facts
        if isinstance(f, ResourceRequirement)
    ]
    assert ports == [("5000", 14)]
    health = [(h.target, h.port) for h in result.facts if isinstance(h, HealthCheck)]
    assert health == [("/hc", 5000)]


def test_environment_file_is_a_layer() -> None:
    text = '{ "Logging": { "LogLevel": { "Default": "Debug" } } }'
    result = analyze(text, "src/WebApp/appsettings.Development.json")
    fact = params(result)["Logging:LogLevel:Default@Development"]
    assert (fact.name, fact.default, fact.id) == (
        "Logging:LogLevel:Default",
        "Debug",
        "config_parameter:-:Logging:LogLevel:Default@Development",
    )


def test_parse_error_warns_with_line() -> None:
    result = analyze('{\n  "A": 1\n  "B": 2\n}\n')
    assert [(w.line, w.source) for w in result.warnings] == [(3, "appsettings")]
    assert not result.facts


def test_blank_comments_keeps_lines_and_strings() -> None:
    text = '{"a": "x//y", // c\n/* d\ne */ "b": [1,],}'
    cleaned = blank_comments(text)
    assert cleaned.count("\n") == text.count("\n")
    assert '"x//y"' in cleaned and "//" not in cleaned.replace('"x//y"', "")


def test_accepts() -> None:
    accepts = REGISTRY["appsettings"].accepts
    assert accepts(SourceFile("src/Api/appsettings.json", "{}"))
    assert accepts(SourceFile("src/Api/appsettings.Production.json", "{}"))
    assert not accepts(SourceFile("src/Api/Properties/launchSettings.json", "{}"))
    assert not accepts(SourceFile("tests/Api.Tests/appsettings.json", "{}"))
