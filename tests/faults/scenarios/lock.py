"""Fault matrix rows: the deploy lock and the change sets killed runs leave behind."""

from __future__ import annotations

from tests.faults.scenarios.common import (
    CONDITIONAL_PUT,
    EXECUTE_DELETES_OTHERS,
    LOCK_KEY,
    NO_WRITES,
    OTHER_RUN,
    STALE,
    Expect,
    Scenario,
    app_with_retention,
    assert_equal,
    both,
    change_set_left_by_killed_run,
    fault,
    fill,
    lock_held,
    lock_released,
)
from tests.faults.world import APP_STACK

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "a-second-run-is-refused-by-the-lock",
        CONDITIONAL_PUT,
        ("deploy",),
        Expect(
            1,
            says=(
                f"environment test is locked by run {OTHER_RUN} (bob@ci-7, pid 4242: python deploy.py deploy --env test)",
                f"--force-unlock {OTHER_RUN}",
            ),
            must=(f"PutObject~{LOCK_KEY}",),
            must_not=("CreateChangeSet~app-test", "ExecuteChangeSet", f"DeleteObject~{LOCK_KEY}"),
        ),
        setup=both(lock_held(), app_with_retention(5)),  # a change: a no-op takes no lock (noop.py)
    ),
    Scenario(
        "a-delete-is-refused-by-the-lock",
        CONDITIONAL_PUT,
        ("delete", "--yes"),
        Expect(
            1,
            says=(f"locked by run {OTHER_RUN}",),
            must_not=("DeleteObjects", "DeleteStack", f"DeleteObject~{LOCK_KEY}"),
        ),
        setup=both(lock_held(), fill("app-test-data", 3)),
    ),
    Scenario(
        "a-racing-lock-write-is-refused-too",
        CONDITIONAL_PUT,
        ("deploy",),
        Expect(1, says=(f"locked by run {OTHER_RUN}",), must_not=("CreateChangeSet~app-test",)),
        setup=both(lock_held(), fault(lock_write_conflict=True), app_with_retention(5)),
    ),
    Scenario(
        "a-stale-lock-is-named-and-broken-with-force-unlock",
        CONDITIONAL_PUT + "; a killed run leaves its lock",
        ("deploy",),
        Expect(1, says=("so that run is most likely dead", f"--force-unlock {OTHER_RUN}")),
        setup=both(lock_held(expired=True), app_with_retention(5)),
        then=(
            (
                ("deploy", "--force-unlock", OTHER_RUN),
                Expect(
                    0,
                    says=(f"broke the deploy lock of run {OTHER_RUN}", "app      updated"),
                    counts=((f"DeleteObject~{LOCK_KEY}", 2),),
                    check=lock_released,
                ),
            ),
        ),
    ),
    Scenario(
        "force-unlock-of-another-run-is-refused",
        CONDITIONAL_PUT,
        ("deploy", "--force-unlock", "20260301000000-nobody"),
        Expect(
            2,
            says=(f"is locked by run {OTHER_RUN}, not 20260301000000-nobody; nothing was unlocked",),
            must_not=(f"DeleteObject~{LOCK_KEY}",),
        ),
        setup=lock_held(),
    ),
    Scenario(
        "stale-change-sets-are-removed-before-a-new-one",
        EXECUTE_DELETES_OTHERS,
        ("deploy",),
        Expect(
            0,
            says=(f"deleting change set {STALE}, left by an earlier run", "app      updated"),
            before=((f"DeleteChangeSet~{STALE}", "CreateChangeSet~app-test-app"),),
        ),
        setup=both(app_with_retention(5), change_set_left_by_killed_run),
    ),
    Scenario(
        "plan-keeps-change-sets-it-did-not-make",
        EXECUTE_DELETES_OTHERS,
        ("plan",),
        Expect(
            3,
            must_not=(f"DeleteChangeSet~{STALE}", *NO_WRITES),
            check=lambda world, result: assert_equal(world.cloudformation.change_sets_of(APP_STACK), [STALE]),
        ),
        setup=both(app_with_retention(5), change_set_left_by_killed_run),
    ),
)
