"""Backing services a Node service connects to, from its client libraries' connect calls."""

from __future__ import annotations

import re
import textwrap

import pytest

from ddd_llm.evidence.base import AnalyzerResult, SourceFile
from ddd_llm.evidence.code.javascript import JavaScriptAnalyzer
from ddd_llm.models import Dependency

ANALYZER = JavaScriptAnalyzer()


def run(text: str, path: str = "lib/boot.js") -> AnalyzerResult:
    source = SourceFile(path, textwrap.dedent(text).lstrip("\n"))
    assert ANALYZER.accepts(source)
    return ANALYZER.analyze(source)


def deps(text: str, path: str = "lib/boot.js") -> dict[str, Dependency]:
    return {f.target: f for f in run(text, path).facts if isinstance(f, Dependency)}


@pytest.mark.parametrize(
    ("code", "target"),
    [
        ("const mongoose = require('mongoose');\nmongoose.connect(process.env.DB);\n", "mongodb"),
        (
            "import { createClient } from 'redis';\n"
            "const cache = createClient({ url: process.env.CACHE_URL });\n"
            "await cache.connect();\n",
            "redis",
        ),
        ("const { Pool } = require('pg');\nconst pool = new Pool();\n", "postgresql"),
        ("import * as pg from 'pg';\nexport const db = new pg.Client(conf);\n", "postgresql"),
        ("import Redis from 'ioredis';\nconst r = new Redis(6380, 'cache');\n", "redis"),
        ("const amqp = require('amqplib');\nconst conn = await amqp.connect(url);\n", "rabbitmq"),
        ("const { Kafka } = require('kafkajs');\nconst k = new Kafka({ brokers });\n", "kafka"),
        ("const db = require('mysql2/promise').createPool({ host });\n", "mysql"),
        ("const { MongoClient } = require('mongodb');\nMongoClient.connect(uri);\n", "mongodb"),
        ("import mailer from 'nodemailer';\nconst t = mailer.createTransport(opts);\n", "smtp"),
    ],
)
def test_a_client_librarys_connect_call_is_a_runtime_dependency(code: str, target: str) -> None:
    found = deps(code)
    assert list(found) == [target]
    assert found[target].dependency_type == "runtime"
    # The call is cited, not the `require`/`import` that only names the library.
    cited = code.splitlines()[found[target].citations[0].start_line - 1]
    assert not re.match(r"^(import .*|const [\w{}, ]+ = require\('[^']+'\);)$", cited)


def test_mongoose_connection_cites_the_call_that_gates_the_server() -> None:
    code = """
    const db = require('mongoose');
    const api = require('./api');

    db.connect(settings.url).then(() => {
      api.listen(settings.port);
    });
    """
    found = deps(code)["mongodb"]
    assert found.dependency_type == "runtime"
    assert (found.citations[0].start_line, found.citations[0].end_line) == (4, 6)


def test_a_connection_checked_only_for_a_log_line_is_optional() -> None:
    code = """
    const mailer = require('nodemailer');
    const log = require('./log');

    const smtp = mailer.createTransport(settings.mail);
    smtp.verify()
      .then(() => log.info('mail relay reachable'))
      .catch((err) => { log.warn('mail relay down', err); });
    module.exports = smtp;
    """
    found = deps(code)["smtp"]
    assert found.dependency_type == "optional"
    assert [(c.start_line, c.end_line) for c in found.citations] == [(4, 7)]


def test_a_failed_check_that_stops_the_service_keeps_it_a_runtime_dependency() -> None:
    code = """
    import { createClient } from 'redis';
    const cache = createClient();
    cache.connect().catch((err) => {
      console.error(err);
      process.exit(1);
    });
    """
    assert deps(code)["redis"].dependency_type == "runtime"
    unhandled = "import { createClient } from 'redis';\ncreateClient().connect().then(() => 1);\n"
    assert deps(unhandled)["redis"].dependency_type == "runtime"


def test_a_require_alone_or_a_lookalike_call_is_no_dependency() -> None:
    assert deps("const nodemailer = require('nodemailer');\nmodule.exports = nodemailer;\n") == {}
    # Functions named like a client's, but not from a client library.
    assert deps("const { connect } = require('./db');\nconnect();\nnew Pool();\n") == {}
    assert deps("function createTransport() {}\ncreateTransport();\n") == {}
    # A library called for something that opens no connection.
    assert deps("const mongoose = require('mongoose');\nmongoose.model('User', s);\n") == {}


def test_connections_in_tests_are_not_the_services_dependencies() -> None:
    code = "const mongoose = require('mongoose');\nbeforeAll(() => mongoose.connect(u));\n"
    assert deps(code, "tests/utils/setupTestDB.js") == {}
    assert "mongodb" in deps(code, "src/db.js")


def test_typescript_sources_are_read_too() -> None:
    code = "import { Pool } from 'pg';\nexport const pool: Pool = new Pool({ max: 5 });\n"
    assert deps(code, "src/db.ts")["postgresql"].dependency_type == "runtime"


@pytest.mark.parametrize(
    ("code", "target"),
    [
        ("const db = require('knex')({ client: 'pg', connection: url });\n", "postgresql"),
        ("import knex from 'knex';\nexport const db = knex({ client: 'mysql2' });\n", "mysql"),
        (
            "const { Sequelize } = require('sequelize');\n"
            "const orm = new Sequelize(name, user, pw, { dialect: 'mariadb' });\n",
            "mariadb",
        ),
        (
            "import { Sequelize } from 'sequelize';\nnew Sequelize('postgres://db/app');\n",
            "postgresql",
        ),
        ("import { DataSource } from 'typeorm';\nnew DataSource({ type: 'mssql' });\n", "mssql"),
        ("const Queue = require('bull');\nconst jobs = new Queue('thumbs');\n", "redis"),
    ],
)
def test_a_library_for_several_databases_is_named_by_its_option(code: str, target: str) -> None:
    assert list(deps(code)) == [target]


def test_a_file_database_or_an_unnamed_one_is_no_server_dependency() -> None:
    assert deps("const db = require('knex')({ client: 'sqlite3' });\n") == {}
    assert deps("const { Sequelize } = require('sequelize');\nnew Sequelize(url);\n") == {}


def test_a_callback_check_that_only_logs_is_optional_and_one_that_exits_is_not() -> None:
    logs = """
    const nodemailer = require('nodemailer');
    const relay = nodemailer.createTransport({ host: process.env.RELAY_HOST });
    relay.verify(function (error) {
      if (error) {
        console.warn('relay unreachable', error);
      } else {
        console.info('relay ready');
      }
    });
    """
    assert deps(logs)["smtp"].dependency_type == "optional"
    exits = logs.replace("console.warn('relay unreachable', error);", "process.exit(2);")
    assert deps(exits)["smtp"].dependency_type == "runtime"
