"""Find the Slack bot token: from the environment, SSM Parameter Store or Secrets Manager.

No message or exception raised here contains the token; errors are chained `from None`
where the underlying exception could carry the secret's text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

_JSON_KEYS = ("token", "SLACK_TOKEN")


class TokenError(Exception):
    """The token could not be found or read (a configuration error)."""


def resolve_token(
    environ: Mapping[str, str], *, ssm_client: Any = None, secrets_client: Any = None
) -> str:
    """SLACK_TOKEN, else the SSM SecureString SLACK_TOKEN_PARAMETER, else the Secrets Manager
    secret SLACK_TOKEN_SECRET (its SecretString, or its "token" / "SLACK_TOKEN" key if JSON)."""
    if token := environ.get("SLACK_TOKEN", "").strip():
        return token
    if name := environ.get("SLACK_TOKEN_PARAMETER", "").strip():
        return _from_ssm(name, ssm_client or _boto3_client("ssm"))
    if secret_id := environ.get("SLACK_TOKEN_SECRET", "").strip():
        return _from_secret(secret_id, secrets_client or _boto3_client("secretsmanager"))
    raise TokenError("no Slack token: set SLACK_TOKEN, SLACK_TOKEN_PARAMETER or SLACK_TOKEN_SECRET")


def redact(text: str, token: str) -> str:
    """`text` with every occurrence of `token` masked (for logs and failure reasons)."""
    return text.replace(token, "[redacted token]") if token else text


def _from_ssm(name: str, ssm: Any) -> str:
    try:
        value = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    except Exception as err:  # botocore's ClientError / BotoCoreError; no secret in them
        raise TokenError(
            f"SSM parameter {name!r} (SLACK_TOKEN_PARAMETER): {_aws_reason(err)}"
        ) from None
    if not (token := str(value).strip()):
        raise TokenError(f"SSM parameter {name!r} (SLACK_TOKEN_PARAMETER) is empty")
    return token


def _from_secret(secret_id: str, secrets: Any) -> str:
    where = f"secret {secret_id!r} (SLACK_TOKEN_SECRET)"
    try:
        value = secrets.get_secret_value(SecretId=secret_id).get("SecretString")
    except Exception as err:
        raise TokenError(f"{where}: {_aws_reason(err)}") from None
    if not isinstance(value, str) or not value.strip():
        raise TokenError(f"{where} has no SecretString")
    value = value.strip()
    if value.startswith("{"):
        try:
            document = json.loads(value)
        except ValueError:
            # The decode error carries the secret's text (`.doc`): do not chain it.
            raise TokenError(f"{where} looks like JSON but does not parse") from None
        found = next((document[k] for k in _JSON_KEYS if isinstance(document.get(k), str)), "")
        if not found.strip():
            raise TokenError(f"{where} is JSON without a non-empty 'token' or 'SLACK_TOKEN' key")
        return found.strip()
    return value


def _aws_reason(err: Exception) -> str:
    # AWS error messages name the resource and the reason, never a parameter's value.
    return f"cannot read it: {type(err).__name__}: {err}"


def _boto3_client(service: str) -> Any:
    import boto3  # lazily: only these configurations pay for it at cold start

    return boto3.client(service)
