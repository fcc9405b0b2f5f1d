"""`dry-run` over every input shape, with bad input inside good input; nothing is sent."""

from __future__ import annotations

import base64
import gzip
import io
import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from engine.cli import main
from engine.cli.dry_run import HOW_TO_ROUTE

DATA = Path(__file__).parent / "data" / "messages"
RULES = str(DATA / "rules.yaml")
SAMPLES = Path(__file__).parent.parent / "samples"
DELETE_USER = json.loads((DATA / "delete_user.json").read_text())
LOGIN_FAILED = json.loads((DATA / "console_login_failed.json").read_text())
READ_ONLY = DELETE_USER | {"eventName": "GetUser", "readOnly": True, "eventID": "e-read-only"}


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLACK_CHANNEL", raising=False)
    monkeypatch.delenv("RULES_FILE", raising=False)


def dry_run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["dry-run", "--rules", RULES, *args])
    out, err = capsys.readouterr()
    return code, out, err


def json_lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


def summary(lines: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(line["event_name"], tuple(line["rules"]), line["channel"]) for line in lines]


def cloudwatch_payload(*records: dict[str, Any], bad: str | None = None) -> bytes:
    events = [
        {"id": f"3{i:055d}", "timestamp": 1, "message": json.dumps(r)}
        for i, r in enumerate(records)
    ]
    if bad is not None:
        events.insert(1, {"id": "3" + "9" * 55, "timestamp": 1, "message": bad})
    payload = {
        "messageType": "DATA_MESSAGE",
        "logGroup": "trail-group",
        "logStream": "s",
        "logEvents": events,
    }
    return gzip.compress(json.dumps(payload).encode())


EXPECTED = [
    ("DeleteUser", ("iam-user-deleted",), "#prod-alerts"),
    ("DeleteUser", ("iam-change",), "#iam"),
    ("ConsoleLogin", ("console-login-failed",), "#prod-alerts"),
]


def write_shape(tmp_path: Path, shape: str) -> Path:
    records = [DELETE_USER, READ_ONLY, LOGIN_FAILED]
    path = tmp_path / f"input-{shape}.json"
    if shape == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in records))
    elif shape == "records":
        path.write_text(json.dumps({"Records": records}))
    elif shape == "gzip-log-file":
        path = tmp_path / "111122223333_CloudTrail_us-east-1_20240514T0320Z_abc.json.gz"
        path.write_bytes(gzip.compress(json.dumps({"Records": records}).encode()))
    elif shape == "cloudwatch":
        data = base64.b64encode(cloudwatch_payload(*records)).decode()
        path.write_text(json.dumps({"awslogs": {"data": data}}))
    elif shape == "eventbridge":
        events = [
            {
                "version": "0",
                "id": f"eb-{i}",
                "detail-type": "AWS API Call via CloudTrail",
                "source": "aws.iam",
                "account": "111122223333",
                "time": "2024-05-14T03:21:09Z",
                "region": "us-east-1",
                "resources": [],
                "detail": record,
            }
            for i, record in enumerate(records)
        ]
        path.write_text("".join(json.dumps(e) + "\n" for e in events))
    elif shape == "kinesis":
        items = [
            {
                "eventSource": "aws:kinesis",
                "eventID": "shardId-000000000000:1",
                "kinesis": {
                    "sequenceNumber": "4959",
                    "partitionKey": "k",
                    "data": base64.b64encode(cloudwatch_payload(*records)).decode(),
                },
            }
        ]
        path.write_text(json.dumps({"Records": items}))
    else:
        raise AssertionError(shape)
    return path


