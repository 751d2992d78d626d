"""Fault matrix rows: a database parameter change that waits for a reboot is named, with the command that
reboots the instance (stackyard/deploy/reboots.py), rather than reported as done."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.faults.scenarios.common import Expect, Scenario
from tests.faults.scenarios.guard_setups import LOCK_RELEASED
from tests.faults.world import REGION, STORAGE_TEMPLATE, World

REBOOTS = (
    "RDS applies a static parameter (shared_preload_libraries) only when the instance reboots, and CloudFormation "
    "completes the update without rebooting; DescribeDBClusters says `applying`, then `pending-reboot`, per member "
    "(RDS User Guide, 'Modifying parameters in a DB cluster parameter group'; DBClusterMember API reference)"
)
CLUSTER, WRITER, READER = "app-test-db", "app-test-db-1", "app-test-db-2"


def storage_with_database(libraries: str) -> dict[str, Any]:
    template = json.loads(json.dumps(STORAGE_TEMPLATE))
    engine = {"Engine": "aurora-postgresql"}
    template["Resources"] |= {
        "ClusterParameters": {
            "Type": "AWS::RDS::DBClusterParameterGroup",
            "Properties": {
                "Family": "aurora-postgresql16",
                "Description": "audit",
                "Parameters": {"shared_preload_libraries": libraries},
            },
        },
        "Cluster": {
            "Type": "AWS::RDS::DBCluster",
            "DeletionPolicy": "Snapshot",
            "Properties": {
                **engine,
                "DBClusterIdentifier": CLUSTER,
                "DBClusterParameterGroupName": {"Ref": "ClusterParameters"},
            },
        },
        **{
            logical: {
                "Type": "AWS::RDS::DBInstance",
                "Properties": {
                    **engine,
                    "DBInstanceIdentifier": name,
                    "DBClusterIdentifier": {"Ref": "Cluster"},
                    "DBInstanceClass": "db.serverless",
                },
            }
            for logical, name in (("Writer", WRITER), ("Reader", READER))
        },
    }
    return template


def parameters_changed_after_first_run(statuses: dict[str, list[str]]) -> Callable[[World], None]:
    """Run 1 creates the cluster; then params change its parameter group, and RDS answers `statuses` in turn."""

    def setup(world: World) -> None:
        world.change("storage", storage_with_database("pg_stat_statements"))
        world.fake.rds.clusters[CLUSTER] = [(WRITER, True), (READER, False)]

        def change() -> None:
            world.change("storage", storage_with_database("pg_stat_statements,pgaudit"))
            world.fake.rds.statuses.update(statuses)

        world.fake.on(LOCK_RELEASED, change)

    return setup


def database_then_other_change(world: World) -> None:
    """Run 1 creates the cluster; then only the stack's outputs change."""
    world.change("storage", storage_with_database("pg_stat_statements"))
    world.fake.rds.clusters[CLUSTER] = [(WRITER, True), (READER, False)]
    changed = storage_with_database("pg_stat_statements")
    changed["Outputs"]["ClusterId"] = {"Value": {"Ref": "Cluster"}}
    world.fake.on(LOCK_RELEASED, lambda: world.change("storage", changed))


def reboot_command(instance: str) -> str:
    return f"aws rds reboot-db-instance --db-instance-identifier {instance} --region {REGION}"


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "a-static-parameter-change-names-the-instances-to-reboot",
        REBOOTS,
        ("deploy",),
        Expect(0, says=("storage  created",), must_not=("DescribeDBClusters",)),
        setup=parameters_changed_after_first_run(
            {WRITER: ["applying", "applying", "pending-reboot"], READER: ["pending-reboot"]}
        ),
        start="empty",
        then=(
            (
                ("deploy",),
                Expect(
                    0,
                    says=(
                        "storage  updated",
                        f"database {READER} waits for a reboot before its new parameters take effect",
                        f"database {WRITER} (the cluster's writer: rebooting it interrupts writes briefly)",
                        reboot_command(READER),
                        reboot_command(WRITER),
                    ),
                    must=(f"DescribeDBClusters~{CLUSTER}",),
                    before=(("ExecuteChangeSet", f"DescribeDBClusters~{CLUSTER}"),),
                ),
            ),
        ),
    ),
    Scenario(
        "a-dynamic-parameter-change-applied-at-once-says-nothing-more",
        REBOOTS + "; a dynamic parameter ends `in-sync` without a reboot",
        ("deploy",),
        Expect(0, says=("storage  created",)),
        setup=parameters_changed_after_first_run({WRITER: ["applying", "in-sync"], READER: ["in-sync"]}),
        start="empty",
        then=(
            (
                ("deploy",),
                Expect(
                    0,
                    says=("storage  updated",),
                    must=(f"DescribeDBClusters~{CLUSTER}",),
                    check=lambda world, result: _no_reboot_named(result.out),
                ),
            ),
        ),
    ),
    Scenario(
        "an-update-that-changes-no-parameter-group-reads-no-database",
        REBOOTS + "; only a modified parameter group can leave an instance waiting",
        ("deploy",),
        Expect(0, says=("storage  created",)),
        setup=database_then_other_change,
        start="empty",
        then=(
            (
                ("deploy",),
                Expect(0, says=("storage  updated",), must_not=("DescribeDBClusters", "DescribeDBInstances")),
            ),
        ),
    ),
)


def _no_reboot_named(output: str) -> None:
    assert "waits for a reboot" not in output and "reboot-db-instance" not in output, output
