"""What IAM authorizes for each call the engine makes: the action, the resource's ARN and the request's
condition keys, for tests/faults/test_ci_roles.py.

Most operations authorize the IAM action of the same name on the resource they name. The exceptions come
from the Service Authorization Reference ("Actions, resources, and condition keys for <service>", and its
"API operations" table mapping operations to actions) and the operations' API references:

- s3 HeadBucket needs s3:ListBucket on the bucket (HeadBucket API reference, "Permissions");
- s3 HeadObject needs s3:GetObject on the object (HeadObject API reference, "Permissions");
- s3 ListObjectsV2 needs s3:ListBucket, ListObjectVersions s3:ListBucketVersions, GetObjectLockConfiguration
  s3:GetBucketObjectLockConfiguration, GetPublicAccessBlock s3:GetBucketPublicAccessBlock (S3 User Guide,
  "Required permissions for Amazon S3 API operations");
- s3 DeleteObject and DeleteObjects need s3:DeleteObject per key, s3:DeleteObjectVersion per key with a
  VersionId (DeleteObjects API reference); a PutObject with If-None-Match carries s3:if-none-match;
- sts GetCallerIdentity needs no permission ("No permissions are required to perform this operation",
  GetCallerIdentity API reference);
- cloudformation ListImports, ListExports and DescribeStackDriftDetectionStatus take no resource ('*');
- a CloudFormation call passing RoleARN (CreateChangeSet, DeleteStack, ContinueUpdateRollback, RollbackStack)
  also needs iam:PassRole on that role with iam:PassedToService cloudformation.amazonaws.com (the reference's
  API operations table); ExecuteChangeSet uses the role the change set names without passing it (CreateChangeSet
  API reference, RoleARN);
- ec2 DescribeManagedPrefixLists takes no resource ('*'); ecr DescribeImages and DescribeRepositories take the
  repository; rds DescribeDBClusters takes the cluster (arn:...:cluster:<id>), DescribeDBInstances the instance
  (arn:...:db:<id>).

A stack named by name is given the ARN CloudFormation authorizes, with a placeholder stack id; a secret named
by name the ARN Secrets Manager gives it (six random characters after the name).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.faults.answers import ACCOUNT
from tests.faults.fake_aws import Call
from tests.faults.iam_policy import Need

CLOUDFORMATION = "cloudformation.amazonaws.com"
STACK_ID = "00000000-0000-0000-0000-000000000000"  # a stack named by name: any id matches stack/<name>/*
# Read-only CloudFormation calls without a resource narrower than '*' (the reference lists no resource type).
NO_RESOURCE = {"ListImports", "ListExports", "DescribeStackDriftDetectionStatus"}
# Operations whose action is another name, and the parameter naming their bucket's object, if any.
S3_ACTIONS = {
    "HeadBucket": "ListBucket",
    "HeadObject": "GetObject",
    "GetObject": "GetObject",
    "PutObject": "PutObject",
    "ListObjectsV2": "ListBucket",
    "ListObjectVersions": "ListBucketVersions",
    "GetObjectLockConfiguration": "GetBucketObjectLockConfiguration",
    "GetPublicAccessBlock": "GetBucketPublicAccessBlock",
    "GetBucketPolicy": "GetBucketPolicy",
}


def needs(call: Call) -> list[Need]:
    """What IAM checks for `call`; a call this table does not know fails the test, naming it."""
    play = PLAYED.get(call.service)
    if play is None:
        raise AssertionError(
            f"no IAM mapping for {call.service}:{call.operation}; add it to tests/faults/iam_actions.py"
        )
    return play(call)


def _cloudformation(call: Call) -> list[Need]:
    action, params = f"cloudformation:{call.operation}", call.params
    if call.operation in NO_RESOURCE:
        return [Need(action, "*")]
    if call.operation in ("DescribeStacks",) and "StackName" not in params:
        return [Need(action, "*")]
    resources = []
    if "StackName" in params:
        resources.append(_stack(call, params["StackName"]))
    change_set = params.get("ChangeSetName", "")
    if change_set.startswith("arn:"):
        resources.append(change_set)
    if not resources:
        raise AssertionError(f"no resource found for {call}; add it to tests/faults/iam_actions.py")
    found = [Need(action, resource) for resource in resources]
    if "RoleARN" in params:
        found.append(Need("iam:PassRole", params["RoleARN"], {"iam:PassedToService": CLOUDFORMATION}))
    return found


def _stack(call: Call, name: str) -> str:
    if name.startswith("arn:"):
        return name
    return f"arn:aws:cloudformation:{call.region}:{ACCOUNT}:stack/{name}/{STACK_ID}"


def _s3(call: Call) -> list[Need]:
    params, bucket = call.params, f"arn:aws:s3:::{call.params['Bucket']}"
    if call.operation == "DeleteObject":
        return [_deleted(bucket, params)]
    if call.operation == "DeleteObjects":
        return [_deleted(bucket, item) for item in params["Delete"]["Objects"]]
    action = S3_ACTIONS.get(call.operation)
    if action is None:
        raise AssertionError(f"no IAM mapping for s3:{call.operation}; add it to tests/faults/iam_actions.py")
    resource = f"{bucket}/{params['Key']}" if "Key" in params else bucket
    context = {"s3:if-none-match": params["IfNoneMatch"]} if "IfNoneMatch" in params else {}
    return [Need(f"s3:{action}", resource, context)]


def _deleted(bucket: str, item: dict[str, Any]) -> Need:
    action = "s3:DeleteObjectVersion" if item.get("VersionId") else "s3:DeleteObject"
    return Need(action, f"{bucket}/{item['Key']}")


def _sts(call: Call) -> list[Need]:
    assert call.operation == "GetCallerIdentity", f"no IAM mapping for sts:{call.operation}"
    return []


def _ssm(call: Call) -> list[Need]:
    names = call.params.get("Names") or [call.params["Name"]]
    return [Need(f"ssm:{call.operation}", _parameter(call.region, name)) for name in names]


def _parameter(region: str, name: str) -> str:
    """A public parameter (/aws/service/...) belongs to no account: its ARN has none."""
    account = "" if name.startswith("/aws/") else ACCOUNT
    return f"arn:aws:ssm:{region}:{account}:parameter/{name.lstrip('/')}"


def _ecr(call: Call) -> list[Need]:
    names = call.params.get("repositoryNames") or [call.params["repositoryName"]]
    return [Need(f"ecr:{call.operation}", f"arn:aws:ecr:{call.region}:{ACCOUNT}:repository/{name}") for name in names]


def _ec2(call: Call) -> list[Need]:
    assert call.operation == "DescribeManagedPrefixLists", f"no IAM mapping for ec2:{call.operation}"
    return [Need("ec2:DescribeManagedPrefixLists", "*")]


def _acm(call: Call) -> list[Need]:
    return [Need(f"acm:{call.operation}", call.params["CertificateArn"])]


def _secretsmanager(call: Call) -> list[Need]:
    secret = call.params["SecretId"]
    if not secret.startswith("arn:"):
        secret = f"arn:aws:secretsmanager:{call.region}:{ACCOUNT}:secret:{secret}-AbCdEf"
    return [Need(f"secretsmanager:{call.operation}", secret)]


def _sqs(call: Call) -> list[Need]:
    assert call.operation == "GetQueueUrl", f"no IAM mapping for sqs:{call.operation}"
    return [Need("sqs:GetQueueUrl", f"arn:aws:sqs:{call.region}:{ACCOUNT}:{call.params['QueueName']}")]


def _rds(call: Call) -> list[Need]:
    kinds = {
        "DescribeDBClusters": ("cluster", "DBClusterIdentifier"),
        "DescribeDBInstances": ("db", "DBInstanceIdentifier"),
    }
    assert call.operation in kinds, f"no IAM mapping for rds:{call.operation}"
    kind, parameter = kinds[call.operation]
    return [Need(f"rds:{call.operation}", f"arn:aws:rds:{call.region}:{ACCOUNT}:{kind}:{call.params[parameter]}")]


PLAYED: dict[str, Callable[[Call], list[Need]]] = {
    "cloudformation": _cloudformation,
    "s3": _s3,
    "sts": _sts,
    "ssm": _ssm,
    "ecr": _ecr,
    "ec2": _ec2,
    "acm": _acm,
    "secretsmanager": _secretsmanager,
    "sqs": _sqs,
    "rds": _rds,
}
