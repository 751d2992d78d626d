"""Pure unit, through the CLI: bad bucket params (lifecycle rules, Object Lock, names, notifications) exit 2
with file:line, key, problem and fix; nothing is written.

Each case replaces params/test.yaml (over the real base.yaml) and runs `generate.py --env test`
(tests/helpers: generate_test_env).
"""

from __future__ import annotations

import pytest

from tests.helpers import base_line, generate_test_env, refusal_of

CASES = {
    "a lifecycle prefix with a wildcard": (
        "storage:\n  buckets:\n    exports:\n      lifecycle_rules:\n        archive:\n"
        "          prefix: jobs/*/outputs/\n          transitions: [{storage_class: GLACIER_IR, after_days: 3}]\n",
        [
            "params/test.yaml:6: storage.buckets.exports.lifecycle_rules.archive.prefix: got 'jobs/*/outputs/'; expected "
            "a literal key prefix such as jobs/ (S3 lifecycle prefixes have no wildcards)"
        ],
    ),
    "infrequent access before S3 allows it": (
        "storage:\n  buckets:\n    exports:\n      lifecycle_rules:\n        archive:\n"
        "          transitions: [{storage_class: STANDARD_IA, after_days: 3}]\n",
        [
            "params/test.yaml:6: storage.buckets.exports.lifecycle_rules.archive.transitions[0]: STANDARD_IA needs "
            "objects at least 30 days old; got 3. Expected after_days >= 30, or GLACIER_IR"
        ],
    ),
    "lifecycle transitions back to a warmer class": (
        "storage:\n  buckets:\n    exports:\n      lifecycle_rules:\n        archive:\n"
        "          transitions: [{storage_class: GLACIER, after_days: 30}, {storage_class: STANDARD_IA, after_days: 60}]\n",
        [
            "params/test.yaml:6: storage.buckets.exports.lifecycle_rules.archive.transitions: GLACIER after 30 days, then "
            "STANDARD_IA after 60; S3 moves objects only to colder classes, later: expected the order STANDARD_IA, "
            "INTELLIGENT_TIERING, ONEZONE_IA, GLACIER_IR, GLACIER, DEEP_ARCHIVE with rising days"
        ],
    ),
    "lifecycle expiry before a transition": (
        "storage:\n  buckets:\n    exports:\n      lifecycle_rules:\n        archive:\n"
        "          transitions: [{storage_class: GLACIER_IR, after_days: 30}]\n          expire_after_days: 10\n",
        [
            "params/test.yaml:7: storage.buckets.exports.lifecycle_rules.archive.expire_after_days: got 10, not after "
            "the last transition (30 days); expected more days, or fewer transitions"
        ],
    ),
    "missing key of a new bucket": (
        "storage:\n  buckets:\n    reports:\n      versioned: true\n",
        [
            "params/test.yaml:3: storage.buckets.reports.purpose: required key is missing; add it to this "
            "environment's file, or to base.yaml for every environment"
        ],
    ),
    "Object Lock without versioning": (
        "storage:\n  buckets:\n    exports:\n      object_lock: {mode: GOVERNANCE, days: 1}\n",
        [
            "params/test.yaml:4: storage.buckets.exports.object_lock: Object Lock needs versioning; "
            "expected versioned: true on this bucket"
        ],
    ),
    "bucket name too long": (
        "app: a-rather-long-app-nm\n",
        [
            f"params/base.yaml:{base_line('processed-zone:')}: storage.buckets.processed-zone: bucket name "
            "a-rather-long-app-nm-test-processed-zone-<account id>-ap-southeast-1 would be 68 characters; "
            "S3 allows 63. Expected a shorter app name or bucket key"
        ],
    ),
    "a bucket every environment already has": (
        "storage:\n  buckets:\n    frontend:\n      purpose: SPA\n      versioned: true\n",
        [
            "params/test.yaml:3: storage.buckets.frontend: 'frontend' is a bucket every environment gets already "
            "(access-logs, frontend, cdn-logs); expected another key for this bucket"
        ],
    ),
    "a bucket notifying a function with no alerts stack to page": (
        "stacks: [network, storage, functions]\n"
        "functions:\n  importer:\n    purpose: Imports\n    source: sql\n    handler: handler.main\n"
        "    runtime: python3.12\n    timeout_seconds: 60\n    memory_mb: 256\n    log_retention_days: 7\n"
        "storage:\n  buckets:\n    exports:\n      notifications: [{function: importer}]\n",
        [
            "params/test.yaml:14: storage.buckets.exports.notifications[0].function: bucket exports invokes function "
            "importer asynchronously, whose failed events and errors are alarmed through the alerts stack's topics, "
            "which is not listed; expected alerts in stacks (and a monitoring section)"
        ],
    ),
    "a notification for a function nobody defines": (
        "storage:\n  buckets:\n    exports:\n      notifications: [{function: resizer}]\n",
        [
            "params/test.yaml:4: storage.buckets.exports.notifications[0].function: no function 'resizer'; "
            "expected one of: none"
        ],
    ),
}


@pytest.mark.parametrize("override, expected", CASES.values(), ids=CASES.keys())
def test_bad_params_exit_2_with_every_problem_and_write_nothing(params_copy, capsys, override, expected):
    assert generate_test_env(params_copy, capsys, override) == refusal_of(expected)
