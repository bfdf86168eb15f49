"""Unit tests for the JavaScript/TypeScript analyzer."""

from __future__ import annotations

import random
import textwrap

import pytest

from ddd_llm.evidence.base import REGISTRY, AnalyzerResult, SourceFile
from ddd_llm.evidence.code.javascript import JavaScriptAnalyzer
from ddd_llm.models import ConfigParameter, FactBase, HealthCheck, ResourceRequirement

ANALYZER = JavaScriptAnalyzer()


def run(text: str, path: str = "src/server.js") -> AnalyzerResult:
    source = SourceFile(path, textwrap.dedent(text).lstrip("\n"))
    assert ANALYZER.accepts(source)
    result = ANALYZER.analyze(source)
    assert not [w for w in result.warnings if "could not read" in w.message]
    return result


def facts(result: AnalyzerResult) -> dict[str, FactBase]:
    out = {fact.id: fact for fact in result.facts}
    assert len(out) == len(result.facts), "one fact per id"
    return out


def param(result: AnalyzerResult, name: str) -> ConfigParameter:
    fact = facts(result)[f"config_parameter:-:{name}"]
    assert isinstance(fact, ConfigParameter)
    return fact


def health(result: AnalyzerResult) -> dict[str, HealthCheck]:
    return {f.target: f for f in result.facts if isinstance(f, HealthCheck)}


def ports(result: AnalyzerResult) -> dict[str, ResourceRequirement]:
    return {
        f.value or "": f
        for f in result.facts
        if isinstance(f, ResourceRequirement) and f.resource == "port"
    }


def lines(fact: FactBase) -> list[tuple[int, int]]:
    return [(c.start_line, c.end_line) for c in fact.citations]


def line_of(text: str, needle: str) -> int:
    body = textwrap.dedent(text).lstrip("\n")
    assert body.count(needle) == 1, needle
    return body[: body.index(needle)].count("\n") + 1


def test_registered_under_its_name() -> None:
    assert isinstance(REGISTRY["javascript"], JavaScriptAnalyzer)


@pytest.mark.parametrize(
    ("path", "accepted"),
    [
        ("server.js", True),
        ("src/index.ts", True),
        ("src/app.mjs", True),
        ("config.cjs", True),
        ("web/App.tsx", True),
        ("web/App.jsx", True),
        ("node_modules/express/index.js", False),
        ("dist/server.js", False),
        ("build/static/js/main.js", False),
        ("src/types.d.ts", False),
        ("public/jquery.min.js", False),
        ("src/server.test.ts", False),
        ("src/__tests__/server.js", False),
        ("src/server.py", False),
        ("package.json", False),
    ],
)
def test_accepts(path: str, accepted: bool) -> None:
    assert ANALYZER.accepts(SourceFile(path, "const x = 1;\n")) is accepted


def test_minified_text_is_not_accepted() -> None:
    text = "var a=1;" * 2000
    assert not ANALYZER.accepts(SourceFile("static/app.js", text))


# --- environment -----------------------------------------------------------------------

ENV = """
'use strict';
const express = require('express');
const DEFAULT_TIMEOUT = 5000;
const PORT = process.env.PORT || 3000;
const HOST = process.env.HOST ?? '0.0.0.0';
// const IGNORED = process.env.COMMENTED || 'x';
/* process.env.BLOCK_COMMENTED */
const url = "http://example.com/api"; const after = process.env.AFTER_URL || 'y';
const re = /['"]\\/\\/process.env.IN_REGEX/g;
const text = "process.env.IN_STRING";
const maxConn = parseInt(process.env.MAX_CONNECTIONS, 10) || 100;
const ratio = parseFloat(process.env.SAMPLE_RATIO || '0.5');
const debug = process.env.DEBUG === 'true';
const timeout = Number(process.env.TIMEOUT_MS) || DEFAULT_TIMEOUT;
const dbUrl = process.env['DATABASE_URL'];
const token = process.env.API_TOKEN || 'dev-token-123';
const hosts = (process.env.ALLOWED_HOSTS || 'a,b').split(',');
const banner = `up on ${process.env.BANNER || 'hi'} // not a comment`;
const {
  REDIS_HOST = 'localhost',
  REDIS_PORT: redisPort = 6379,
  LOG_LEVEL,
} = process.env;
if (!process.env.SESSION_SECRET) throw new Error('SESSION_SECRET missing');
process.env.NODE_ENV = 'production';
"""


