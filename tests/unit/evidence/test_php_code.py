"""Unit tests for the PHP analyzer (snippets adapted from Laravel's config/database.php and
bootstrap/app.php, and Slim's skeleton)."""

from __future__ import annotations

import textwrap

from ddd_llm.evidence.base import AnalyzerResult, SourceFile
from ddd_llm.evidence.code.php_code import PhpCodeAnalyzer
from ddd_llm.models import ConfigParameter, HealthCheck

ANALYZER = PhpCodeAnalyzer()


def run(code: str, path: str = "src/index.php") -> AnalyzerResult:
    source = SourceFile(path, textwrap.dedent(code).lstrip("\n"))
    assert ANALYZER.accepts(source)
    result = ANALYZER.analyze(source)
    assert not result.warnings, result.warnings
    return result


def params(result: AnalyzerResult) -> dict[str, ConfigParameter]:
    return {f.name: f for f in result.facts if isinstance(f, ConfigParameter)}


def test_skips_vendor_and_tests() -> None:
    assert not ANALYZER.accepts(SourceFile("vendor/laravel/framework/src/x.php", "<?php"))
    assert not ANALYZER.accepts(SourceFile("tests/Feature/ExampleTest.php", "<?php"))


def test_laravel_config_array_env_calls() -> None:
    found = params(
        run(
            """
            <?php
            return [
                'default' => env('DB_CONNECTION', 'sqlite'),
                'connections' => [
                    'mysql' => [
                        'host' => env('DB_HOST', '127.0.0.1'),
                        'port' => env('DB_PORT', '3306'),
                        'password' => env('DB_PASSWORD', ''),
                        'strict' => env('DB_STRICT', true),
                        'timeout' => (int) env('DB_TIMEOUT', 60),
                    ],
                ],
            ];
            """,
            "config/database.php",
        )
    )
    assert found["DB_CONNECTION"].default == "sqlite"
    assert found["DB_PORT"].default == "3306"
    assert "(config key database.connections.mysql.port)" in found["DB_PORT"].summary
    assert found["DB_PASSWORD"].secret and found["DB_PASSWORD"].default is None
    assert found["DB_STRICT"].value_type == "bool"
    assert found["DB_TIMEOUT"].value_type == "int"


def test_getenv_and_superglobals() -> None:
    found = params(
        run(
            """
            <?php
            $port = getenv('APP_PORT') ?: 8080;
            $host = $_ENV["DB_HOST"] ?? 'localhost';
            $region = $_SERVER['AWS_REGION'];
            $uri = $_SERVER['REQUEST_URI'];
            $dyn = getenv($name);
            """
        )
    )
    assert found["APP_PORT"].default == "8080" and found["APP_PORT"].value_type == "int"
    assert found["DB_HOST"].default == "localhost"
    assert "AWS_REGION" in found
    assert "REQUEST_URI" not in found  # the request, not a setting


def test_health_routes() -> None:
    result = run(
        """
        <?php
        Route::get('/health', fn () => response()->json(['ok' => true]));
        Route::get('/users', [UserController::class, 'index']);
        $app->get('/readyz', function ($request, $response) { return $response; });
        return Application::configure(basePath: dirname(__DIR__))
            ->withRouting(web: __DIR__.'/../routes/web.php', health: '/up')
            ->create();
        """
    )
    assert sorted(f.target for f in result.facts if isinstance(f, HealthCheck)) == [
        "/health",
        "/readyz",
        "/up",
    ]
