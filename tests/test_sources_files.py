"""engine.sources.read_inputs: the CLI's files, directories and stdin, in any supported shape."""

from __future__ import annotations

import gzip
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from engine.model import SourceProblem, SourceRecord
from engine.sources import read_inputs

DATA = Path(__file__).parent / "data" / "sources"
LOG_NAME = "123456789012_CloudTrail_us-east-1_20240115T1205Z_Ab12Cd34Ef56Gh78.json.gz"
RECORDS = json.loads((DATA / "records.json").read_text(encoding="utf-8"))


def read(*paths: Any, stdin: bytes | None = None) -> list[SourceRecord | SourceProblem]:
    stream = io.BytesIO(stdin) if stdin is not None else None
    return list(read_inputs([str(path) for path in paths], stdin=stream))


def summary(items: list[SourceRecord | SourceProblem]) -> list[str]:
    """One line per item: a record's eventID (or eventName) and place, or a problem as printed."""
    lines = []
    for item in items:
        if isinstance(item, SourceRecord):
            name = item.record.get("eventID", item.record.get("eventName"))
            lines.append(f"record {name} @ {item.origin.where()}")
        else:
            lines.append(f"problem {item}")
    return lines


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def test_cloudtrail_log_file_gz_yields_its_records_with_index():
    items = read(DATA / LOG_NAME)

    assert [item.record for item in items] == RECORDS
    assert {item.origin.kind for item in items} == {"file"}
    assert [item.origin.index for item in items] == [0, 1, 2]
    assert items[2].origin.where() == f"{DATA / LOG_NAME}#2"


def test_gzip_is_recognised_by_content_not_name(tmp_path):
    renamed = shutil.copy(DATA / LOG_NAME, tmp_path / "trail.bin")
    jsonl = write(
        tmp_path / "lines.json", gzip.compress(b'{"eventName": "A"}\n{"eventName": "B"}\n')
    )

    assert [item.record for item in read(renamed)] == RECORDS
    assert [item.record["eventName"] for item in read(jsonl)] == ["A", "B"]


def test_json_lines_with_bad_lines_report_them_and_keep_the_good_ones():
    path = DATA / "records-with-bad-line.jsonl"

    assert summary(read(path)) == [
        f"record {RECORDS[0]['eventID']} @ {path}:1",
        f"record {RECORDS[1]['eventID']} @ {path}:2",
        f"problem {path}:3: not JSON: Expecting property name enclosed in double quotes"
        " (column 57)",
        f"problem {path}:5: a JSON array, not an object",
        f"record {RECORDS[2]['eventID']} @ {path}:6",
    ]


def test_first_line_bad_is_still_json_lines(tmp_path):
    path = write(tmp_path / "x.jsonl", 'oops\n{"eventName": "A"}\n{"eventName": "B"}\n')

    assert summary(read(path)) == [
        f"problem {path}:1: not JSON: Expecting value (column 1)",
        f"record A @ {path}:2",
        f"record B @ {path}:3",
    ]


def test_broken_pretty_printed_document_is_one_problem_at_its_line(tmp_path):
    text = json.dumps(RECORDS[1], indent=2).replace('"eventName": "CreateUser",', '"eventName": ,')
    path = write(tmp_path / "broken.json", text)
    [problem] = read(path)

    line = text[: text.index('"eventName": ,')].count("\n") + 1
    assert str(problem) == f"{path}:{line}: not JSON: Expecting value (line {line}, column 16)"
    assert problem.extra["unreadable"] is True


def test_blank_lines_of_any_whitespace_are_skipped(tmp_path):
    path = write(
        tmp_path / "x.jsonl", '\n{"eventName": "A"}\n\u3000\n \t\r\n{"eventName": "B"}\r\n'
    )

    assert summary(read(path)) == [f"record A @ {path}:2", f"record B @ {path}:5"]


def test_non_utf8_line_loses_only_that_line(tmp_path):
    content = b'{"eventName": "A"}\n{"eventName": "\xff"}\n{"userName": "j\xc3\xb6rg"}\n'
    path = write(tmp_path / "mixed.jsonl", content)
    items = read(path)

    assert summary(items)[:2] == [
        f"record A @ {path}:1",
        f"problem {path}:2: not UTF-8 text (byte 15 of the line)",
    ]
    assert items[2].record == {"userName": "jörg"}


def test_single_record_array_and_byte_order_mark(tmp_path):
    single = write(
        tmp_path / "one.json", "\ufeff" + json.dumps(RECORDS[0], ensure_ascii=False, indent=2)
    )
    array = write(tmp_path / "many.json", json.dumps([RECORDS[1], 7, RECORDS[2]]))

    assert [item.record for item in read(single)] == [RECORDS[0]]
    assert summary(read(array)) == [
        f"record {RECORDS[1]['eventID']} @ {array}#0",
        f"problem {array}#1: a JSON number, not an object",
        f"record {RECORDS[2]['eventID']} @ {array}#2",
    ]


def test_any_other_json_object_is_a_record(tmp_path):
    path = write(tmp_path / "odd.json", '{"foo": 1}')

    assert [item.record for item in read(path)] == [{"foo": 1}]


def test_records_document_and_eventbridge_event():
    records = [item.record for item in read(DATA / "records.json")]
    [event] = read(DATA / "eventbridge-event.json")

    assert records == RECORDS
    assert event.record == RECORDS[1]
    assert event.origin.kind == "file"