def test_env_with_or_and_nullish_defaults() -> None:
    result = run(ENV)
    port = param(result, "PORT")
    assert (port.default, port.value_type, port.required) == ("3000", "int", False)
    assert port.id == "config_parameter:-:PORT"
    assert lines(port) == [(line_of(ENV, "process.env.PORT"),) * 2]
    host = param(result, "HOST")
    assert (host.default, host.value_type) == ("0.0.0.0", "string")


def test_env_wrapped_in_number_parsers() -> None:
    result = run(ENV)
    conns = param(result, "MAX_CONNECTIONS")
    assert (conns.value_type, conns.default) == ("int", "100")
    ratio = param(result, "SAMPLE_RATIO")
    assert (ratio.value_type, ratio.default) == ("float", "0.5")
    timeout = param(result, "TIMEOUT_MS")
    assert (timeout.value_type, timeout.default) == ("int", "5000")
    assert lines(timeout) == [
        (line_of(ENV, "const DEFAULT_TIMEOUT"),) * 2,
        (line_of(ENV, "process.env.TIMEOUT_MS"),) * 2,
    ]


def test_env_bool_list_bracket_and_bare() -> None:
    result = run(ENV)
    assert param(result, "DEBUG").value_type == "bool"
    assert param(result, "DEBUG").default is None
    hosts = param(result, "ALLOWED_HOSTS")
    assert (hosts.value_type, hosts.default) == ("list", "a,b")
    db = param(result, "DATABASE_URL")
    assert (db.default, db.value_type) == (None, "string")
    assert lines(db) == [(line_of(ENV, "DATABASE_URL"),) * 2]


def test_env_secret_has_no_default() -> None:
    token = param(run(ENV), "API_TOKEN")
    assert token.secret and token.default is None
    assert "dev-token-123" not in token.summary


def test_env_destructuring_with_defaults_and_renames() -> None:
    result = run(ENV)
    redis_host = param(result, "REDIS_HOST")
    assert redis_host.default == "localhost"
    assert lines(redis_host) == [(line_of(ENV, "REDIS_HOST"),) * 2]
    redis_port = param(result, "REDIS_PORT")
    assert (redis_port.default, redis_port.value_type) == ("6379", "int")
    assert param(result, "LOG_LEVEL").default is None


def test_env_checked_then_thrown_is_required() -> None:
    secret = param(run(ENV), "SESSION_SECRET")
    assert secret.required and secret.secret


def test_env_inside_template_expression_is_read() -> None:
    assert param(run(ENV), "BANNER").default == "hi"


def test_env_in_comments_strings_regexes_and_writes_is_not_a_fact() -> None:
    ids = facts(run(ENV))
    for name in ("COMMENTED", "BLOCK_COMMENTED", "IN_REGEX", "IN_STRING", "NODE_ENV"):
        assert f"config_parameter:-:{name}" not in ids
    assert param(run(ENV), "AFTER_URL").default == "y"


def test_env_through_an_alias_and_typescript_syntax() -> None:
    text = """
    const env = process.env;
    const level: string = env.LOG_LEVEL || 'info';
    const port: number = Number(process.env.PORT ?? 8080);
    const key = process.env.API_KEY!;
    const retries = process.env.RETRIES ? Number(process.env.RETRIES) : 3;
    """
    result = run(text, "src/config.ts")
    assert param(result, "LOG_LEVEL").default == "info"
    port = param(result, "PORT")
    assert (port.value_type, port.default) == ("int", "8080")
    assert param(result, "API_KEY").secret
    retries = param(result, "RETRIES")
    assert (retries.default, retries.value_type) == ("3", "int")
    assert lines(retries) == [(5, 5)]


def test_multiline_fallback_cites_every_line() -> None:
    text = """
    const port =
      process.env.PORT ||
      8080;
    """
    assert lines(param(run(text), "PORT")) == [(2, 3)]


# --- health routes ---------------------------------------------------------------------

