"""Pure unit: what a deploy says about databases an update left waiting for a reboot (stackyard/deploy/reboots.py;
docs/deploy.md, "Database parameters that wait for a reboot")."""

from __future__ import annotations

from stackyard.aws import ParameterStatus, ResourceChange
from stackyard.deploy.reboots import changes_parameters, reboot_lines

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
