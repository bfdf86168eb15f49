"""Unit tests for the Ruby analyzer (snippets adapted from Rails' generated config, Puma and
Mastodon's config files)."""

from __future__ import annotations

import textwrap

from ddd_llm.evidence.base import AnalyzerResult, SourceFile
from ddd_llm.evidence.code.ruby_code import RubyCodeAnalyzer
from ddd_llm.models import ConfigParameter, HealthCheck, ResourceRequirement

ANALYZER = RubyCodeAnalyzer()


def run(code: str, path: str = "config/application.rb") -> AnalyzerResult:
    source = SourceFile(path, textwrap.dedent(code).lstrip("\n"))
    assert ANALYZER.accepts(source)
    result = ANALYZER.analyze(source)
    assert not result.warnings, result.warnings
    return result


def params(result: AnalyzerResult) -> dict[str, ConfigParameter]:
    return {f.name: f for f in result.facts if isinstance(f, ConfigParameter)}


def test_accepts_ruby_but_not_specs() -> None:
    assert ANALYZER.accepts(SourceFile("config/puma.rb", "port 3000"))
    assert ANALYZER.accepts(SourceFile("lib/tasks/db.rake", "x = 1"))
    assert not ANALYZER.accepts(SourceFile("spec/models/user_spec.rb", "x = 1"))
    assert not ANALYZER.accepts(SourceFile("app.py", "x = 1"))


def test_env_reads_with_fallbacks_and_conversions() -> None:
    # config/puma.rb as `rails new` writes it, plus Mastodon-style reads
    found = params(
        run(
            """
            max_threads_count = ENV.fetch("RAILS_MAX_THREADS") { 5 }
            threads max_threads_count, max_threads_count
            port ENV.fetch("PORT", 3000)
            workers Integer(ENV.fetch("WEB_CONCURRENCY", 2))
            config.force_ssl = ENV.fetch("FORCE_SSL", "true") == "true"
            redis_url = ENV["REDIS_URL"] || "redis://localhost:6379/1"
            timeout = ENV["DB_TIMEOUT"].to_i
            secret = ENV.fetch("SECRET_KEY_BASE")
            name = ENV[var_name]
            """,
            "config/puma.rb",
        )
    )
    assert found["RAILS_MAX_THREADS"].default == "5"
    assert found["PORT"].default == "3000"
    assert found["WEB_CONCURRENCY"].value_type == "int"
    assert found["WEB_CONCURRENCY"].default == "2"
    assert found["FORCE_SSL"].value_type == "bool"
    assert "(sets config.force_ssl)" in found["FORCE_SSL"].summary
    assert found["REDIS_URL"].default == "redis://localhost:6379/1"
    assert found["DB_TIMEOUT"].value_type == "int"
    assert found["SECRET_KEY_BASE"].required and found["SECRET_KEY_BASE"].secret
    assert found["SECRET_KEY_BASE"].default is None


def test_computed_env_name_is_a_candidate() -> None:
    result = run("value = ENV[name]\n")
    assert params(result) == {}
    assert len(result.candidates) == 1


def test_option_parser_and_thor_options() -> None:
    found = params(
        run(
            """
            OptionParser.new do |opts|
              opts.on("-p", "--port PORT", Integer, "Port (default 9292)") { |v| o[:port] = v }
              opts.on("-v", "--[no-]verbose", "Run verbosely") { |v| options[:verbose] = v }
              opts.on("-e", "--environment ENV", "Environment") { |v| options[:env] = v }
            end
            class CLI < Thor
              method_option :workers, type: :numeric, default: 4, desc: "Worker processes"
              option :log_level, type: :string, enum: ["debug", "info"], default: "info"
            end
            """,
            "bin/server.rb",
        )
    )
    assert found["--port"].value_type == "int"
    assert found["--port"].default == "9292"  # stated in the help text
    assert found["--verbose"].value_type == "bool"
    assert found["--environment"].value_type == "string"
    assert found["--workers"].default == "4" and found["--workers"].value_type == "int"
    assert found["--log-level"].allowed_values == ["debug", "info"]


def test_health_routes_by_name_and_ports() -> None:
    result = run(
        """
        Rails.application.routes.draw do
          get "up" => "rails/health#show", as: :rails_health_check
          get "/healthz", to: "health#show"
          get "/users", to: "users#index"
          root "posts#index"
        end
        set :port, 4567
        """,
        "config/routes.rb",
    )
    assert sorted(f.target for f in result.facts if isinstance(f, HealthCheck)) == [
        "/healthz",
        "/up",
    ]
    assert [f.value for f in result.facts if isinstance(f, ResourceRequirement)] == ["4567"]
