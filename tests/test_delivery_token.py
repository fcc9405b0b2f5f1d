"""resolve_token from the environment, SSM Parameter Store and Secrets Manager (moto server)."""

from __future__ import annotations

import json
import logging
import traceback
import uuid
from pathlib import Path

import pytest

from engine.delivery import TokenError, redact, resolve_token
from tests.aws_emulator import boto_client

SECRETS = json.loads((Path(__file__).parent / "data" / "delivery" / "secrets.json").read_text())
TOKEN = SECRETS["token"]


@pytest.fixture
def ssm(aws_endpoint):
    return boto_client("ssm", aws_endpoint)


@pytest.fixture
def secrets(aws_endpoint):
    return boto_client("secretsmanager", aws_endpoint)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_environment_variable_wins():
    environ = {"SLACK_TOKEN": f" {TOKEN}\n", "SLACK_TOKEN_PARAMETER": "/unused"}
    assert resolve_token(environ) == TOKEN


def test_ssm_secure_string_is_decrypted(ssm):
    name = unique("/slack/token")
    ssm.put_parameter(Name=name, Value=TOKEN, Type="SecureString")

    assert resolve_token({"SLACK_TOKEN_PARAMETER": name}, ssm_client=ssm) == TOKEN


def test_empty_environment_variable_falls_through_to_ssm(ssm):
    name = unique("/slack/token")
    ssm.put_parameter(Name=name, Value=TOKEN, Type="SecureString")

    environ = {"SLACK_TOKEN": "", "SLACK_TOKEN_PARAMETER": name}
    assert resolve_token(environ, ssm_client=ssm) == TOKEN


@pytest.mark.parametrize("form", ["plain", "json_token", "json_slack_token"])
def test_secrets_manager_secret_plain_or_json(secrets, form):
    name = unique("slack-token")
    secrets.create_secret(Name=name, SecretString=SECRETS[form])

    assert resolve_token({"SLACK_TOKEN_SECRET": name}, secrets_client=secrets) == TOKEN


def test_no_source_configured():
    with pytest.raises(
        TokenError, match="SLACK_TOKEN, SLACK_TOKEN_PARAMETER or SLACK_TOKEN_SECRET"
    ):
        resolve_token({})


def test_missing_parameter_names_it(ssm):
    with pytest.raises(TokenError, match=r"'/no/such/parameter'.*ParameterNotFound"):
        resolve_token({"SLACK_TOKEN_PARAMETER": "/no/such/parameter"}, ssm_client=ssm)


def test_missing_secret_names_it(secrets):
    with pytest.raises(TokenError, match=r"'no-such-secret'.*ResourceNotFound"):
        resolve_token({"SLACK_TOKEN_SECRET": "no-such-secret"}, secrets_client=secrets)


@pytest.mark.parametrize("form", ["json_without_key", "json_broken"])
def test_unusable_secret_is_refused_without_showing_it(secrets, form, caplog):
    # Our loggers at every level, others at INFO: botocore's DEBUG logs print response bodies,
    # secrets included, so DEBUG must never be switched on for botocore in production.
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="engine")
    name = unique("slack-token")
    secrets.create_secret(Name=name, SecretString=SECRETS[form])

    with pytest.raises(TokenError) as raised:
        resolve_token({"SLACK_TOKEN_SECRET": name}, secrets_client=secrets)
    error = raised.value
    assert name in str(error)
    # Neither the message, nor a chained exception in the traceback, nor a log line shows it.
    assert TOKEN not in "".join(traceback.format_exception(error))
    assert TOKEN not in caplog.text


def test_redact_masks_every_occurrence():
    assert redact(f"a {TOKEN} b {TOKEN}", TOKEN) == "a [redacted token] b [redacted token]"
    assert redact("nothing here", "") == "nothing here"
