"""Write bench/rules-100.yaml: with rules.yaml (10) and the CIS pack (15), 100 rules.

    .venv/bin/python bench/make_rules.py

The rules are what a security team adds over time: most name the API calls they watch
(exact names, sometimes with the service), some use wildcards, some look at other fields
(error codes, identity types, regions) or only at JMESPath, and some refine a filter with
`when` / `unless`. They are for measuring; nobody is expected to deploy them.
"""

from __future__ import annotations

from pathlib import Path

OUT = Path(__file__).resolve().parent / "rules-100.yaml"

# (service, [event names]) watched by exact-name rules.
WATCHED: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("iam", ("CreateRole", "DeleteRole", "UpdateAssumeRolePolicy")),
    ("iam", ("CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey")),
    ("iam", ("CreateLoginProfile", "UpdateLoginProfile", "DeleteLoginProfile")),
    ("iam", ("DeactivateMFADevice", "DeleteVirtualMFADevice", "ResyncMFADevice")),
    ("iam", ("AddUserToGroup", "RemoveUserFromGroup", "CreateGroup", "DeleteGroup")),
    ("iam", ("CreateSAMLProvider", "UpdateSAMLProvider", "DeleteSAMLProvider")),
    ("iam", ("CreateOpenIDConnectProvider", "DeleteOpenIDConnectProvider")),
    ("iam", ("UpdateAccountPasswordPolicy", "DeleteAccountPasswordPolicy")),
    ("iam", ("CreateServiceLinkedRole", "DeleteServiceLinkedRole")),
    ("sts", ("GetFederationToken",)),
    ("ec2", ("RunInstances",)),
    ("ec2", ("TerminateInstances", "StopInstances")),
    ("ec2", ("ModifyInstanceAttribute", "ModifyInstanceMetadataOptions")),
    ("ec2", ("CreateKeyPair", "ImportKeyPair", "DeleteKeyPair")),
    ("ec2", ("ModifySnapshotAttribute", "ModifyImageAttribute")),
    ("ec2", ("DisableEbsEncryptionByDefault",)),
    ("ec2", ("CreateVpcEndpoint", "DeleteVpcEndpoints", "ModifyVpcEndpoint")),
    ("ec2", ("CreateFlowLogs", "DeleteFlowLogs")),
    ("ec2", ("AllocateAddress", "AssociateAddress", "ReleaseAddress")),
    ("ec2", ("CreateTransitGateway", "DeleteTransitGateway")),
    ("ec2", ("CreateClientVpnEndpoint", "DeleteClientVpnEndpoint")),
    ("s3", ("PutBucketPublicAccessBlock", "DeleteBucketPublicAccessBlock")),
    ("s3", ("PutBucketEncryption", "DeleteBucketEncryption")),
    ("s3", ("PutBucketLogging", "PutBucketVersioning")),
    ("s3", ("PutBucketReplication", "DeleteBucketReplication")),
    ("s3", ("PutBucketLifecycle", "DeleteBucketLifecycle")),
    ("s3", ("DeleteBucket",)),
    ("s3", ("PutBucketWebsite", "DeleteBucketWebsite")),
    ("kms", ("PutKeyPolicy", "CreateGrant", "RetireGrant", "RevokeGrant")),
    ("kms", ("CancelKeyDeletion", "EnableKey", "EnableKeyRotation", "DisableKeyRotation")),
    ("kms", ("ImportKeyMaterial", "DeleteImportedKeyMaterial")),
    ("lambda", ("AddPermission20150331v2", "RemovePermission20150331v2")),
    ("lambda", ("CreateFunctionUrlConfig", "UpdateFunctionUrlConfig")),
    ("lambda", ("UpdateFunctionConfiguration20150331v2",)),
    ("rds", ("ModifyDBInstance", "DeleteDBInstance", "DeleteDBCluster")),
    ("rds", ("ModifyDBSnapshotAttribute", "ModifyDBClusterSnapshotAttribute")),
    ("rds", ("RestoreDBInstanceFromDBSnapshot", "RestoreDBClusterFromSnapshot")),
    ("guardduty", ("DeleteDetector", "UpdateDetector", "DisassociateFromMasterAccount")),
    ("guardduty", ("CreateIPSet", "UpdateIPSet", "DeleteIPSet")),
    ("securityhub", ("DisableSecurityHub", "BatchDisableStandards")),
    ("access-analyzer", ("DeleteAnalyzer",)),
    ("macie2", ("DisableMacie", "UpdateMacieSession")),
    ("inspector2", ("Disable",)),
    ("detective", ("DeleteGraph",)),
    ("cloudtrail", ("PutEventSelectors", "PutInsightSelectors")),
    ("cloudtrail", ("DeleteEventDataStore", "StopEventDataStoreIngestion")),
    ("logs", ("DeleteLogGroup", "DeleteLogStream", "PutRetentionPolicy")),
    ("logs", ("DeleteSubscriptionFilter", "PutSubscriptionFilter")),
    ("logs", ("DeleteMetricFilter",)),
    ("cloudwatch", ("DeleteAlarms", "DisableAlarmActions")),
    ("events", ("DeleteRule", "DisableRule", "RemoveTargets")),
    ("sns", ("SetTopicAttributes", "DeleteTopic")),
    ("sqs", ("SetQueueAttributes", "DeleteQueue")),
    ("secretsmanager", ("DeleteSecret", "PutResourcePolicy")),
    ("ssm", ("DeleteParameter", "DeleteParameters")),
    ("ssm", ("StartSession",)),
    ("ssm", ("SendCommand",)),
    ("ecr", ("SetRepositoryPolicy", "DeleteRepository")),
    ("eks", ("CreateAccessEntry", "AssociateAccessPolicy", "UpdateClusterConfig")),
    ("route53", ("ChangeResourceRecordSets", "DeleteHostedZone")),
    ("acm", ("DeleteCertificate",)),
    ("waf", ("DeleteWebACL", "UpdateWebACL")),
    ("sso", ("CreatePermissionSet", "DeletePermissionSet", "AttachManagedPolicyToPermissionSet")),
    ("backup", ("DeleteBackupVault", "DeleteRecoveryPoint", "PutBackupVaultAccessPolicy")),
    ("glue", ("DeleteDatabase", "DeleteTable")),
)

