"""CloudFormation values that templates write and build and deploy read, defined once below both:
templates/ may import stackyard's base modules, while the deploy machinery never imports templates/."""

from __future__ import annotations

TEMPLATE_VERSION = "2010-09-09"  # the template format version every template declares
NESTED_STACK = "AWS::CloudFormation::Stack"  # the resource type of a nested stack
MANAGED_BY = "stackyard"  # the ManagedBy tag on every stack and resource stackyard creates
ARTIFACT_BUCKET = "ArtifactBucket"  # the parameter deploy fills with the artifact bucket's name
# The artifact bucket stack deploy creates per account and region (stackyard/bootstrap.py builds it), and
# its bucket's name before -<account>-<region>: what the ci stack's plan role may read.
BOOTSTRAP_STACK = "stackyard-bootstrap"
ARTIFACT_BUCKET_PREFIX = "stackyard-artifacts"
