"""PM2 process files as deploy evidence: app settings, memory limit, env blocks, arguments."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from typer.testing import CliRunner

from ddd_llm.cli.app import app
from ddd_llm.evidence import analyze_files
from ddd_llm.evidence.base import AnalyzerResult, SourceFile
from ddd_llm.evidence.deploy.pm2 import Pm2Analyzer
from ddd_llm.models import ConfigParameter, FactBase, ResourceRequirement
from ddd_llm.scan.linguist import Category, Classifier

ANALYZER = Pm2Analyzer()

TWO_APPS_JS = """
// Process file for the billing stack
module.exports = {
  apps: [
    {
      name: 'Billing-API',
      script: './dist/server.js',
      exec_mode: 'cluster',
      instances: 'max',
      max_memory_restart: '300M',
      kill_timeout: 8000,
      args: '--listen-port 7400 --verbose',
      env: {
        LEDGER_MODE: 'strict',
        STRIPE_API_KEY: 'sk_live_abcdefghijklmnopqrstuvwx',
      },
      env_staging: {
        LEDGER_MODE: 'relaxed',
      },
    },
    {
      name: 'billing-cron',
      script: 'jobs/cron.js',
      autorestart: false,
      cron_restart: '0 3 * * *',
      watch: ['jobs', 'lib'],
      instances: Number(process.env.CRON_WORKERS),
    },
  ],
};
"""


def analyze(path: str, text: str) -> AnalyzerResult:
    source = SourceFile(path, textwrap.dedent(text).lstrip("\n"))
    assert ANALYZER.accepts(source), path
    return ANALYZER.analyze(source)


def by_id(result: AnalyzerResult) -> dict[str, FactBase]:
    return {f.id: f for f in result.facts}


def param(result: AnalyzerResult, fact_id: str) -> ConfigParameter:
    fact = by_id(result)[fact_id]
    assert isinstance(fact, ConfigParameter)
    return fact


def test_each_app_of_a_js_process_file_is_a_service_with_its_settings() -> None:
    result = analyze("deploy/ecosystem.config.js", TWO_APPS_JS)
    assert sorted(s.name for s in result.services) == ["billing-api", "billing-cron"]
    mode = param(result, "config_parameter:billing-api:exec_mode")
    assert (mode.default, mode.value_type) == ("cluster", "enum")
    assert param(result, "config_parameter:billing-api:instances").default == "max"
    assert param(result, "config_parameter:billing-api:kill_timeout").default == "8000"
    auto = param(result, "config_parameter:billing-cron:autorestart")
    assert (auto.default, auto.value_type) == ("false", "bool")
    watch = param(result, "config_parameter:billing-cron:watch")
    assert (watch.default, watch.value_type) == ("jobs,lib", "list")
    assert param(result, "config_parameter:billing-cron:cron_restart").default == "0 3 * * *"
    memory = by_id(result)["resource_requirement:billing-api:memory"]
    assert isinstance(memory, ResourceRequirement) and memory.limit == "300M"
    # Each fact cites the line that sets it.
    assert mode.citations[0].start_line == 7
    # `name` and `script` say which app it is: they are not settings.
    names = {f.name for f in result.facts if isinstance(f, ConfigParameter)}
    assert "name" not in names and "script" not in names


def test_env_blocks_are_deployed_values_and_secrets_are_withheld() -> None:
    result = analyze("deploy/ecosystem.config.js", TWO_APPS_JS)
    base = param(result, "config_parameter:billing-api:LEDGER_MODE")
    staging = param(result, "config_parameter:billing-api:LEDGER_MODE@staging")
    assert (base.default, staging.default) == ("strict", "relaxed")
    assert "--env staging" in staging.summary
    key = param(result, "config_parameter:billing-api:STRIPE_API_KEY")
    assert key.secret and key.default is None
    assert "sk_live" not in key.summary


def test_args_are_the_scripts_flags_and_computed_values_go_to_the_model() -> None:
    result = analyze("deploy/ecosystem.config.js", TWO_APPS_JS)
    assert param(result, "config_parameter:billing-api:--listen-port").default == "7400"
    assert param(result, "config_parameter:billing-api:--verbose").value_type == "bool"
    # `instances: Number(process.env.CRON_WORKERS)` is not a literal: no made-up value,
    # the line is a candidate for the model instead.
    assert "config_parameter:billing-cron:instances" not in by_id(result)
    assert any(c.start_line == 26 and "instances" in c.reason for c in result.candidates)


def test_code_in_an_apps_own_folder_belongs_to_that_app() -> None:
    text = """
    module.exports = { apps: [
      { name: 'Gateway', cwd: './services/gateway', script: 'node', args: 'dist/main.js',
        node_args: ['--max-old-space-size', '512'] },
      { name: 'mailer', script: 'services/mailer/index.js' },
      { name: 'one', script: 'shared/run.js' },
      { name: 'two', script: 'shared/run.js' },
    ] };
    """
    result = analyze("ecosystem.config.js", text)
    assert result.owners == {"services/gateway": "gateway", "services/mailer": "mailer"}
    node_args = param(result, "config_parameter:gateway:node_args")
    assert (node_args.default, node_args.value_type) == ("--max-old-space-size 512", "string")
    files = {
        "ecosystem.config.js": textwrap.dedent(text),
        "services/mailer/index.js": "const depth = process.env.MAIL_QUEUE_DEPTH || '8';\n",
    }
    whole = analyze_files(SourceFile(p, t) for p, t in files.items())
    assert whole.owners["services/mailer"] == "mailer"


def test_a_single_app_json_file_leaves_the_service_to_the_deployment() -> None:
    text = json.dumps(
        {
            "apps": [
                {
                    "name": "web",
                    "script": "bin/www",
                    "instances": 2,
                    "time": True,
                    "env_production": {"LOG_LEVEL": "warn"},
                }
            ]
        },
        indent=2,
    )
    result = analyze("pm2.json", text)
    assert result.services == []
    assert param(result, "config_parameter:-:instances").default == "2"
    assert param(result, "config_parameter:-:time").default == "true"
    level = param(result, "config_parameter:-:LOG_LEVEL@production")
    assert level.default == "warn" and level.citations[0].start_line == 9


def test_yaml_and_top_level_array_process_files() -> None:
    yml = """
    apps:
      - script: worker.js
        name: queue-worker
        instances: 4
        exec_mode: fork
    """
    result = analyze("process.yml", yml)
    assert param(result, "config_parameter:-:instances").citations[0].start_line == 4
    legacy = '[\n  {"name": "a", "script": "a.js", "min_uptime": "10s"}\n]\n'
    assert param(analyze("process.json", legacy), "config_parameter:-:min_uptime").default == "10s"


def test_files_that_are_not_pm2_process_files_are_left_alone() -> None:
    not_pm2 = [
        ("process.json", '{"apps": [{"id": 1, "title": "Mail"}]}'),  # no script: not PM2
        ("package.json", '{"name": "x", "scripts": {"start": "node a.js"}, "apps": []}'),
        ("src/process.js", "const apps = [{ script: 'a' }];\nmodule.exports = { apps };\n"),
        ("ecosystem.md", "apps:\n  - script: a.js\n"),
    ]
    for path, text in not_pm2:
        assert not ANALYZER.accepts(SourceFile(path, text)), path
    # A process file whose apps all lack a script gives nothing.
    source = SourceFile("pm2.config.js", "module.exports = { apps: [{ name: 'x' }] } // script:")
    assert ANALYZER.analyze(source).facts == []


def test_a_broken_process_file_is_a_warning_not_a_crash() -> None:
    result = analyze("ecosystem.config.json", '{"apps": [{"script": "a.js", "instances": 3,')
    assert result.warnings and result.warnings[0].path == "ecosystem.config.json"


def test_process_files_in_build_folders_are_still_read_and_excerpted() -> None:
    classifier = Classifier()
    for path in ("ecosystem.config.json", "dist/ecosystem.config.js", "build/pm2.json"):
        assert classifier.classify(path, "{}").category is Category.normal, path
    assert classifier.classify("dist/server.js", "x").category is Category.generated


def test_pm2_env_layers_over_the_code_default_in_a_whole_run() -> None:
    files = {
        "ecosystem.config.js": "module.exports = { apps: [{ script: 'srv.js', "
        "env: { QUEUE_DEPTH: '64' } }] };\n",
        "srv.js": "const depth = Number(process.env.QUEUE_DEPTH || 16);\n",
    }
    result = analyze_files(SourceFile(p, t) for p, t in files.items())
    cited = {
        c.path
        for f in result.facts
        if isinstance(f, ConfigParameter) and f.name == "QUEUE_DEPTH"
        for c in f.citations
    }
    assert cited == {"ecosystem.config.js", "srv.js"}


def test_extract_reports_pm2_settings_in_facts_json(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "ecosystem.config.cjs").write_text(
        "module.exports = {\n  apps: [{\n    name: 'relay',\n    script: 'relay.js',\n"
        "    instances: 3,\n    max_restarts: 7,\n  }],\n};\n"
    )
    (repo / "relay.js").write_text("require('http').createServer().listen(9000);\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["extract", str(repo), "--out", str(out), "--no-index", "--llm", "none"]
    )
    assert result.exit_code == 0, result.output
    facts = json.loads((out / "facts.json").read_text())["facts"]
    found = {(f.get("name"), f.get("default")) for f in facts}
    assert ("instances", "3") in found and ("max_restarts", "7") in found
