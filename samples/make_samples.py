"""Write the sample Lambda events in this directory from the readable records below.

Each sample is what the function receives from a CloudWatch Logs subscription:
`{"awslogs": {"data": base64(gzip(JSON))}}`. The ids are fake (account 111122223333,
example.com). Run `python samples/make_samples.py` after editing a record; the output is
byte-for-byte repeatable.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

ACCOUNT = "111122223333"
LOG_GROUP = "aws-cloudtrail-logs-111122223333"
HERE = Path(__file__).resolve().parent


def _assumed_role(role: str, session: str) -> dict[str, Any]:
    return {
        "type": "AssumedRole",
        "principalId": f"AROAEXAMPLEROLEID1234:{session}",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIAEXAMPLEKEYID1234",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAEXAMPLEROLEID1234",
                "arn": f"arn:aws:iam::{ACCOUNT}:role/{role}",
                "accountId": ACCOUNT,
                "userName": role,
            },
            "attributes": {"creationDate": "2024-05-14T01:02:03Z", "mfaAuthenticated": "false"},
        },
    }


def _record(event_id: str, time: str, **fields: Any) -> dict[str, Any]:
    return {
        "eventVersion": "1.09",
        "eventTime": time,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.10",
        "userAgent": "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64",
        "requestID": "5f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b",
        "eventID": event_id,
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
        **fields,
    }


SAMPLES: dict[str, list[dict[str, Any]]] = {
    # The original project's test event: an IAM user deleted through an assumed role.
    "delete-user-assumed-role": [
        _record(
            "3f8b7a52-9d1c-4e2b-8f6a-0c1d2e3f4a5b",
            "2024-05-14T03:21:09Z",
            userIdentity=_assumed_role("Admin", "alice@example.com"),
            eventSource="iam.amazonaws.com",
            eventName="DeleteUser",
            requestParameters={"userName": "bob"},
            responseElements=None,
        )
    ],
    "security-group-open-to-world": [
        _record(
            "a1b2c3d4-0e1f-4a5b-9c8d-7e6f5a4b3c2d",
            "2024-05-14T04:05:33Z",
            awsRegion="ap-northeast-1",
            userIdentity={
                "type": "IAMUser",
                "principalId": "AIDAEXAMPLEUSERID123",
                "arn": f"arn:aws:iam::{ACCOUNT}:user/dave",
                "accountId": ACCOUNT,
                "accessKeyId": "AKIAEXAMPLEKEYID1234",
                "userName": "dave",
            },
            eventSource="ec2.amazonaws.com",
            eventName="AuthorizeSecurityGroupIngress",
            requestParameters={
                "groupId": "sg-0123456789abcdef0",
                "ipPermissions": {
                    "items": [
                        {
                            "ipProtocol": "tcp",
                            "fromPort": 22,
                            "toPort": 22,
                            "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]},
                        }
                    ]
                },
            },
            responseElements={"_return": True, "requestId": "5f1a2b3c-4d5e-4f60-8a7b"},
        )
    ],
    # A failed sign-in has no `arn` in userIdentity.
    "console-login-failed": [
        _record(
            "c0ffee00-1234-4abc-8def-0123456789ab",
            "2024-05-14T05:44:12Z",
            sourceIPAddress="198.51.100.23",
            userAgent="Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
            userIdentity={
                "type": "IAMUser",
                "principalId": "AIDAEXAMPLEUSERID456",
                "accountId": ACCOUNT,
                "accessKeyId": "",
                "userName": "carol",
            },
            eventSource="signin.amazonaws.com",
            eventName="ConsoleLogin",
            eventType="AwsConsoleSignIn",
            errorMessage="Failed authentication",
            requestParameters=None,
            responseElements={"ConsoleLogin": "Failure"},
            additionalEventData={
                "LoginTo": "https://console.aws.amazon.com/console/home",
                "MobileVersion": "No",
                "MFAUsed": "No",
            },
        )
    ],
    "stop-logging": [
        _record(
            "5e5e5e5e-6f6f-4a7a-8b8b-9c9c9c9c9c9c",
            "2024-05-14T06:00:01Z",
            awsRegion="eu-west-1",
            userIdentity=_assumed_role("OrganizationAccountAccessRole", "mallory"),
            eventSource="cloudtrail.amazonaws.com",
            eventName="StopLogging",
            requestParameters={"name": f"arn:aws:cloudtrail:eu-west-1:{ACCOUNT}:trail/main"},
            responseElements=None,
        )
    ],
    # Read-only: the default rules must stay quiet.
    "read-only-describe": [
        _record(
            "d0d0d0d0-e1e1-4f2f-8a3a-b4b4b4b4b4b4",
            "2024-05-14T06:10:44Z",
            userIdentity=_assumed_role("ReadOnly", "erin"),
            eventSource="ec2.amazonaws.com",
            eventName="DescribeInstances",
            readOnly=True,
            requestParameters={"instancesSet": {}, "filterSet": {}},
            responseElements=None,
        )
    ],
    # An AWS service acting on its own: userIdentity has only `type` and `invokedBy`.
    # (AWS Organizations giving the role it creates in a new member account admin rights.)
    "aws-service-attach-role-policy": [
        _record(
            "7a7a7a7a-8b8b-4c9c-9d0d-e1e1e1e1e1e1",
            "2024-05-14T07:30:00Z",
            sourceIPAddress="organizations.amazonaws.com",
            userAgent="organizations.amazonaws.com",
            userIdentity={"type": "AWSService", "invokedBy": "organizations.amazonaws.com"},
            eventSource="iam.amazonaws.com",
            eventName="AttachRolePolicy",
            requestParameters={
                "roleName": "OrganizationAccountAccessRole",
                "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess",
            },
            responseElements=None,
        )
    ],
}


def _log_event_id(name: str, index: int) -> str:
    """A 56-digit id like CloudWatch's, derived from the sample so that it never changes."""
    digest = hashlib.sha256(f"{name}/{index}".encode()).hexdigest()
    return "3" + str(int(digest, 16)).rjust(55, "0")[:55]


def lambda_event(name: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    """The CloudWatch Logs subscription event carrying `records`, one log event each."""
    payload = {
        "messageType": "DATA_MESSAGE",
        "owner": ACCOUNT,
        "logGroup": LOG_GROUP,
        "logStream": f"{ACCOUNT}_CloudTrail_us-east-1",
        "subscriptionFilters": ["cloudtrail-to-slack"],
        "logEvents": [
            {
                "id": _log_event_id(name, index),
                "timestamp": 1715656869000 + index,
                "message": json.dumps(record, separators=(",", ":")),
            }
            for index, record in enumerate(records)
        ],
    }
    data = gzip.compress(json.dumps(payload).encode(), mtime=0)
    return {"awslogs": {"data": base64.b64encode(data).decode()}}


def main() -> None:
    for name, records in SAMPLES.items():
        event = lambda_event(name, records)
        (HERE / f"{name}.json").write_text(json.dumps(event, indent=2) + "\n")


if __name__ == "__main__":
    main()