def test_one_record(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text(json.dumps(DELETE_USER, indent=2))
    code, out, err = dry_run(capsys, "--json", str(path))
    assert (code, err) == (0, "")
    lines = json_lines(out)
    assert summary(lines) == EXPECTED[:2]
    first = lines[0]
    assert set(first) >= {"event_id", "event_name", "rules", "channel", "severity", "message"}
    assert first["event_id"] == "3f8b7a52-9d1c-4e2b-8f6a-0c1d2e3f4a5b"
    assert first["severity"] == "high"
    assert first["message"]["text"].startswith("<!here> ")
    assert first["message"]["blocks"][0]["type"] == "header"


@pytest.mark.parametrize(
    "shape", ["jsonl", "records", "gzip-log-file", "cloudwatch", "eventbridge", "kinesis"]
)
def test_every_input_shape(capsys: pytest.CaptureFixture[str], tmp_path: Path, shape: str) -> None:
    code, out, err = dry_run(capsys, "--json", str(write_shape(tmp_path, shape)))
    assert (code, err) == (0, "")
    assert summary(json_lines(out)) == EXPECTED


def test_all_adds_a_line_per_unmatched_record(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = dry_run(capsys, "--json", "--all", str(write_shape(tmp_path, "jsonl")))
    assert code == 0
    lines = json_lines(out)
    assert summary(lines) == [*EXPECTED[:2], ("GetUser", (), None), EXPECTED[2]]
    assert lines[2]["event_id"] == "e-read-only"


def test_directory(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    write_shape(tmp_path, "jsonl")
    write_shape(tmp_path, "cloudwatch")
    code, out, err = dry_run(capsys, "--json", str(tmp_path))
    assert (code, err) == (0, "")
    assert summary(json_lines(out)) == EXPECTED * 2


def test_stdin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    data = json.dumps({"Records": [DELETE_USER, LOGIN_FAILED]}).encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, out, err = dry_run(capsys, "--json", "-")
    assert (code, err) == (0, "")
    assert summary(json_lines(out)) == EXPECTED


def test_bad_line_inside_good_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text(json.dumps(DELETE_USER) + "\n{not json\n" + json.dumps(LOGIN_FAILED) + "\n")
    code, out, err = dry_run(capsys, "--json", str(path))
    assert code == 0
    assert summary(json_lines(out)) == EXPECTED
    (problem,) = err.splitlines()
    assert f"{path}:2" in problem and "not JSON" in problem


def test_bad_log_event_inside_a_cloudwatch_event(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = base64.b64encode(cloudwatch_payload(DELETE_USER, LOGIN_FAILED, bad="{oops")).decode()
    path = tmp_path / "cwl.json"
    path.write_text(json.dumps({"awslogs": {"data": data}}))
    code, out, err = dry_run(capsys, "--json", str(path))
    assert code == 0
    assert summary(json_lines(out)) == EXPECTED
    assert "3" + "9" * 55 in err  # the log event id names the place


def test_exit_2_only_when_nothing_could_be_read(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = str(tmp_path / "missing.json")
    code, out, err = dry_run(capsys, missing)
    assert code == 2
    assert missing in err and out == ""
    good = tmp_path / "one.json"
    good.write_text(json.dumps(DELETE_USER))
    code, _, err = dry_run(capsys, "--json", missing, str(good))
    assert code == 0
    assert missing in err


def test_invalid_rules_exit_2_with_the_problems(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("version: 1\nrules:\n  - id: x\n    title: X\n    when: 'foo[['\n")
    code = main(["dry-run", "--rules", str(rules), str(DATA / "delete_user.json")])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert f"{rules}:5:" in err


def test_human_preview_reads_like_the_message(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = dry_run(capsys, str(DATA / "delete_user.json"))
    assert (code, err) == (0, "")
    assert "━━ #prod-alerts · high · iam-user-deleted ·" in out
    assert "IAM user deleted" in out
    assert "@here" in out
    assert "Who: arn:aws:sts::111122223333:assumed-role/Admin/alice@example.com" in out
    assert "Time: 2024-05-14 03:21:09 UTC" in out
    assert "<!date" not in out and "*Who*" not in out
    assert out.rstrip().endswith("1 record, 2 messages would be posted (nothing was sent)")


def test_preview_url_opens_block_kit_builder(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = dry_run(capsys, "--json", "--preview-url", str(DATA / "delete_user.json"))
    assert code == 0
    line = json_lines(out)[0]
    prefix = "https://app.slack.com/block-kit-builder/#"
    assert line["preview_url"].startswith(prefix)
    shown = json.loads(unquote(line["preview_url"].removeprefix(prefix)))
    assert shown == {"blocks": line["message"]["blocks"]}


def test_slack_channel_env_is_the_last_fallback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("version: 1\nrules:\n  - id: any\n    title: Any\n    when: 'eventName'\n")
    record = str(DATA / "delete_user.json")
    code = main(["dry-run", "--rules", str(rules), "--json", record])
    out, err = capsys.readouterr()
    assert code == 0
    assert json_lines(out)[0]["channel"] is None
    assert json_lines(out)[0]["problem"].startswith("no channel: ")
    assert err == "dry-run: 1 message without a channel would not be posted: " + HOW_TO_ROUTE + "\n"
    monkeypatch.setenv("SLACK_CHANNEL", "#from-env")
    main(["dry-run", "--rules", str(rules), "--json", record])
    assert json_lines(capsys.readouterr().out)[0]["channel"] == "#from-env"


def test_without_input_it_previews_the_bundled_samples(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = dry_run(capsys, "--json", "--all")
    assert (code, err) == (0, "")
    lines = json_lines(out)
    assert len({line["source"].split(" ")[0] for line in lines}) == len(
        list(SAMPLES.glob("*.json"))
    )
    assert ("DeleteUser", ("iam-user-deleted",), "#prod-alerts") in summary(lines)
    assert ("DescribeInstances", (), None) in summary(lines)


def test_a_condition_that_raises_is_reported_and_the_run_goes_on(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "version: 1\ndefaults:\n  channel: '#sec'\nrules:\n"
        "  - id: long-name\n    title: Long name\n"
        "    when: 'length(requestParameters.userName) > `2`'\n"
    )
    path = tmp_path / "two.jsonl"
    odd = DELETE_USER | {"requestParameters": {"userName": 5}, "eventID": "odd"}
    path.write_text(json.dumps(odd) + "\n" + json.dumps(DELETE_USER) + "\n")
    code = main(["dry-run", "--rules", str(rules), "--json", str(path)])
    out, err = capsys.readouterr()
    assert code == 0
    assert [line["event_id"] for line in json_lines(out)] == [DELETE_USER["eventID"]]
    assert f"{path}:1: rule long-name when:" in err


def test_samples_against_the_default_rules(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's first command: every sample alerts except the read-only call."""
    monkeypatch.setenv("SLACK_CHANNEL", "#alerts")
    rules = str(Path(__file__).parent.parent / "rules.yaml")
    code = main(["dry-run", "--rules", rules, "--json", "--all", str(SAMPLES)])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    alerted = {line["event_name"] for line in json_lines(out) if line["rules"]}
    quiet = {line["event_name"] for line in json_lines(out) if not line["rules"]}
    assert alerted == {
        "AttachRolePolicy",
        "ConsoleLogin",
        "DeleteUser",
        "AuthorizeSecurityGroupIngress",
        "StopLogging",
    }
    assert quiet == {"DescribeInstances"}
    assert {line["channel"] for line in json_lines(out) if line["rules"]} == {"#alerts"}
