"""The fault matrix's rows for the guards (docs/deploy.md, "Guards"): stack policies, rollback triggers, drift,
the CloudFormation service role and --no-rollback, each played as AWS documents it (tests/faults/fake_guards.py)
through deploy.py. docs/faults.md lists them under "Guards"."""

from __future__ import annotations

from stackyard.deploy.precheck import NO_LOCK
from stackyard.manifest import Guards
from tests.faults.scenarios.common import (
    NO_WRITES,
    Expect,
    Scenario,
    app_with_retention,
    both,
    checks,
    lock_released,
    nothing_called,
    queue_replaced,
    status,
)
from tests.faults.scenarios.guard_setups import (
    ALARM_ARN,
    ALARM_NAME,
    DRIFT,
    GUARD_WRITES,
    NESTED_POLICY,
    NO_ROLLBACK,
    OTHER_ROLE,
    POLICY,
    POLICY_DENIES,
    RETENTION_DRIFT,
    ROLE,
    SERVICE_ROLE,
    TRIGGERS,
    a_teammates_replacement_is_denied,
    alarm_deployed_then_changed,
    alarm_fires,
    app_with_alarm,
    drift,
    drift_of,
    every_write_as,
    guarded,
    logs_in_vpc,
    policy_put_back,
    protects_data,
    queue_fails_once,
    status_is,
    triggers_passed,
    triggers_then_turned_off,
)
from tests.faults.world import APP_STACK, NETWORK

TRIGGERED = Guards(rollback_triggers=True, rollback_monitoring_minutes=10)
DRIFT_CHECKED = Guards(drift_check=True)
NO_ROLLBACK_ALLOWED = Guards(allow_no_rollback=True)