ROUTES = """
const express = require('express');
const app = express();
const router = express.Router();

app.get('/healthz', (req, res) => res.send('ok'));
app.get(['/ready', '/live'], handler);
app.use('/health', healthRouter);
router.get('/api/v1/ping', pong);
router.get('/users', list);
fastify.get('/readyz', async () => ({ ok: true }));
server.get(
  '/livez',
  (req, res, next) => next()
);
axios.get('/health/client', { timeout: 1 });
const s = "app.get('/in-string/healthz', h)";
// app.get('/commented/healthz', h);
cache.get('/healthz', fallback);
"""


def test_express_style_health_routes() -> None:
    result = run(ROUTES)
    found = health(result)
    assert set(found) == {
        "/healthz",
        "/ready",
        "/live",
        "/health",
        "/api/v1/ping",
        "/readyz",
        "/livez",
    }
    hz = found["/healthz"]
    assert hz.id == "health_check:-:code-endpoint:/healthz"
    assert (hz.check_type, hz.mechanism, hz.port) == ("http", "code-endpoint", None)
    assert lines(hz) == [(line_of(ROUTES, "'/healthz', (req"),) * 2]
    start = line_of(ROUTES, "server.get(")
    assert lines(found["/livez"]) == [(start, start + 1)]


def test_nest_controller_prefix_and_health_check_decorator() -> None:
    text = """
    import { Controller, Get } from '@nestjs/common';
    import { HealthCheck, HealthCheckService } from '@nestjs/terminus';

    @Controller('health')
    export class HealthController {
      constructor(private health: HealthCheckService) {}

      @Get()
      @HealthCheck()
      check() {
        return this.health.check([]);
      }

      @Get('live')
      live(): string {
        return 'ok';
      }
    }

    @Controller({ path: 'api' })
    export class ApiController {
      @HealthCheck()
      @Get('deps')
      deps() {}

      @Get(':id')
      one() {}
    }
    """
    found = health(run(text, "src/health/health.controller.ts"))
    assert set(found) == {"/health", "/health/live", "/api/deps"}
    assert lines(found["/health"]) == [(8, 10)]
    assert lines(found["/health/live"]) == [(14, 15)]


def test_route_objects_terminus_and_grpc_health() -> None:
    text = """
    fastify.route({
      method: 'GET',
      url: '/readyz',
      handler: async () => 'ok',
    });
    server.route([{ method: 'GET', path: '/health', handler: () => 'ok' }]);
    const routes = [{ path: '/healthz', component: HealthPage }];
    createTerminus(server, {
      healthChecks: {
        '/healthcheck': onHealthCheck,
        verbatim: true,
      },
    });
    server.addService(health.service, new health.Implementation(statusMap));
    """
    result = run(text)
    found = health(result)
    assert set(found) == {"/readyz", "/health", "/healthcheck", "grpc.health.v1.Health"}
    assert lines(found["/readyz"]) == [(3, 3)]
    assert lines(found["/healthcheck"]) == [(10, 10)]
    grpc = found["grpc.health.v1.Health"]
    assert (grpc.check_type, grpc.id) == (
        "grpc",
        "health_check:-:code-endpoint:grpc.health.v1.Health",
    )


@pytest.mark.parametrize(
    ("path", "text", "target"),
    [
        ("pages/api/health.ts", "export default function handler(req, res) {}\n", "/api/health"),
        ("src/pages/api/healthz/index.js", "export default (req, res) => {};\n", "/api/healthz"),
        ("app/api/(ops)/ready/route.ts", "export async function GET() {}\n", "/api/ready"),
    ],
)
def test_next_js_file_routes(path: str, text: str, target: str) -> None:
    found = health(run(text, path))
    assert list(found) == [target]
    assert lines(found[target]) == [(1, 1)]


# --- ports -----------------------------------------------------------------------------


def test_listen_with_a_literal_port() -> None:
    result = run("const app = express();\napp.listen(3000, () => console.log('up'));\n")
    port = ports(result)["3000"]
    assert port.id == "resource_requirement:-:port:3000"
    assert lines(port) == [(2, 2)]


