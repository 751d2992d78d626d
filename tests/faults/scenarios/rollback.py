"""Fault matrix rows: failed update rollbacks (issue 11 item 4), continued once per run with a token of
that run, the resources that keep failing named (inside nested stacks too), --skip-resources; and the
statuses a deploy meets besides (IMPORT_ROLLBACK_FAILED, UPDATE_FAILED)."""

from __future__ import annotations

from tests.faults.scenarios.common import (
    NO_WRITES,
    ROLLBACK_FAILED,
    Expect,
    Scenario,
    status,
)
from tests.faults.world import APP_STACK, NETWORK, Result, World

NESTED_SKIP = (
    ROLLBACK_FAILED + "; a nested stack's resource is skipped as NestedStackName.LogicalId (User Guide, 'Using "
    "ResourcesToSkip to recover a nested stacks hierarchy')"
)
STATUS_CODES = "CloudFormation User Guide, 'Stack status codes'"
CHANGED = "Resource handler returned message: the queue was deleted outside CloudFormation"


def rollback_failed(stack: str, failing: dict[str, str], keeps_failing: bool = True) -> object:
    return lambda world: world.cloudformation.fail_rollback(stack, failing, keeps_failing)


def tokens_differ_between_runs(world: World, result: Result) -> None:
    tokens = [call.params["ClientRequestToken"] for call in world.fake.called("ContinueUpdateRollback")]
    assert len(tokens) == 2 and len(set(tokens)) == 2, tokens


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "update-rollback-failed-is-continued-once",
        ROLLBACK_FAILED,
        ("deploy",),
        Expect(
            0,
            says=("UPDATE_ROLLBACK_FAILED: continue the failed update rollback", "app      unchanged"),
            counts=(("ContinueUpdateRollback", 1),),
        ),
        setup=status(APP_STACK, "UPDATE_ROLLBACK_FAILED", "The following resource(s) failed to update: [Queue]."),
    ),
    Scenario(
        "update-rollback-failing-again-names-the-resources-and-stops",
        ROLLBACK_FAILED,
        ("deploy",),
        Expect(
            1,
            says=(
                "stack app-test-app is still UPDATE_ROLLBACK_FAILED after continuing its rollback once in this run",
                f"Failed to roll back: Queue (AWS::SQS::Queue): {CHANGED}",
                "--only app --skip-resources Queue (CloudFormation marks skipped resources UPDATE_COMPLETE",
            ),
            counts=(("ContinueUpdateRollback", 1),),
            must_not=("CreateChangeSet~app-test-app",),
        ),
        setup=rollback_failed(APP_STACK, {"Queue": CHANGED}),
        then=(
            (
                ("deploy",),
                Expect(1, counts=(("ContinueUpdateRollback", 1),), check=tokens_differ_between_runs),
            ),
        ),
    ),
    Scenario(
        "plan-names-the-resources-whose-rollback-failed",
        ROLLBACK_FAILED,
        ("plan",),
        Expect(
            3,
            says=(f"failed to roll back: Queue (AWS::SQS::Queue): {CHANGED}", "would continue the failed update"),
            must_not=NO_WRITES,
        ),
        setup=rollback_failed(APP_STACK, {"Queue": CHANGED}),
    ),
    Scenario(
        "skip-resources-lets-the-rollback-finish",
        ROLLBACK_FAILED,
        ("deploy", "--only", "app", "--skip-resources", "Queue"),
        Expect(
            0,
            says=("skipping Queue in the rollback: CloudFormation marks skipped resources", "app    unchanged"),
            must=("ContinueUpdateRollback~['Queue']",),
            counts=(("ContinueUpdateRollback", 1),),
        ),
        setup=rollback_failed(APP_STACK, {"Queue": CHANGED}),
    ),
    Scenario(
        "nested-rollback-failure-is-named-and-skipped-by-the-nested-stacks-name",
        NESTED_SKIP,
        ("deploy",),
        Expect(
            1,
            says=(
                "Failed to roll back: Vpc/Subnet (AWS::EC2::Subnet): " + CHANGED.replace("queue", "subnet"),
                "--only network --skip-resources Vpc.Subnet",
            ),
        ),
        setup=rollback_failed(NETWORK, {"Vpc/Subnet": CHANGED.replace("queue", "subnet")}),
        nested=True,
        then=(
            (
                ("deploy", "--only", "network", "--skip-resources", "Vpc.Subnet"),
                Expect(
                    0,
                    says=("network  unchanged",),
                    must=("ContinueUpdateRollback~app-test-network-Vpc-",),
                    must_not=("ContinueUpdateRollback~'Vpc.Subnet'",),
                ),
            ),
        ),
    ),
    Scenario(
        "skip-resources-naming-a-resource-whose-rollback-did-not-fail-is-bad-input",
        ROLLBACK_FAILED + "; only a resource whose rollback failed can be skipped (ContinueUpdateRollback API)",
        ("deploy", "--only", "app", "--skip-resources", "Group"),
        Expect(
            2,
            says=(
                "--skip-resources Group: stack app-test-app has no resource of that name whose rollback failed",
                "the ones that failed: Queue",
            ),
            must_not=("ContinueUpdateRollback", "PutObject", *NO_WRITES),
        ),
        setup=rollback_failed(APP_STACK, {"Queue": CHANGED}),
    ),
    Scenario(
        "import-rollback-failed-is-refused-with-the-fix",
        f"IMPORT_ROLLBACK_FAILED: an import's rollback failed for at least one resource ({STATUS_CODES})",
        ("deploy",),
        Expect(
            1,
            says=("a resource import failed and could not be rolled back (IMPORT_ROLLBACK_FAILED: Bucket failed)",),
            must_not=("CreateChangeSet~app-test-app", "ContinueUpdateRollback", "DeleteStack"),
        ),
        setup=status(APP_STACK, "IMPORT_ROLLBACK_FAILED", "Bucket failed"),
    ),
)