GUARD_SCENARIOS: tuple[Scenario, ...] = (
    # --- stack policies -------------------------------------------------------------------------------
    Scenario(
        "stack-policy-is-set-once-a-stack-is-created",
        POLICY,
        ("deploy",),
        Expect(
            0,
            says=("stack policy set on storage", "stack policy set on app"),
            must=("SetStackPolicy~app-test-storage", "SetStackPolicy~app-test-app"),
            must_not=("SetStackPolicy~app-test-network",),
            before=(("ExecuteChangeSet", "SetStackPolicy"),),
            check=checks(protects_data, a_teammates_replacement_is_denied),
        ),
        setup=guarded(),
        start="empty",
    ),
    Scenario(
        "stack-policy-missing-on-a-deployed-stack-is-set-then-left-alone",
        POLICY + "; GetStackPolicy tells whether the deployed policy is the build's",
        ("deploy",),
        Expect(
            0,
            says=("storage  unchanged", "stack policy set on storage"),
            must=(
                "GetStackPolicy~app-test-storage",
                "SetStackPolicy~app-test-storage",
                "SetStackPolicy~app-test-app",
                "PutObject~locks/",  # a policy to set: not a no-op, so the lock is taken (noop.py)
            ),
            must_not=("CreateChangeSet~app-test-storage",),
            check=protects_data,
        ),
        setup=guarded(),
        then=(
            (
                ("deploy",),
                Expect(0, says=(NO_LOCK,), must=("GetStackPolicy~app-test-app",), must_not=("SetStackPolicy",)),
            ),
        ),
    ),
    Scenario(
        "plan-says-which-stack-policies-a-deploy-would-set",
        POLICY,
        ("plan",),
        Expect(
            3,
            says=("app      planned  would set the stack policy of app",),
            must=("GetStackPolicy~app-test-app",),
            must_not=(*NO_WRITES, *GUARD_WRITES),
        ),
        setup=guarded(),
    ),
    Scenario(
        "allow-replace-overrides-the-stack-policy-for-that-one-update",
        POLICY_DENIES,
        ("deploy", "--allow-replace", "--yes"),
        Expect(
            0,
            says=("stack policy of app overridden for this update: Queue", "app      updated"),
            must=("SetStackPolicy~LogicalResourceId/Queue",),
            before=(("SetStackPolicy~LogicalResourceId/Queue", "ExecuteChangeSet"),),
            counts=(("SetStackPolicy~app-test-app", 2),),
            check=policy_put_back,
        ),
        setup=both(guarded(), queue_replaced),
    ),
    Scenario(
        "plan-with-allow-replace-says-the-stack-policy-is-overridden",
        POLICY_DENIES,
        ("plan", "--allow-replace"),
        Expect(
            3,
            says=("stack policy overridden for this update: Queue (AWS::SQS::Queue) replaced",),
            must_not=(*NO_WRITES, *GUARD_WRITES),
        ),
        setup=both(guarded(), queue_replaced),
    ),
    Scenario(
        "stack-policy-denial-without-allow-replace-stops-before-execution",
        POLICY_DENIES,
        ("plan",),
        Expect(
            3,
            says=("STACK POLICY denies: Queue (AWS::SQS::Queue) replaced (a deploy needs --allow-replace)",),
            must_not=(*NO_WRITES, *GUARD_WRITES),
        ),
        setup=both(guarded(), queue_replaced),
        then=(
            (
                ("deploy",),
                Expect(1, says=("--allow-replace",), must_not=("ExecuteChangeSet", "SetStackPolicy~app-test-app")),
            ),
        ),
    ),
    Scenario(
        "nested-stacks-get-their-own-stack-policy",
        NESTED_POLICY,
        ("deploy",),
        Expect(
            0,
            says=("stack policy set on network/Vpc", "stack policy set on network"),
            must=("SetStackPolicy~stack/app-test-network-Vpc-", "SetStackPolicy~app-test-network"),
        ),
        setup=both(guarded(), logs_in_vpc),
        start="empty",
        nested=True,
    ),
    Scenario(
        "stack-policies-off-are-neither-read-nor-set",
        "An emulator without the stack policy API (LocalStack core: SetStackPolicy, GetStackPolicy not emulated)",
        ("deploy",),
        Expect(0, must_not=("GetStackPolicy", "SetStackPolicy")),
        setup=guarded(Guards(stack_policy="off")),
        start="empty",
    ),
    # --- rollback triggers ----------------------------------------------------------------------------
    Scenario(
        "alarm-created-by-the-update-is-not-a-trigger-yet",
        TRIGGERS,
        ("deploy",),
        Expect(
            0,
            says=(f"{ALARM_NAME}: created by this update, so not watched until it exists", "app      updated"),
            must_not=("CreateChangeSet~arn:aws:cloudwatch",),
            check=triggers_passed([], 10),
        ),
        setup=both(guarded(TRIGGERED), lambda world: world.change("app", app_with_alarm(retention=5))),
    ),
    Scenario(
        "monitoring-window-counts-down-then-the-update-commits",
        TRIGGERS,
        ("deploy",),
        Expect(0, says=("app      created",)),
        setup=both(guarded(TRIGGERED), alarm_deployed_then_changed),
        start="empty",
        then=(
            (
                ("deploy",),
                Expect(
                    0,
                    says=(
                        f"rollback monitoring: 10 min left, watching alarms {ALARM_NAME}",
                        "rollback monitoring: 1 min left",
                        "app      updated",
                    ),
                    check=triggers_passed([ALARM_ARN], 10),
                ),
            ),
        ),
    ),
    Scenario(
        "triggers-turned-off-are-removed-from-the-stack",
        TRIGGERS + "; a change set without a RollbackConfiguration keeps the stack's triggers, an empty list removes "
        "them (RollbackConfiguration.RollbackTriggers, API reference)",
        ("deploy",),
        Expect(0, says=("app      created",)),
        setup=both(guarded(TRIGGERED), triggers_then_turned_off),
        start="empty",
        then=(
            (("deploy",), Expect(0, says=("app      updated",), check=triggers_passed([ALARM_ARN], 10))),
            (
                ("deploy",),  # the alarm goes into ALARM during this update: nothing watches it any more
                Expect(
                    0,
                    says=("app      updated",),
                    check=checks(triggers_passed([], 0), status_is(APP_STACK, "UPDATE_COMPLETE")),
                ),
            ),
        ),
    ),
    Scenario(
        "alarm-in-the-monitoring-window-rolls-back-and-is-named",
        TRIGGERS + "; the reason's wording is not documented, so the alarm is recognised by its ARN",
        ("deploy",),
        Expect(0, says=("app      created",)),
        setup=both(guarded(TRIGGERED), alarm_deployed_then_changed, alarm_fires(180)),
        start="empty",
        then=(
            (
                ("deploy",),
                Expect(
                    1,
                    says=(
                        "stack app-test-app: UPDATE_ROLLBACK_COMPLETE",
                        f"Rolled back by the rollback trigger alarm '{ALARM_NAME}', which went into ALARM",
                        "app      failed",
                    ),
                    check=checks(status_is(APP_STACK, "UPDATE_ROLLBACK_COMPLETE"), lock_released),
                ),
            ),
        ),
    ),
    # --- drift ----------------------------------------------------------------------------------------
    Scenario(
        "drifted-stateful-resource-stops-the-update",
        DRIFT,
        ("deploy",),
        Expect(
            1,
            says=(
                "stateful resources drifted from the template (changed outside CloudFormation): Queue "
                "(AWS::SQS::Queue) MODIFIED: /MessageRetentionPeriod",
                "or deploy with --ignore-drift",
            ),
            must=("DetectStackDrift~app-test-app", "DeleteChangeSet"),
            must_not=("ExecuteChangeSet",),
        ),
        setup=both(guarded(DRIFT_CHECKED), app_with_retention(5), drift_of("app-test-app/Queue", RETENTION_DRIFT)),
    ),
    Scenario(
        "ignore-drift-updates-the-drifted-stack",
        DRIFT,
        ("deploy", "--ignore-drift"),
        Expect(0, says=("app      updated",), must=("DetectStackDrift~app-test-app", "ExecuteChangeSet")),
        setup=both(guarded(DRIFT_CHECKED), app_with_retention(5), drift_of("app-test-app/Queue", RETENTION_DRIFT)),
    ),
    Scenario(
        "plan-reports-drift",
        DRIFT,
        ("plan",),
        Expect(
            3,
            says=("DRIFTED: Queue (AWS::SQS::Queue) MODIFIED: /MessageRetentionPeriod", "a deploy would stop"),
            must=("DetectStackDrift~app-test-app",),
            must_not=(*NO_WRITES, *GUARD_WRITES),
        ),
        setup=both(guarded(DRIFT_CHECKED), app_with_retention(5), drift_of("app-test-app/Queue", RETENTION_DRIFT)),
    ),
    Scenario(
        "drift-that-cannot-be-checked-is-reported-not-blocking",
        DRIFT + "; DETECTION_FAILED when the caller cannot read a resource",
        ("deploy",),
        Expect(0, says=("app: drift detection failed (Failed to detect drift", "app      updated")),
        setup=both(
            guarded(DRIFT_CHECKED),
            app_with_retention(5),
            lambda world: world.cloudformation.guard_faults.drift_fails.add(APP_STACK),
        ),
    ),
    Scenario(
        "drift-verb-shows-expected-and-actual-nested-stacks-included",
        DRIFT,
        ("drift",),
        Expect(
            3,
            says=(
                "drifted resources:",
                "app      Queue       AWS::SQS::Queue   NOT_EQUAL  /MessageRetentionPeriod  4         1209600",
                "network  Vpc/Subnet  AWS::EC2::Subnet  DELETED",
            ),
            must=("DetectStackDrift~stack/app-test-network-Vpc-", "DetectStackDrift~app-test-storage"),
            must_not=(*NO_WRITES, "CreateChangeSet", *GUARD_WRITES),
        ),
        setup=drift(**{"app-test-app/Queue": RETENTION_DRIFT, "Subnet": "DELETED"}),
        nested=True,
    ),
    Scenario(
        "drift-verb-of-an-environment-in-sync-exits-0",
        DRIFT,
        ("drift",),
        Expect(0, says=("no drift found", "app      in sync"), must_not=(*NO_WRITES, "CreateChangeSet")),
    ),
    # --- the CloudFormation service role --------------------------------------------------------------
    Scenario(
        "service-role-is-passed-on-every-create-and-delete",
        SERVICE_ROLE + "; a role that does not exist fails the operation, so the role a stack of the environment "
        "creates is passed once that stack is deployed",
        ("deploy",),
        # The artifact bucket's stack comes first, before network (which creates the role) is deployed.
        Expect(
            0,
            says=(
                "deployed as the caller: the service role params' guards.role_arn names is created by stack network",
            ),
            check=every_write_as(ROLE, not_for=(NETWORK, "stackyard-bootstrap")),
        ),
        setup=guarded(Guards(role_arn=ROLE), holds_role=frozenset({"network"})),
        start="empty",
        then=((("delete", "--yes", "--delete-artifacts"), Expect(0, check=every_write_as(ROLE, not_for=(NETWORK,)))),),
    ),
    Scenario(
        "service-role-from-the-command-line-passed-on-recoveries",
        SERVICE_ROLE,
        ("deploy", "--role-arn", OTHER_ROLE),
        Expect(0, counts=(("ContinueUpdateRollback", 1),), check=every_write_as(OTHER_ROLE)),
        setup=both(
            guarded(Guards(role_arn=ROLE)),
            status(APP_STACK, "UPDATE_ROLLBACK_FAILED", "The following resource(s) failed to update: [Queue]."),
        ),
    ),
    Scenario(
        "plan-passes-no-service-role",
        SERVICE_ROLE + "; a plan's change sets never run",
        ("plan",),
        Expect(
            3, must=("CreateChangeSet~app-test-app",), must_not=("CreateChangeSet~RoleARN", "CreateChangeSet~role/")
        ),
        setup=both(guarded(Guards(role_arn=ROLE)), app_with_retention(5)),
    ),
    # --- --no-rollback --------------------------------------------------------------------------------
    Scenario(
        "no-rollback-keeps-the-failed-update-then-rolls-it-back-first",
        NO_ROLLBACK,
        ("deploy", "--no-rollback"),
        Expect(
            1,
            says=("Kept as it failed (--no-rollback) for inspection", "app      failed"),
            must=("ExecuteChangeSet~True",),
            check=status_is(APP_STACK, "UPDATE_FAILED"),
        ),
        setup=both(guarded(NO_ROLLBACK_ALLOWED), app_with_retention(5), queue_fails_once),
        then=(
            (
                ("deploy",),
                Expect(
                    0,
                    says=("rolling it back first (RollbackStack)", "app      updated"),
                    before=(("RollbackStack~app-test-app", "CreateChangeSet~app-test-app"),),
                    must_not=("ExecuteChangeSet~True",),
                ),
            ),
        ),
    ),
    Scenario(
        "no-rollback-then-retry-with-no-rollback",
        NO_ROLLBACK,
        ("deploy", "--no-rollback"),
        Expect(1, check=status_is(APP_STACK, "UPDATE_FAILED")),
        setup=both(guarded(NO_ROLLBACK_ALLOWED), app_with_retention(5), queue_fails_once),
        then=(
            (
                ("deploy", "--no-rollback"),
                Expect(
                    0,
                    says=("retrying the update, with rollback disabled again", "app      updated"),
                    must=("ExecuteChangeSet~True",),
                    must_not=("RollbackStack",),
                ),
            ),
        ),
    ),
    Scenario(
        "plan-of-a-kept-failure-says-it-would-roll-back",
        NO_ROLLBACK,
        ("plan",),
        Expect(
            3,
            says=("would roll back the update kept failed by --no-rollback",),
            must_not=(*NO_WRITES, *GUARD_WRITES),
        ),
        setup=both(guarded(NO_ROLLBACK_ALLOWED), status(APP_STACK, "UPDATE_FAILED", "Queue failed")),
    ),
    Scenario(
        "no-rollback-refuses-a-replacement-before-executing",
        NO_ROLLBACK,
        ("deploy", "--no-rollback", "--allow-replace", "--yes"),
        Expect(
            1,
            says=("CloudFormation refuses replacements while rollback is disabled. Fix: deploy without --no-rollback",),
            must=("DeleteChangeSet",),
            must_not=("ExecuteChangeSet",),
        ),
        setup=both(guarded(NO_ROLLBACK_ALLOWED), queue_replaced),
    ),
    Scenario(
        "no-rollback-is-refused-where-params-do-not-allow-it",
        "Production keeps no failed update: bad input, nothing reaches AWS (docs/deploy.md, 'Exit codes')",
        ("deploy", "--no-rollback"),
        Expect(2, says=("keeps no failed update (params guards.allow_no_rollback is false",), check=nothing_called),
        setup=guarded(Guards(allow_no_rollback=False)),
    ),
)
