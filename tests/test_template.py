"""template.yaml: lint-clean, wired as designed, secrets by reference, filter = rules."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.scripts import load_script

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
SYNC_SCRIPT = ROOT / "scripts" / "sync_template.py"
FUNCTIONS = ("AlertFunction", "RedriveFunction")
FOURTEEN_DAYS = 14 * 24 * 3600


class CfnLoader(yaml.SafeLoader):
    """SafeLoader that reads CloudFormation's short tags as their long JSON forms."""


def _construct_intrinsic(loader: CfnLoader, tag_suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if tag_suffix in ("Ref", "Condition"):
        return {tag_suffix: value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


CfnLoader.add_multi_constructor("!", _construct_intrinsic)


def load_template(text: str) -> dict[str, Any]:
    return yaml.load(text, Loader=CfnLoader)  # CfnLoader is a SafeLoader


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(TEMPLATE.read_text(encoding="utf-8"))


def _resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def _function(template: dict[str, Any], name: str) -> dict[str, Any]:
    """A function's properties with the template's Globals merged in, as SAM does."""
    merged = dict(template["Globals"]["Function"])
    merged.update(template["Resources"][name]["Properties"])
    return merged


def _branches(value: Any) -> Iterator[Any]:
    """Every value an `Fn::If` may take (both branches), without `AWS::NoValue`."""
    if isinstance(value, dict) and "Fn::If" in value:
        _, when_true, when_false = value["Fn::If"]
        yield from _branches(when_true)
        yield from _branches(when_false)
    elif value != {"Ref": "AWS::NoValue"}:
        yield value


def _statements(template: dict[str, Any], function: str) -> list[dict[str, Any]]:
    policies = template["Resources"][function]["Properties"]["Policies"]
    assert all(isinstance(p, dict) and set(p) == {"Statement"} for p in policies), (
        "only inline statements: no managed or SAM policy templates with broader rights"
    )
    return [s for p in policies for item in p["Statement"] for s in _branches(item)]


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else action


def _sub_text(value: Any) -> str:
    assert isinstance(value, dict) and set(value) == {"Fn::Sub"}, value
    return value["Fn::Sub"]


# ---------------------------------------------------------------- lint


def test_cfn_lint_is_clean() -> None:
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    command = [str(cfn_lint)] if cfn_lint.exists() else [shutil.which("cfn-lint") or "cfn-lint"]
    result = subprocess.run(
        [*command, str(TEMPLATE)], capture_output=True, text=True, check=False, timeout=300
    )
    assert (result.returncode, result.stdout) == (0, ""), result.stdout + result.stderr


# ---------------------------------------------------------------- the functions


def test_functions_run_python_312_or_newer_on_arm64_with_json_logs(
    template: dict[str, Any],
) -> None:
    assert template["Transform"] == "AWS::Serverless-2016-10-31"
    handlers = {}
    for name in FUNCTIONS:
        function = _function(template, name)
        runtime = re.fullmatch(r"python3\.(\d+)", function["Runtime"])
        assert runtime and int(runtime.group(1)) >= 12, function["Runtime"]
        assert function["Architectures"] == ["arm64"]
        assert 128 <= function["MemorySize"] <= 1024
        assert 10 <= function["Timeout"] <= 900
        assert function["LoggingConfig"]["LogFormat"] == "JSON"
        assert function["CodeUri"] == "dist/cloudtrail-to-slack.zip"  # build_package's default
        handlers[name] = function["Handler"]
    assert handlers == {
        "AlertFunction": "handler.lambda_handler",
        "RedriveFunction": "handler.redrive_handler",
    }


def test_environment_names_the_token_never_holds_it(template: dict[str, Any]) -> None:
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert set(variables) == {
        "SLACK_TOKEN_PARAMETER",
        "SLACK_TOKEN_SECRET",
        "SLACK_CHANNEL",
        "FAILED_ALERTS_QUEUE_URL",
    }
    assert variables["SLACK_TOKEN_PARAMETER"] == {
        "Fn::If": ["UseSsm", {"Ref": "SlackTokenParameterName"}, {"Ref": "AWS::NoValue"}]
    }
    assert variables["SLACK_TOKEN_SECRET"] == {
        "Fn::If": ["UseSecretsManager", {"Ref": "SlackTokenSecretArn"}, {"Ref": "AWS::NoValue"}]
    }
    assert variables["FAILED_ALERTS_QUEUE_URL"] == {"Ref": "FailedAlertsQueue"}
    for name in FUNCTIONS:  # no function overrides the shared environment
        assert "Environment" not in template["Resources"][name]["Properties"]
    token_parameters = {p for p in template["Parameters"] if "token" in p.lower()}
    assert token_parameters == {"SlackTokenParameterName", "SlackTokenSecretArn"}
    assert "xox" not in TEMPLATE.read_text(encoding="utf-8")


# ---------------------------------------------------------------- subscription


def test_log_group_subscription_invokes_the_function_with_permission(
    template: dict[str, Any],
) -> None:
    subscription = template["Resources"]["LogSubscription"]
    assert subscription["Type"] == "AWS::Logs::SubscriptionFilter"
    assert subscription["Condition"] == "SubscribeFunction"
    assert subscription["DependsOn"] == "LogsInvokePermission"
    properties = subscription["Properties"]
    assert properties["LogGroupName"] == {"Ref": "CloudTrailLogGroupName"}
    assert properties["DestinationArn"] == {"Fn::GetAtt": ["AlertFunction", "Arn"]}

    permission = template["Resources"]["LogsInvokePermission"]
    assert permission["Type"] == "AWS::Lambda::Permission"
    assert permission["Condition"] == "SubscribeFunction"
    properties = permission["Properties"]
    assert properties["Action"] == "lambda:InvokeFunction"
    assert properties["Principal"] == "logs.amazonaws.com"
    assert properties["FunctionName"] == {"Fn::GetAtt": ["AlertFunction", "Arn"]}
    assert properties["SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert _sub_text(properties["SourceArn"]).endswith(":log-group:${CloudTrailLogGroupName}:*")


def test_kinesis_subscription_feeds_the_function_in_batches(template: dict[str, Any]) -> None:
    subscription = template["Resources"]["KinesisLogSubscription"]
    assert subscription["Condition"] == "SubscribeKinesis"
    properties = subscription["Properties"]
    assert properties["LogGroupName"] == {"Ref": "CloudTrailLogGroupName"}
    assert properties["DestinationArn"] == {"Fn::GetAtt": ["SubscriptionStream", "Arn"]}
    assert properties["RoleArn"] == {"Fn::GetAtt": ["LogsToKinesisRole", "Arn"]}
    role = template["Resources"]["LogsToKinesisRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "logs.amazonaws.com"}
    (put,) = role["Policies"][0]["PolicyDocument"]["Statement"]
    assert put["Action"] == "kinesis:PutRecord"
    assert put["Resource"] == {"Fn::GetAtt": ["SubscriptionStream", "Arn"]}

    mapping = template["Resources"]["KinesisEventSource"]
    assert mapping["Condition"] == "UseKinesis"
    assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["Properties"]["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["DeadLetterQueue", "Arn"]
    }
    assert {"SubscribeFunction", "SubscribeKinesis"} <= set(template["Conditions"])
    # The two subscriptions exclude each other: AWS allows only two per log group.
    assert template["Conditions"]["SubscribeFunction"] == {
        "Fn::And": [{"Condition": "HasLogGroup"}, {"Fn::Not": [{"Condition": "UseKinesis"}]}]
    }
    assert template["Conditions"]["SubscribeKinesis"] == {
        "Fn::And": [{"Condition": "HasLogGroup"}, {"Condition": "UseKinesis"}]
    }


def test_optional_inputs_exist_only_under_their_conditions(template: dict[str, Any]) -> None:
    conditions = {
        "S3NotificationQueue": "UseS3",
        "S3NotificationQueuePolicy": "UseS3",
        "S3EventSource": "UseS3",
        "CloudTrailEventRule": "UseEventBridge",
        "EventBridgeInvokePermission": "UseEventBridge",
        "SubscriptionStream": "UseKinesis",
    }
    for name, condition in conditions.items():
        assert template["Resources"][name]["Condition"] == condition, name
    # Partial batch failures name the SQS messages to retry; without this Lambda deletes them.
    s3_mapping = template["Resources"]["S3EventSource"]["Properties"]
    assert s3_mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    rule = template["Resources"]["CloudTrailEventRule"]["Properties"]
    assert "AWS API Call via CloudTrail" in rule["EventPattern"]["detail-type"]
    assert rule["Targets"][0]["Arn"] == {"Fn::GetAtt": ["AlertFunction", "Arn"]}


# ---------------------------------------------------------------- least privilege


def test_policies_grant_only_the_token_and_the_queues(template: dict[str, Any]) -> None:
    parameter_arn = (
        "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter"
        "${SlackTokenParameterName}"
    )
    for name in FUNCTIONS:
        statements = _statements(template, name)
        granted: dict[str, list[Any]] = {}
        for statement in statements:
            assert statement["Effect"] == "Allow"
            for action in _actions(statement):
                assert "*" not in action, action
                granted.setdefault(action, []).append(statement)
            if statement["Resource"] == "*":
                # Only decryption, only through the service, only for the token's own ARN.
                assert _actions(statement) == ["kms:Decrypt"]
                condition = statement["Condition"]["StringEquals"]
                assert "kms:ViaService" in condition
                assert {
                    "kms:EncryptionContext:PARAMETER_ARN",
                    "kms:EncryptionContext:SecretARN",
                } & (set(condition))
        (ssm,) = granted["ssm:GetParameter"]
        assert _sub_text(ssm["Resource"]) == parameter_arn
        (secret,) = granted["secretsmanager:GetSecretValue"]
        assert secret["Resource"] == {"Ref": "SlackTokenSecretArn"}
        assert not {a for a in granted if a.startswith(("iam:", "lambda:", "logs:", "s3:Put"))}

    alert = _statements(template, "AlertFunction")
    queues = [s["Resource"] for s in alert if "sqs:SendMessage" in _actions(s)]
    assert {"Fn::GetAtt": ["FailedAlertsQueue", "Arn"]} in queues
    (get_object,) = [s for s in alert if "s3:GetObject" in _actions(s)]
    assert _sub_text(get_object["Resource"]).endswith("${CloudTrailBucketName}/*AWSLogs/*")
    raw = template["Resources"]["AlertFunction"]["Properties"]["Policies"][0]["Statement"]
    s3_items = [item for item in raw if "s3:GetObject" in str(item)]
    assert [item["Fn::If"][0] for item in s3_items] == ["UseS3"], "S3 access only with S3 input"

    redrive = _statements(template, "RedriveFunction")
    assert not [s for s in redrive if "s3:GetObject" in _actions(s)]
    (drain,) = [s for s in redrive if any(a.startswith("sqs:") for a in _actions(s))]
    assert drain["Resource"] == {"Fn::GetAtt": ["FailedAlertsQueue", "Arn"]}
    assert sorted(_actions(drain)) == [
        "sqs:ChangeMessageVisibility",
        "sqs:DeleteMessage",
        "sqs:ReceiveMessage",
    ]


# ---------------------------------------------------------------- keeping what was not delivered


def test_failure_queue_redrive_and_async_config(template: dict[str, Any]) -> None:
    for name in ("FailedAlertsQueue", "FailedAlertsDeadLetterQueue", "DeadLetterQueue"):
        queue = template["Resources"][name]
        assert queue["Type"] == "AWS::SQS::Queue"
        assert queue["Properties"]["SqsManagedSseEnabled"] is True
        assert queue["Properties"]["MessageRetentionPeriod"] == FOURTEEN_DAYS
    failed = template["Resources"]["FailedAlertsQueue"]["Properties"]
    assert failed["VisibilityTimeout"] > _function(template, "RedriveFunction")["Timeout"]
    # An alert that never goes through ends up kept, not cycling until retention drops it.
    assert failed["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["FailedAlertsDeadLetterQueue", "Arn"]
    }

    config = _function(template, "AlertFunction")["EventInvokeConfig"]
    assert 0 <= config["MaximumRetryAttempts"] <= 2
    assert config["DestinationConfig"]["OnFailure"] == {
        "Type": "SQS",
        "Destination": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]},
    }
    events = _function(template, "RedriveFunction")["Events"]
    (schedule,) = events.values()
    assert schedule["Type"] == "Schedule"
    assert schedule["Properties"]["Schedule"] == {"Ref": "RedriveSchedule"}
    assert template["Outputs"]["RedriveFunctionName"]["Value"] == {"Ref": "RedriveFunction"}


def test_alarms_on_function_errors_and_a_non_empty_failure_queue(
    template: dict[str, Any],
) -> None:
    alarms = _resources(template, "AWS::CloudWatch::Alarm").values()
    watched = {
        (a["Properties"]["MetricName"], str(a["Properties"]["Dimensions"][0]["Value"]))
        for a in alarms
        if a["Properties"]["Threshold"] == 0
        and a["Properties"]["ComparisonOperator"] == "GreaterThanThreshold"
    }
    assert ("Errors", str({"Ref": "AlertFunction"})) in watched
    assert ("Errors", str({"Ref": "RedriveFunction"})) in watched
    queue_name = str({"Fn::GetAtt": ["FailedAlertsQueue", "QueueName"]})
    assert ("ApproximateNumberOfMessagesVisible", queue_name) in watched
    for queue in ("FailedAlertsDeadLetterQueue", "DeadLetterQueue"):
        queue_name = str({"Fn::GetAtt": [queue, "QueueName"]})
        assert ("ApproximateNumberOfMessagesVisible", queue_name) in watched


def test_outputs_name_the_function_queue_and_subscription(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    assert outputs["AlertFunctionName"]["Value"] == {"Ref": "AlertFunction"}
    assert outputs["FailedAlertsQueueUrl"]["Value"] == {"Ref": "FailedAlertsQueue"}
    assert outputs["SubscriptionFilterName"]["Value"] == {
        "Fn::If": [
            "SubscribeKinesis",
            {"Ref": "KinesisLogSubscription"},
            {"Ref": "LogSubscription"},
        ]
    }


def test_samconfig_sets_only_template_parameters(template: dict[str, Any]) -> None:
    with (ROOT / "samconfig.toml").open("rb") as f:
        config = tomllib.load(f)
    deploy = config["default"]["deploy"]["parameters"]
    overrides = dict(re.findall(r'(\w+)="([^"]*)"', deploy["parameter_overrides"]))
    assert overrides, deploy["parameter_overrides"]
    assert set(overrides) <= set(template["Parameters"])
    assert deploy["capabilities"] == "CAPABILITY_IAM"
    for name, value in overrides.items():
        allowed = template["Parameters"][name].get("AllowedValues")
        if allowed:
            assert value in [str(v) for v in allowed], name
        pattern = template["Parameters"][name].get("AllowedPattern")
        if pattern:
            assert re.fullmatch(pattern, value), name


# ---------------------------------------------------------------- the filter and the rules


def _compiled_filter() -> str:
    result = subprocess.run(
        [sys.executable, "-m", "engine", "filter-pattern", "--rules", str(ROOT / "rules.yaml")],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.removesuffix("\n")


def test_filter_pattern_is_the_one_compiled_from_the_rules(template: dict[str, Any]) -> None:
    compiled = _compiled_filter()
    subscriptions = _resources(template, "AWS::Logs::SubscriptionFilter")
    assert set(subscriptions) == {"LogSubscription", "KinesisLogSubscription"}
    for name, subscription in subscriptions.items():
        assert subscription["Properties"]["FilterPattern"] == compiled, name
    assert len(compiled) <= 1024


def test_sync_check_passes_on_the_committed_template() -> None:
    result = subprocess.run(
        [sys.executable, str(SYNC_SCRIPT), "--check"], capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stderr) == (0, "")


def test_sync_rewrites_a_stale_template_and_check_notices(tmp_path: Path) -> None:
    original = TEMPLATE.read_text(encoding="utf-8")
    stale = re.sub(r"(?m)^(\s*FilterPattern: ).*$", r"\1'{ ($.eventName = \"Old\") }'", original)
    copy = tmp_path / "template.yaml"
    copy.write_text(stale, encoding="utf-8")
    command = [sys.executable, str(SYNC_SCRIPT), "--template", str(copy)]

    check = subprocess.run([*command, "--check"], capture_output=True, text=True, check=False)
    assert check.returncode == 1
    assert check.stderr.count("FilterPattern differs") == 2
    assert copy.read_text(encoding="utf-8") == stale, "--check changes nothing"

    sync = subprocess.run(command, capture_output=True, text=True, check=False)
    assert sync.returncode == 0, sync.stderr
    synced = copy.read_text(encoding="utf-8")
    assert [v["Properties"]["FilterPattern"] for v in _subscriptions(synced)] == [
        _compiled_filter()
    ] * 2
    _assert_only_filter_lines_differ(stale, synced)
    again = subprocess.run([*command, "--check"], capture_output=True, text=True, check=False)
    assert again.returncode == 0


def _subscriptions(text: str) -> list[dict[str, Any]]:
    return list(_resources(load_template(text), "AWS::Logs::SubscriptionFilter").values())


def _assert_only_filter_lines_differ(before: str, after: str) -> None:
    before_lines, after_lines = before.splitlines(True), after.splitlines(True)
    assert len(before_lines) == len(after_lines)
    for old, new in zip(before_lines, after_lines, strict=True):
        if old != new:
            assert old.lstrip().startswith("FilterPattern: ")
            assert new.startswith(old[: old.index("FilterPattern: ")] + "FilterPattern: ")


# ---------------------------------------------------------------- the sync script's text editing


sync_template = load_script(SYNC_SCRIPT)

SAMPLE = (
    "Resources:  # comment kept\r\n"
    "  A:\r\n"
    "    Type: AWS::Logs::SubscriptionFilter\r\n"
    "    Properties:\r\n"
    "      FilterPattern: '{ ($.eventName = \"X\") }'  # trailing comment kept\r\n"
    "  B:\r\n"
    "    Properties:\r\n"
    '      FilterPattern: "{ ($.a = 1) }"\r\n'
    "      # FilterPattern: 'a comment, never touched'\r\n"
)


@pytest.mark.parametrize(
    "pattern",
    [
        '{ ($.eventName = "*SecurityGroup*") || ($.errorMessage = "Failed authentication") }',
        '{ ($.userIdentity.userName = "O\'Brien") }',
        "{ ($.requestParameters.policy = %\\\\d+%) }",
        "",
    ],
)
def test_rewrite_changes_only_the_values_and_round_trips(pattern: str) -> None:
    rewritten = sync_template.rewrite(SAMPLE, pattern)
    values = [found.value for found in sync_template.find_filter_patterns(rewritten)]
    assert values == [pattern, pattern]
    assert load_template(rewritten)["Resources"]["A"]["Properties"]["FilterPattern"] == pattern
    assert rewritten.count("\r\n") == SAMPLE.count("\r\n")
    assert "# trailing comment kept\r\n" in rewritten
    assert "# FilterPattern: 'a comment, never touched'" in rewritten
    _assert_only_filter_lines_differ(SAMPLE, rewritten)
    assert sync_template.rewrite(rewritten, pattern) == rewritten


def test_rewrite_leaves_equal_values_byte_identical() -> None:
    assert (
        sync_template.rewrite(
            SAMPLE.replace("{ ($.a = 1) }", '{ ($.eventName = \\"X\\") }'),
            '{ ($.eventName = "X") }',
        ).count('"{ ($.eventName')
        == 1
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Resources: {}\n", "no FilterPattern line"),
        ("    FilterPattern: >-\n      '{ }'\n", ":1: FilterPattern must be a one-line quoted"),
        ("    FilterPattern: { ($.a = 1) }\n", ":1: FilterPattern must be a one-line quoted"),
    ],
)
def test_rewrite_refuses_what_it_cannot_edit_safely(text: str, message: str) -> None:
    with pytest.raises(sync_template.SyncError, match=re.escape(message)):
        sync_template.rewrite(text, "{ ($.a = 1) }")
