"""A realistic, reproducible CloudTrail load: what an organisation's trail mostly carries.

Mostly reads and STS calls, some data events, a few changes (several of which the default
rules alert on), a few denied calls; several accounts, regions and identity types; records
of about 1 KB. `records(n, seed)` gives the same records for the same arguments.
"""

from __future__ import annotations

import base64
import gzip
import json
import random
from typing import Any

ACCOUNTS = ("111122223333", "444455556666", "777788889999", "123456789012", "210987654321")
REGIONS = ("us-east-1", "us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2")

# (eventSource service, eventName, weight, read-only). Weights give roughly: 70% reads,
# 15% STS, 8% data events and other routine writes, 7% changes that matter.
EVENTS: tuple[tuple[str, str, int, bool], ...] = (
    ("ec2", "DescribeInstances", 60, True),
    ("ec2", "DescribeSecurityGroups", 25, True),
    ("ec2", "DescribeVpcs", 15, True),
    ("ec2", "DescribeNetworkInterfaces", 20, True),
    ("ec2", "DescribeVolumes", 15, True),
    ("s3", "GetBucketPolicy", 10, True),
    ("s3", "GetBucketAcl", 15, True),
    ("s3", "ListBuckets", 20, True),
    ("s3", "HeadBucket", 20, True),
    ("iam", "GetUser", 10, True),
    ("iam", "ListRoles", 15, True),
    ("iam", "GetRole", 20, True),
    ("iam", "ListAttachedRolePolicies", 10, True),
    ("lambda", "ListFunctions20150331", 10, True),
    ("lambda", "GetFunction20150331v2", 10, True),
    ("cloudwatch", "GetMetricData", 35, True),
    ("logs", "DescribeLogGroups", 15, True),
    ("logs", "FilterLogEvents", 10, True),
    ("kms", "DescribeKey", 10, True),
    ("dynamodb", "DescribeTable", 15, True),
    ("ssm", "GetParameter", 25, True),
    ("ssm", "GetParameters", 10, True),
    ("secretsmanager", "GetSecretValue", 10, True),
    ("ecr", "GetAuthorizationToken", 10, True),
    ("config", "DescribeConfigRules", 5, True),
    ("sts", "AssumeRole", 70, False),
    ("sts", "GetCallerIdentity", 30, True),
    ("sts", "AssumeRoleWithWebIdentity", 15, False),
    ("sts", "GetSessionToken", 5, True),
    ("kms", "Decrypt", 25, False),
    ("kms", "GenerateDataKey", 15, False),
    ("logs", "CreateLogStream", 10, False),
    ("ssm", "UpdateInstanceInformation", 10, False),
    ("ec2", "CreateTags", 5, False),
    ("ec2", "RunInstances", 3, False),
    ("ec2", "TerminateInstances", 3, False),
    ("ec2", "AuthorizeSecurityGroupIngress", 3, False),
    ("ec2", "RevokeSecurityGroupEgress", 1, False),
    ("ec2", "CreateSecurityGroup", 2, False),
    ("ec2", "CreateRoute", 1, False),
    ("ec2", "CreateNatGateway", 1, False),
    ("ec2", "ModifyVpcAttribute", 1, False),
    ("ec2", "CreateNetworkAclEntry", 1, False),
    ("iam", "PutUserPolicy", 1, False),
    ("iam", "AttachRolePolicy", 2, False),
    ("iam", "CreateUser", 1, False),
    ("iam", "CreateAccessKey", 1, False),
    ("iam", "PassRole", 1, False),
    ("s3", "PutBucketPolicy", 1, False),
    ("s3", "CreateBucket", 1, False),
    ("s3", "PutBucketTagging", 2, False),
    ("lambda", "UpdateFunctionCode20150331v2", 2, False),
    ("cloudtrail", "StopLogging", 1, False),
    ("kms", "ScheduleKeyDeletion", 1, False),
    ("signin", "ConsoleLogin", 3, False),
    ("organizations", "DescribeOrganization", 3, True),
)

USER_AGENTS = (
    "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.79 exe/x86_64.amzn.2023 prompt/off",
    "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#5.10.213 lang/python#3.11.8",
    "APN/1.0 HashiCorp/1.0 Terraform/1.7.5 terraform-provider-aws/5.42.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 Chrome/123.0",
    "aws-sdk-go-v2/1.25.3 os/linux lang/go#1.22.1 md/GOARCH#arm64 api/sts#1.28.4",
)