# Rules that do not key on an event name the index can use.
OTHER: tuple[tuple[str, str, dict[str, str]], ...] = (
    (
        "root-any-call",
        "Root user call from outside the console",
        {"when": "userIdentity.type == 'Root' && eventType == 'AwsApiCall'"},
    ),
    (
        "denied-sts-assume-role",
        "AssumeRole denied",
        {"filter": '{ $.errorCode = "AccessDenied" }', "when": "eventName == 'AssumeRole'"},
    ),
    (
        "unusual-region",
        "Activity in a region the organisation does not use",
        {
            "filter": '{ $.awsRegion = "sa-*" || $.awsRegion = "me-*" || $.awsRegion = "af-*" }',
            "unless": "readOnly",
        },
    ),
    (
        "federated-user-write",
        "Write by a federated user",
        {"filter": '{ $.userIdentity.type = "FederatedUser" && $.readOnly IS FALSE }'},
    ),
    (
        "throttled-calls",
        "Throttled API call",
        {"filter": '{ $.errorCode = "*Throttl*" }'},
    ),
    (
        "access-key-user-agent-console",
        "Long-term access key used from a browser",
        {
            "filter": '{ $.userIdentity.accessKeyId = "AKIA*" && $.userAgent = "Mozilla*" '
            "&& $.readOnly IS FALSE }",
        },
    ),
    (
        "terraform-outside-ci",
        "Terraform run by a person",
        {
            "when": "contains(userAgent || '', 'Terraform') && "
            "userIdentity.type == 'IAMUser' && !readOnly",
        },
    ),
    (
        "service-linked-write-failed",
        "A service's write failed",
        {"filter": '{ $.userIdentity.type = "AWSService" && $.errorCode = "*" }'},
    ),
)

SEVERITIES = ("low", "medium", "high", "critical")


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def rules_text() -> str:
    lines = [
        "# Generated by bench/make_rules.py: rules for the benchmark, not for deployment.",
        "version: 1",
        "",
        "rules:",
    ]
    count = 0
    for i, (service, names) in enumerate(WATCHED):
        terms = " || ".join(f'$.eventName = "{name}"' for name in names)
        if i % 3 == 0:  # a third also pin the service, as careful authors do
            pattern = f"{{ $.eventSource = {service}.amazonaws.com && ({terms}) }}"
        else:
            pattern = f"{{ {terms} }}"
        lines += [
            f"  - id: watch-{service}-{names[0].lower()}",
            f"    title: {service} {names[0]} and related calls",
            f"    severity: {SEVERITIES[i % len(SEVERITIES)]}",
            f"    filter: {_quoted(pattern)}",
        ]
        if i % 5 == 1:  # some skip automation
            lines.append("    unless: \"userIdentity.type == 'AWSService'\"")
        if i % 7 == 2:  # some only care about successful calls
            lines.append('    when: "errorCode == null"')
        count += 1
    for rule_id, title, conditions in OTHER:
        lines += [f"  - id: {rule_id}", f"    title: {title}"]
        lines += [f"    {key}: {_quoted(value)}" for key, value in conditions.items()]
        count += 1
    wildcards = ("Delete*", "*Permission*")
    for prefix in wildcards:
        pattern = '{ $.eventName = "' + prefix + '" }'
        lines += [
            f"  - id: wildcard-{prefix.strip('*').lower()}",
            f"    title: Any {prefix} call",
            "    severity: low",
            f"    filter: {_quoted(pattern)}",
        ]
        count += 1
    assert count == 75, count
    return "\n".join(lines) + "\n"


def main() -> None:
    OUT.write_text(rules_text(), encoding="utf-8")


if __name__ == "__main__":
    main()