def test_cloudwatch_logs_event_in_a_file_names_log_group_and_event():
    items = read(DATA / "cloudwatch-logs-event.json")

    assert [item.record for item in items] == RECORDS
    origin = items[0].origin
    assert (origin.kind, origin.path) == ("file", str(DATA / "cloudwatch-logs-event.json"))
    assert origin.log_group == "aws-cloudtrail-logs-123456789012"
    assert origin.log_event_id == "376501989338157785928479871614829365720804004928"
    assert origin.where().endswith(f"cloudwatch-logs-event.json (log event {origin.log_event_id})")


def test_kinesis_event_in_a_file():
    items = read(DATA / "kinesis-event.json")

    assert [item.record for item in items] == RECORDS
    assert items[0].origin.kinesis_sequence is not None


def test_decoded_cloudwatch_payload_and_lines_of_events(tmp_path):
    payload = {
        "messageType": "DATA_MESSAGE",
        "logGroup": "g",
        "logEvents": [{"id": "e1", "message": json.dumps(RECORDS[0])}],
    }
    event_line = (DATA / "eventbridge-event.json").read_text(encoding="utf-8").replace("\n", "")
    path = write(tmp_path / "events.jsonl", json.dumps(payload) + "\n" + event_line + "\n")

    assert summary(read(path)) == [
        f"record {RECORDS[0]['eventID']} @ {path}:1 (log event e1)",
        f"record {RECORDS[1]['eventID']} @ {path}:2",
    ]


@pytest.mark.parametrize(
    "name",
    [
        "s3-notification.json",
        "s3-via-sns-via-sqs-event.json",
        "cloudtrail-sns-notification-event.json",
    ],
)
def test_s3_notifications_in_files_ask_to_fetch_the_objects(name):
    [problem] = read(DATA / name)

    assert isinstance(problem, SourceProblem)
    assert problem.message.startswith(
        "S3 notification: fetch the objects first (s3://org-trail-logs-"
    )
    assert problem.origin.path == str(DATA / name)


def test_cloudwatch_export_lines_with_a_timestamp_prefix(tmp_path):
    line = "2024-01-15T12:01:07.000Z " + json.dumps(RECORDS[0], ensure_ascii=False)
    path = write(tmp_path / "export.log", line + "\n")

    assert [item.record for item in read(path)] == [RECORDS[0]]


def test_directory_is_walked_sorted_and_filtered(tmp_path):
    write(tmp_path / "b.jsonl", '{"eventName": "B"}\n')
    write(tmp_path / "a" / "z.json", '{"eventName": "AZ"}')
    write(tmp_path / "c.ndjson", '{"eventName": "C"}\n')
    write(tmp_path / "d.log", '{"eventName": "D"}\n')
    write(tmp_path / "e.txt", '{"eventName": "E"}\n')
    write(tmp_path / "f.gz", gzip.compress(b'{"eventName": "F"}'))
    write(tmp_path / "g.json.gz", gzip.compress(b'{"eventName": "G"}'))
    write(tmp_path / "notes.md", "# not input")
    write(tmp_path / ".hidden" / "h.json", '{"eventName": "H"}')
    write(tmp_path / ".i.json", '{"eventName": "I"}')

    names = [item.record["eventName"] for item in read(tmp_path)]

    assert names == ["AZ", "B", "C", "D", "E", "F", "G"]


def test_stdin_and_files_in_order(tmp_path):
    path = write(tmp_path / "x.json", '{"eventName": "file"}')
    items = read("-", path, stdin=b'{"eventName": "stdin"}\n{"eventName": "stdin2"}\n')

    assert summary(items) == [
        "record stdin @ <stdin>:1",
        "record stdin2 @ <stdin>:2",
        f"record file @ {path}",
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty input"),
        (b"  \n\n", "empty input"),
        (b"\x1f\x8b\x08\x00garbage", "corrupt or truncated gzip data"),
        (gzip.compress(b'{"eventName": "A"}')[:-6], "corrupt or truncated gzip data"),
        (b"42", "a JSON number, not an object or an array"),
    ],
)
def test_input_that_yields_nothing_is_one_unreadable_problem(tmp_path, content, expected):
    path = write(tmp_path / "in.json", content)
    [problem] = read(path)

    assert isinstance(problem, SourceProblem)
    assert problem.message.startswith(expected), problem.message
    assert problem.extra == {"unreadable": True}


def test_missing_path_and_empty_directory_are_unreadable_problems(tmp_path):
    (tmp_path / "empty").mkdir()
    missing, empty = read(tmp_path / "nope.json", tmp_path / "empty")

    assert str(missing) == f"{tmp_path / 'nope.json'}: cannot read: No such file or directory"
    assert str(empty).startswith(f"{tmp_path / 'empty'}: no input files (.json, .jsonl")
    assert missing.extra["unreadable"] and empty.extra["unreadable"]


def test_a_bad_path_does_not_stop_the_others(tmp_path):
    good = write(tmp_path / "good.json", '{"eventName": "A"}')
    items = read(tmp_path / "missing.json", good)

    assert isinstance(items[0], SourceProblem)
    assert items[1].record == {"eventName": "A"}
