"""JS/TS idioms beyond process.env.X: other runtimes, env schemas, CLI options, route params."""

from __future__ import annotations

import textwrap

from ddd_llm.evidence.base import AnalyzerResult, SourceFile
from ddd_llm.evidence.code.javascript import JavaScriptAnalyzer
from ddd_llm.models import ConfigParameter, HealthCheck

ANALYZER = JavaScriptAnalyzer()


def run(text: str, path: str = "src/config.ts") -> AnalyzerResult:
    result = ANALYZER.analyze(SourceFile(path, textwrap.dedent(text).lstrip("\n")))
    assert not [w for w in result.warnings if "could not read" in w.message]
    return result


def params(result: AnalyzerResult) -> dict[str, ConfigParameter]:
    return {f.name: f for f in result.facts if isinstance(f, ConfigParameter)}


def test_other_runtimes_and_parse_int_fallback() -> None:
    text = """
    const api = import.meta.env.VITE_API_URL ?? '/api';
    const port = Deno.env.get("PORT");
    const bun = Bun.env.BUN_WORKERS || '2';
    const timeout = parseInt(process.env.TIMEOUT || "5", 10);
    const key = process.env[`KEY_${region}`];
    """
    result = run(text)
    found = params(result)
    assert found["VITE_API_URL"].default == "/api"
    assert "PORT" in found and found["BUN_WORKERS"].default == "2"
    assert (found["TIMEOUT"].default, found["TIMEOUT"].value_type) == ("5", "int")
    assert [c.start_line for c in result.candidates] == [5]


def test_joi_schema_validated_against_process_env() -> None:
    # adapted from hagopj13/node-express-boilerplate src/config/config.js
    text = """
    const envVarsSchema = Joi.object()
      .keys({
        NODE_ENV: Joi.string().valid('production', 'development', 'test').required(),
        PORT: Joi.number().default(3000),
        SMTP_HOST: Joi.string().description('server that will send the emails'),
      })
      .unknown();

    const { value: envVars, error } = envVarsSchema
      .prefs({ errors: { label: 'key' } })
      .validate(process.env);
    """
    found = params(run(text, "src/config/config.js"))
    assert set(found) == {"NODE_ENV", "PORT", "SMTP_HOST"}
    assert found["NODE_ENV"].allowed_values == ["production", "development", "test"]
    assert found["NODE_ENV"].required
    assert (found["PORT"].default, found["PORT"].value_type) == ("3000", "int")
    assert not found["SMTP_HOST"].required


def test_unvalidated_object_schema_is_not_env() -> None:
    text = "const body = z.object({ NAME: z.string() });\nbody.parse(req.body);\n"
    assert params(run(text)) == {}


def test_zod_and_envalid_schemas() -> None:
    text = """
    const env = z.object({
      DATABASE_URL: z.string().url(),
      PORT: z.coerce.number().default(8080),
      LOG_LEVEL: z.enum(['debug', 'info']).optional(),
    }).parse(process.env);
    const cfg = envalid.cleanEnv(process.env, {
      API_PORT: port({ default: 3000 }),
      MODE: str({ choices: ['a', 'b'] }),
    });
    """
    found = params(run(text))
    assert found["DATABASE_URL"].required
    assert (found["PORT"].default, found["PORT"].value_type, found["PORT"].required) == (
        "8080",
        "int",
        False,
    )
    assert found["LOG_LEVEL"].allowed_values == ["debug", "info"]
    assert not found["LOG_LEVEL"].required
    assert (found["API_PORT"].default, found["API_PORT"].value_type) == ("3000", "int")
    assert found["MODE"].allowed_values == ["a", "b"] and found["MODE"].required


def test_commander_and_yargs_options() -> None:
    text = """
    program
      .option('-p, --port <number>', 'port to listen on', 3000)
      .option('-d, --debug', 'output extra debugging');
    yargs.option('workers', { alias: 'w', type: 'number', default: 4, describe: 'worker count' });
    """
    found = params(run(text, "bin/cli.js"))
    assert set(found) == {"--port", "--debug", "--workers"}
    assert (found["--port"].default, found["--port"].value_type) == ("3000", "int")
    assert found["--debug"].value_type == "bool"
    assert found["--workers"].default == "4"
    assert found["--port"].summary.startswith("command-line option --port")


def test_routes_with_parameters_are_not_health_checks() -> None:
    text = """
    app.get('/ping/:id', handler);
    router.get('/health/:service', check);
    app.get('/status', status);
    app.get('/healthz', ok);
    """
    found = [f.target for f in run(text, "src/app.js").facts if isinstance(f, HealthCheck)]
    assert found == ["/healthz"]


def test_commander_option_objects_with_env_and_parsers() -> None:
    text = """
    program
      .option('-p, --port <number>', 'port to listen on', parseInt, 3000)
      .addOption(
        new Option('-l, --log-level <level>', 'log level')
          .choices(['debug', 'info'])
          .default('info')
          .env('LOG_LEVEL'),
      )
      .option('-d, --debug', 'debug');
    """
    result = run(text, "bin/cli.js")
    found = params(result)
    assert (found["--port"].default, found["--port"].value_type) == ("3000", "int")
    assert [(c.start_line, c.end_line) for c in found["--port"].citations] == [(2, 2)]
    level = found["LOG_LEVEL"]
    assert (level.default, level.allowed_values) == ("info", ["debug", "info"])
    assert level.summary.startswith("environment variable LOG_LEVEL")
    assert found["--log-level"].value_type == "enum"
    assert [(c.start_line, c.end_line) for c in found["--debug"].citations] == [(9, 9)]


def test_reads_through_the_projects_env_module() -> None:
    # adapted from outline/outline server/env.ts
    text = """
    import environment from "./utils/environment";
    import { Public } from "./utils/decorators/Public";

    export class Environment {
      @IsOptional()
      @IsNumber()
      public WORKER_CONCURRENCY_EVENTS =
        this.toOptionalNumber(environment.WORKER_CONCURRENCY_EVENTS) ?? 10;

      public DATABASE_PORT = this.toOptionalNumber(environment.DATABASE_PORT);

      public SMTP_SECURE = this.toBoolean(environment.SMTP_SECURE ?? "true");

      public isProduction = environment.isProduction;
    }
    """
    found = params(run(text, "server/env.ts"))
    assert set(found) == {"WORKER_CONCURRENCY_EVENTS", "DATABASE_PORT", "SMTP_SECURE"}
    workers = found["WORKER_CONCURRENCY_EVENTS"]
    assert (workers.value_type, workers.default) == ("int", "10")
    assert [(c.start_line, c.end_line) for c in workers.citations] == [(8, 8)]
    assert found["DATABASE_PORT"].value_type == "int"
    assert (found["SMTP_SECURE"].value_type, found["SMTP_SECURE"].default) == ("bool", "true")


def test_a_package_named_env_is_not_an_env_module() -> None:
    text = 'import env from "env-var";\nconst x = env.SOMETHING;\n'
    assert params(run(text)) == {}


def test_t3_create_env_schema() -> None:
    text = """
    export const env = createEnv({
      server: {
        DATABASE_URL: z.string().url(),
        NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
      },
      client: { NEXT_PUBLIC_API: z.string().optional() },
      runtimeEnv: { DATABASE_URL: process.env.DATABASE_URL },
    });
    """
    found = params(run(text, "src/env.mjs"))
    assert set(found) == {"DATABASE_URL", "NODE_ENV", "NEXT_PUBLIC_API"}
    assert found["DATABASE_URL"].required
    assert found["NODE_ENV"].default == "development"
    assert not found["NEXT_PUBLIC_API"].required
