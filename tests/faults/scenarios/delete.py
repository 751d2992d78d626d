"""Fault matrix rows: deletes and plans of deletes: refused before anything is emptied, and only DELETE_COMPLETE is deleted."""

from __future__ import annotations

from tests.faults.scenarios.common import (
    EXPORT_IN_USE,
    NO_WRITES,
    NOT_EMPTY,
    OBJECT_LOCK,
    PROTECTED,
    REFUSED_DELETE,
    REVIEW,
    Expect,
    Scenario,
    both,
    checks,
    data_untouched,
    everything_gone,
    fault,
    fill,
    importer_outside,
    kept_bucket_untouched,
    lock_released,
    review_stack_left_by_killed_run,
    stacks_still_there,
)
from tests.faults.world import STORAGE

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "delete-plan-changes-nothing",
        "Issue 11 item 1: `--delete --plan` deleted; a plan of a delete only reads",
        ("delete", "--plan"),
        Expect(
            3,
            says=(
                "would empty bucket app-test-data: 3 object versions and delete markers",
                "would keep AWS::S3::Bucket app-test-kept (app-test-storage/KeptBucket): DeletionPolicy Retain",
                "storage  planned  would delete app-test-storage (CREATE_COMPLETE); empty 1 bucket; keep 1",
            ),
            must_not=("CreateChangeSet", "DeleteChangeSet", *NO_WRITES),
            check=stacks_still_there,
        ),
        setup=fill("app-test-data", 3),
    ),
    Scenario(
        "delete-plan-in-the-old-spelling-with-yes-changes-nothing",
        "Issue 11 item 1: `deploy.py --delete --plan --yes` emptied buckets and deleted stacks",
        ("--delete", "--plan", "--yes"),
        Expect(3, must_not=("CreateChangeSet", "DeleteChangeSet", *NO_WRITES), check=stacks_still_there),
        setup=fill("app-test-data", 3),
    ),
    Scenario(
        "delete-plan-of-nothing-exits-0",
        "DescribeStacks: a stack that does not exist is 'does not exist', which a delete counts as gone",
        ("delete", "--plan"),
        Expect(0, says=("app      gone  already gone",), must_not=NO_WRITES),
        start="empty",
    ),
    Scenario(
        "delete-refused-before-emptying-when-an-outside-stack-imports",
        EXPORT_IN_USE,
        ("delete", "--yes"),
        Expect(
            1,
            says=(
                "the delete is refused; nothing was emptied or deleted",
                "export app-test-DataBucketName is imported by app-other-consumer, which this delete does not include",
            ),
            must=("ListImports~app-test-DataBucketName",),
            must_not=("DeleteObjects", "DeleteStack"),
            check=checks(data_untouched, lock_released),
        ),
        setup=importer_outside,
    ),
    Scenario(
        "delete-refused-by-cloudformation-is-a-failure",
        REFUSED_DELETE + "; here ListImports lags, so only CloudFormation's refusal shows it",
        ("delete", "--yes"),
        Expect(
            1,
            says=(
                "not deleted: stack app-test-storage: CREATE_COMPLETE (Export app-test-DataBucketName cannot be "
                "deleted as it is in use by app-other-consumer)",
                "storage  failed",
                "network  deleted",
            ),
            must=("DeleteStack~app-test-storage",),
        ),
        setup=both(importer_outside, fault(imports_unlisted=True)),
    ),
    Scenario(
        "delete-refused-before-emptying-for-termination-protection",
        PROTECTED,
        ("delete", "--yes"),
        Expect(
            1, says=("app-test-storage has termination protection. Fix:",), must_not=("DeleteObjects", "DeleteStack")
        ),
        setup=both(
            fill("app-test-data", 5),
            lambda world: setattr(world.cloudformation.stack(STORAGE), "termination_protection", True),
        ),
    ),
    Scenario(
        "delete-refused-before-emptying-for-object-lock",
        OBJECT_LOCK,
        ("delete", "--yes"),
        Expect(
            1,
            says=("bucket app-test-data of stack app-test-storage has Object Lock",),
            must_not=("DeleteObjects", "DeleteStack"),
        ),
        setup=lambda world: setattr(world.fake.s3.buckets["app-test-data"], "object_lock", True),
    ),
    Scenario(
        "delete-empties-what-goes-and-keeps-what-the-template-keeps",
        NOT_EMPTY,
        ("delete", "--yes"),
        Expect(
            0,
            says=("kept by their templates", "AWS::S3::Bucket app-test-kept (app-test-storage/KeptBucket)"),
            must=("DeleteObjects~app-test-data",),
            must_not=("DeleteObjects~app-test-kept",),
            before=(("DeleteObjects~app-test-data", "DeleteStack~app-test-storage"),),
            check=checks(everything_gone, kept_bucket_untouched),
        ),
        setup=both(fill("app-test-data", 3), fill("app-test-kept", 2)),
    ),
    Scenario(
        "delete-removes-a-review-only-stack-a-killed-run-left",
        REVIEW,
        ("delete", "--yes"),
        Expect(0, says=("app      deleted",), must=("DeleteStack~app-test-app",), check=everything_gone),
        setup=review_stack_left_by_killed_run,
    ),
    Scenario(
        "delete-failed-names-the-resource-that-stayed",
        NOT_EMPTY + " (objects written after it was emptied)",
        ("delete", "--yes"),
        Expect(
            1,
            says=(
                "not deleted: stack app-test-storage: DELETE_FAILED (The following resource(s) failed to delete: "
                "[DataBucket]. ): DataBucket (AWS::S3::Bucket): The bucket you tried to delete is not empty",
            ),
        ),
        setup=fault(objects_reappear={"app-test-data": 2}),
    ),
)
