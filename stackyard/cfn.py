"""CloudFormation values that templates write and build and deploy read, defined once below both:
templates/ may import stackyard's base modules, while the deploy machinery never imports templates/."""

from __future__ import annotations

TEMPLATE_VERSION = "2010-09-09"  # the template format version every template declares
NESTED_STACK = "AWS::CloudFormation::Stack"  # the resource type of a nested stack
MANAGED_BY = "stackyard"  # the ManagedBy tag on every stack and resource stackyard creates
ARTIFACT_BUCKET = "ArtifactBucket"  # the parameter deploy fills with the artifact bucket's name
# The artifact bucket stack deploy creates per account and region (stackyard/deploy/bootstrap.py builds it), and
# its bucket's name before -<account>-<region>: what the ci stack's plan role may read.
BOOTSTRAP_STACK = "stackyard-bootstrap"
ARTIFACT_BUCKET_PREFIX = "stackyard-artifacts"
# Resources that hold data, logs or the keys to them: every template states what CloudFormation does with
# them on stack delete and on replacement (DeletionPolicy and UpdateReplacePolicy, per the environment's
# retain_data), which rule E9013 checks. An Aurora cluster's DB instances hold none (the cluster does).
STATEFUL_TYPES = frozenset(
    {
        "AWS::S3::Bucket",
        "AWS::RDS::DBCluster",
        "AWS::RDS::DBInstance",
        "AWS::DynamoDB::Table",
        "AWS::DynamoDB::GlobalTable",
        "AWS::SQS::Queue",
        "AWS::Logs::LogGroup",
        "AWS::KMS::Key",
        "AWS::SecretsManager::Secret",
        "AWS::Cognito::UserPool",
        "AWS::ECR::Repository",
        "AWS::EFS::FileSystem",
        "AWS::EC2::Volume",
        "AWS::Kinesis::Stream",
        "AWS::Backup::BackupVault",
        "AWS::OpenSearchService::Domain",
    }
)
