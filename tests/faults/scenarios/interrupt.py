"""Fault matrix rows: ctrl-C: nothing new starts, no further change set runs, and the next run recovers."""

from __future__ import annotations

from tests.faults.scenarios.common import (
    CTRL_C,
    Expect,
    Scenario,
    app_with_retention,
    both,
    checks,
    everything_gone,
    fill,
    interrupt_after,
    lock_released,
    network_changed,
    no_change_sets_left,
)

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "ctrl-c-while-a-change-set-is-made-withdraws-it",
        CTRL_C,
        ("deploy",),
        Expect(
            130,
            says=("interrupted: creating the change set of app-test-app; it was deleted",),
            must=("DeleteChangeSet",),
            must_not=("ExecuteChangeSet",),
            check=checks(no_change_sets_left, lock_released),
        ),
        setup=both(app_with_retention(5), interrupt_after("CreateChangeSet~app-test-app")),
    ),
    Scenario(
        "ctrl-c-while-executing-stops-watching-and-starts-nothing",
        CTRL_C,
        ("deploy",),
        Expect(
            130,
            says=(
                "stopped watching: stack app-test-network is UPDATE_IN_PROGRESS in CloudFormation and goes on there. "
                "Resume: python deploy.py deploy --env test",
                "app      not started",
            ),
            must_not=("CreateChangeSet~app-test-app",),
            check=lock_released,
        ),
        setup=both(network_changed, app_with_retention(5), interrupt_after("ExecuteChangeSet")),
        then=(
            (
                ("deploy",),
                Expect(
                    0,
                    says=(
                        "UPDATE_IN_PROGRESS: wait for the running operation",
                        "network  unchanged",
                        "app      updated",
                    ),
                    check=no_change_sets_left,
                ),
            ),
        ),
    ),
    Scenario(
        "ctrl-c-while-emptying-a-bucket-deletes-no-stack",
        CTRL_C,
        ("delete", "--yes"),
        Expect(
            130,
            says=("stopped emptying bucket app-test-data after 1000 object versions; the stack was not deleted",),
            counts=(("DeleteObjects", 1),),
            must_not=("DeleteStack~app-test-storage", "DeleteStack~app-test-network"),
            check=lock_released,
        ),
        setup=both(fill("app-test-data", 2500), interrupt_after("DeleteObjects")),
        then=((("delete", "--yes"), Expect(0, says=("storage  deleted",), check=everything_gone)),),
    ),
)