def test_listen_on_a_constant_with_a_literal_fallback() -> None:
    text = """
    const PORT = process.env.PORT || 8080;

    app.listen(PORT, () => {
      console.log(`listening on ${PORT}`);
    });
    """
    port = ports(run(text))["8080"]
    assert lines(port) == [(1, 1), (3, 3)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fastify.listen({ port: 8081, host: '0.0.0.0' });\n", ["8081"]),
        ("server.bindAsync('0.0.0.0:50051', creds, cb);\n", ["50051"]),
        ("const PORT = 7000;\nserver.bindAsync(`[::]:${PORT}`, creds, cb);\n", ["7000"]),
        (
            "app.set('port', process.env.PORT || 4000);\n"
            "http.createServer(app).listen(app.get('port'));\n",
            ["4000"],
        ),
        ("app.listen(port);\n", []),
        ("app.listen(process.env.PORT);\n", []),
        ("app.listen(99999);\n", []),
    ],
)
def test_ports(text: str, expected: list[str]) -> None:
    assert sorted(ports(run(text))) == expected


# --- robustness ------------------------------------------------------------------------


def test_jsx_text_with_an_apostrophe_does_not_swallow_the_file() -> None:
    text = """
    export function App() {
      return (
        <div>
          <p>Don't forget http://example.com</p>
          <span>{process.env.REACT_APP_TITLE || 'Title'}</span>
        </div>
      );
    }
    const after = process.env.AFTER_JSX || 'z';
    """
    result = run(text, "web/App.jsx")
    assert param(result, "REACT_APP_TITLE").default == "Title"
    assert param(result, "AFTER_JSX").default == "z"


def test_division_is_not_a_regex() -> None:
    text = "const a = total / count / 2; const p = process.env.PORT || 1;\n"
    assert param(run(text), "PORT").default == "1"


def test_syntax_error_is_a_warning_with_its_line() -> None:
    # tree-sitter recovers after the error, so reads past it may still be found.
    text = "const a = process.env.A || 'x';\nconst b = `never closed\nprocess.env.B\n"
    result = ANALYZER.analyze(SourceFile("x.js", text))
    assert "config_parameter:-:A" in [f.id for f in result.facts]
    assert [(w.line, w.source) for w in result.warnings] == [(2, "javascript")]
    assert "syntax error" in result.warnings[0].message


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\x00\x01",
        "process.env.",
        "process.env[",
        "process.env['X'",
        "const { A = } = process.env",
        "app.get(",
        "@Controller(",
        "@Get(",
        "listen(",
        "}}}}))))]]]]",
        "`${`${`${",
        "/ / / /",
        "a = /[/",
    ],
)
def test_malformed_input_never_raises(text: str) -> None:
    result = ANALYZER.analyze(SourceFile("x.ts", text))
    assert not [w for w in result.warnings if "could not read" in w.message]


def test_random_garbage_never_raises() -> None:
    rng = random.Random(11)
    pieces = list("ab$_ \n\t(){}[]\"'`/*\\,;:.=|?!+0123") + [
        "process.env.",
        "${",
        "||",
        "??",
        "@Get(",
        "@Controller(",
        "listen(",
        "app.get(",
        "'/health'",
        "const ",
        "{ PORT = ",
        "} = process.env",
    ]
    for _ in range(300):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 300)))
        result = ANALYZER.analyze(SourceFile("x.js", text))
        assert not [w for w in result.warnings if "could not read" in w.message], text


def test_convict_schema_entries() -> None:
    text = """
    const config = convict({
      env: {
        doc: 'The application environment.',
        format: ['production', 'development'],
        default: 'development',
        env: 'NODE_ENV',
      },
      port: { doc: 'Port.', format: 'port', default: 8080, env: 'PORT' },
      password: { doc: 'pw', format: String, default: 'hunter2', env: 'DB_PASSWORD' },
    });
    """
    result = run(text)
    node_env = param(result, "NODE_ENV")
    assert (node_env.value_type, node_env.default) == ("enum", "development")
    assert node_env.allowed_values == ["production", "development"]
    assert lines(node_env) == [(3, 6)]
    port = param(result, "PORT")
    assert (port.value_type, port.default, lines(port)) == ("int", "8080", [(8, 8)])
    password = param(result, "DB_PASSWORD")
    assert password.secret and password.default is None


def test_express_generator_bin_www() -> None:
    text = """
    var app = require('../app');
    var http = require('http');

    var port = normalizePort(process.env.PORT || '3000');
    app.set('port', port);

    var server = http.createServer(app);
    server.listen(port);
    """
    result = run(text, "bin/www.js")
    assert param(result, "PORT").default == "3000"
    assert lines(ports(result)["3000"]) == [(4, 4), (8, 8)]