def _identity(rng: random.Random, account: str) -> dict[str, Any]:
    kind = rng.choices(
        ("AssumedRole", "IAMUser", "AWSService", "Root", "FederatedUser"), (72, 15, 10, 1, 2)
    )[0]
    if kind == "AWSService":
        return {
            "type": "AWSService",
            "invokedBy": rng.choice(("ec2.amazonaws.com", "lambda.amazonaws.com")),
        }
    if kind == "IAMUser":
        user = rng.choice(("alice", "bob", "ci-deployer", "backup-agent"))
        return {
            "type": "IAMUser",
            "principalId": f"AIDA{rng.getrandbits(64):016X}",
            "arn": f"arn:aws:iam::{account}:user/{user}",
            "accountId": account,
            "accessKeyId": f"AKIA{rng.getrandbits(64):016X}",
            "userName": user,
        }
    if kind == "Root":
        return {
            "type": "Root",
            "principalId": account,
            "arn": f"arn:aws:iam::{account}:root",
            "accountId": account,
            "accessKeyId": f"ASIA{rng.getrandbits(64):016X}",
        }
    role = rng.choice(
        (
            "AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b",
            "terraform-deployer",
            "eks-node-role",
            "lambda-exec",
        )
    )
    session = rng.choice(
        ("jdoe@example.com", "i-0abc123def4567890", "terraform", "botocore-session-1716")
    )
    identity_type = "FederatedUser" if kind == "FederatedUser" else "AssumedRole"
    return {
        "type": identity_type,
        "principalId": f"AROA{rng.getrandbits(64):016X}:{session}",
        "arn": f"arn:aws:sts::{account}:assumed-role/{role}/{session}",
        "accountId": account,
        "accessKeyId": f"ASIA{rng.getrandbits(64):016X}",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": f"AROA{rng.getrandbits(64):016X}",
                "arn": f"arn:aws:iam::{account}:role/{role}",
                "accountId": account,
                "userName": role,
            },
            "webIdFederationData": {},
            "attributes": {"creationDate": "2024-05-14T13:58:01Z", "mfaAuthenticated": "false"},
        },
    }


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def record(rng: random.Random, index: int) -> dict[str, Any]:
    """One CloudTrail record drawn from the weighted catalogue."""
    service, name, _weight, read_only = rng.choices(EVENTS, _WEIGHTS)[0]
    account = rng.choice(ACCOUNTS)
    region = rng.choice(REGIONS)
    minute, second = divmod(index % 3600, 60)
    result: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": _identity(rng, account),
        "eventTime": f"2024-05-14T14:{minute:02d}:{second:02d}Z",
        "eventSource": f"{service}.amazonaws.com",
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": f"198.51.100.{rng.randrange(1, 255)}",
        "userAgent": rng.choice(USER_AGENTS),
        "requestParameters": {
            "resourceId": f"{service}-{rng.getrandbits(40):010x}",
            "maxResults": 100,
        },
        "responseElements": None if read_only else {"requestId": _uuid(rng), "_return": True},
        "requestID": _uuid(rng),
        "eventID": _uuid(rng),
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": f"{service}.{region}.amazonaws.com",
        },
    }
    if name == "ConsoleLogin":
        failed = rng.random() < 0.3
        result["responseElements"] = {"ConsoleLogin": "Failure" if failed else "Success"}
        result["additionalEventData"] = {
            "MFAUsed": rng.choice(("Yes", "No")),
            "MobileVersion": "No",
        }
        if failed:
            result["errorMessage"] = "Failed authentication"
    elif rng.random() < 0.03:
        result["errorCode"] = rng.choice(("AccessDenied", "Client.UnauthorizedOperation"))
        result["errorMessage"] = "User is not authorized to perform this operation"
        result["responseElements"] = None
    return result


_WEIGHTS = [weight for _s, _n, weight, _r in EVENTS]


def records(n: int, seed: int = 6) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [record(rng, i) for i in range(n)]


# Log event ids are 56-digit strings in CloudWatch Logs.
_FIRST_EVENT_ID = 37_000_000_000_000_000_000_000_000_000_000_000_000_000_000


def cloudwatch_event(batch: list[dict[str, Any]], first_id: int = 0) -> dict[str, Any]:
    """A CloudWatch Logs subscription event (what the Lambda receives) holding `batch`."""
    payload = {
        "messageType": "DATA_MESSAGE",
        "owner": ACCOUNTS[0],
        "logGroup": "aws-cloudtrail-logs-111122223333-org",
        "logStream": "111122223333_CloudTrail_us-east-1",
        "subscriptionFilters": ["cloudtrail-to-slack"],
        "logEvents": [
            {
                "id": f"{_FIRST_EVENT_ID + first_id + i:056d}",
                "timestamp": 1715695200000 + i,
                "message": json.dumps(item, separators=(",", ":")),
            }
            for i, item in enumerate(batch)
        ],
    }
    data = gzip.compress(json.dumps(payload).encode(), compresslevel=6, mtime=0)
    return {"awslogs": {"data": base64.b64encode(data).decode("ascii")}}
