"""Pure unit: what a deploy says about databases an update left waiting for a reboot (stackyard/deploy/reboots.py;
docs/deploy.md, "Database parameters that wait for a reboot"), and verify's check of the same, against RDS's
answers scripted in a client of this module (ScriptedRds)."""

from __future__ import annotations

from pathlib import Path

from stackyard.aws import Aws, DeployedStack, ParameterStatus, ResourceChange, StackResource
from stackyard.config.verify import PlannedCheck
from stackyard.deploy.environment import DeployOptions, Environment
from stackyard.deploy.reboots import changes_parameters, reboot_lines
from stackyard.deploy.verify.context import VerifyContext
from stackyard.deploy.verify.probes import Probes
from stackyard.deploy.verify.runner import run_check
from tests.helpers.manifests import manifest, stack_entry

REGION = "eu-west-1"


def test_readers_are_named_before_the_writer_and_an_instance_still_applying_is_said_so():
    statuses = [
        ParameterStatus("db-1", "pending-reboot", "db", writer=True),
        ParameterStatus("db-3", "applying", "db"),
        ParameterStatus("db-2", "pending-reboot", "db"),
        ParameterStatus("db-4", "in-sync", "db"),
    ]
    lines = reboot_lines("app-prod-database", REGION, statuses)
    assert [line.split("database ")[1].split(" ")[0] for line in lines[:2]] == ["db-2", "db-1"]
    assert "writer" in lines[1] and "writer" not in lines[0]
    assert f"--db-instance-identifier db-2 --region {REGION}" in lines[0]
    assert lines[2].startswith("stack app-prod-database: RDS was still applying the new parameters to db-3 after 5 min")
    assert len(lines) == 3


def test_only_a_modified_parameter_group_can_leave_an_instance_waiting():
    group = ResourceChange("Modify", "ClusterParameters", "AWS::RDS::DBClusterParameterGroup", "False", "Database")
    assert changes_parameters([group])
    assert not changes_parameters([ResourceChange("Add", "ClusterParameters", group.resource_type, "")])
    assert not changes_parameters([ResourceChange("Modify", "Cluster", "AWS::RDS::DBCluster", "False")])


class ScriptedRds:
    """RDS's answers for one cluster (a writer waiting for a reboot, a reader still applying) and one instance
    of its own in sync (DescribeDBClusters, DescribeDBInstances API references)."""

    def describe_db_clusters(self, DBClusterIdentifier: str) -> dict:
        members = [
            {
                "DBInstanceIdentifier": "db-1",
                "IsClusterWriter": True,
                "DBClusterParameterGroupStatus": "pending-reboot",
            },
            {"DBInstanceIdentifier": "db-2", "IsClusterWriter": False, "DBClusterParameterGroupStatus": "applying"},
        ]
        return {"DBClusters": [{"DBClusterIdentifier": DBClusterIdentifier, "DBClusterMembers": members}]}

    def describe_db_instances(self, DBInstanceIdentifier: str) -> dict:
        groups = [{"DBParameterGroupName": "solo", "ParameterApplyStatus": "in-sync"}]
        return {"DBInstances": [{"DBInstanceIdentifier": DBInstanceIdentifier, "DBParameterGroups": groups}]}


def test_verify_fails_naming_each_database_that_waits_for_a_reboot_or_still_applies():
    entry = stack_entry("app-test-database", REGION)
    context = VerifyContext(
        Aws(client_factory=lambda service, region, config: ScriptedRds()),
        Environment(manifest("test", REGION, {"database": entry}), Path(".")),
        DeployOptions(),
        Probes(),
        2,
    )
    context.deployed["database"] = DeployedStack(
        "app-test-database", "arn:database", "UPDATE_COMPLETE", None, {}, {}, {}, False
    )
    context.listed["arn:database"] = [
        StackResource("Cluster", "AWS::RDS::DBCluster", "db", "UPDATE_COMPLETE"),
        StackResource("Writer", "AWS::RDS::DBInstance", "db-1", "UPDATE_COMPLETE"),
        StackResource("Solo", "AWS::RDS::DBInstance", "solo", "UPDATE_COMPLETE"),
    ]
    result = run_check(PlannedCheck("database-parameters-applied", "database-parameters", "", ""), context)
    assert result.result == "FAIL"
    assert result.evidence == (
        f"db-1 pending-reboot (reboot: aws rds reboot-db-instance --db-instance-identifier db-1 --region {REGION}); "
        "db-2 applying"
    )
