"""A setting about a secret (its lifetime, length, count, bounds) is not a secret itself."""

from __future__ import annotations

import textwrap

import pytest

from ddd_llm.evidence import analyze_files
from ddd_llm.evidence.base import SourceFile, looks_secret_name
from ddd_llm.models import ConfigParameter
from ddd_llm.scan.redact import MASK, redact


@pytest.mark.parametrize(
    "name",
    [
        "DB_PASSWORD",
        "SMTP_PASSWORD",
        "JWT_SECRET",
        "API_KEY",
        "REDIS_AUTH_TOKEN",
        "ADMIN_PASSWORD",
        "SESSION_SECRET_KEY",
        "PGPASSWORD",
    ],
)
def test_a_name_holding_a_secret_stays_secret(name: str) -> None:
    assert looks_secret_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "PASSWORD_MIN_LENGTH",
        "TOKEN_TTL_SECONDS",
        "JWT_ACCESS_EXPIRATION_MINUTES",
        "INVITE_TOKEN_EXPIRATION",
        "API_KEY_ROTATION_DAYS",
        "LOGIN_PASSWORD_ATTEMPTS",
        "PASSWORD_RESET_TOKEN_MAX",
        "SECRET_CACHE_SIZE",
        "BCRYPT_PASSWORD_ROUNDS",
        "TOKEN_REFRESH_HOURS",
    ],
)
def test_a_name_about_a_secret_is_not_one(name: str) -> None:
    assert not looks_secret_name(name)


SCHEMA = """
const Joi = require('joi');
const schema = Joi.object().keys({
  SESSION_TOKEN_LIFETIME_MINUTES: Joi.number().default(45),
  SESSION_TOKEN: Joi.string().default('s3cr3t-default-session-token'),
  ADMIN_PASSWORD: Joi.string().required(),
}).unknown();
const { value } = schema.validate(process.env);
"""


def test_the_default_of_a_setting_about_a_secret_is_kept_and_real_secrets_withheld() -> None:
    result = analyze_files([SourceFile("lib/settings.js", textwrap.dedent(SCHEMA).lstrip())])
    params = {f.name: f for f in result.facts if isinstance(f, ConfigParameter)}
    lifetime = params["SESSION_TOKEN_LIFETIME_MINUTES"]
    assert (lifetime.secret, lifetime.default) == (False, "45")
    token = params["SESSION_TOKEN"]
    assert token.secret and token.default is None
    assert params["ADMIN_PASSWORD"].secret


def test_redaction_still_masks_real_secrets_and_shows_settings_about_them() -> None:
    env = (
        "DB_PASSWORD=hunter2hunter2\n"
        "SMTP_PASSWORD=mail-relay-pass-9981\n"
        "JWT_SECRET=thisisareallylongsecret42\n"
        "PASSWORD_MIN_LENGTH=12\n"
        "TOKEN_TTL_SECONDS=3600\n"
    )
    out = redact(env, ".env")
    assert "hunter2hunter2" not in out
    assert "mail-relay-pass-9981" not in out
    assert "thisisareallylongsecret42" not in out
    assert out.count(MASK) == 3
    assert "PASSWORD_MIN_LENGTH=12" in out
    assert "TOKEN_TTL_SECONDS=3600" in out
