"""Contract (botocore Stubber): the RDS reads a deploy makes after an update that changed a database's
parameter group (docs/deploy.md, "Database parameters that wait for a reboot"), with the shapes RDS
answers (DBClusterMember.DBClusterParameterGroupStatus, DBParameterGroupStatus.ParameterApplyStatus). No
network; botocore validates every request and stubbed response against the service model."""

from __future__ import annotations

import pytest

from stackyard.aws import AwsError, ParameterStatus, Rds
from tests.helpers.stubs import stubbed

REGION = "eu-west-1"


@pytest.fixture
def rds():
    yield from stubbed("rds", Rds, REGION)


def test_each_cluster_member_carries_the_cluster_parameter_group_status_and_whether_it_writes(rds):
    api, stubber = rds
    members = [
        {"DBInstanceIdentifier": "db-1", "IsClusterWriter": True, "DBClusterParameterGroupStatus": "pending-reboot"},
        {"DBInstanceIdentifier": "db-2", "IsClusterWriter": False, "DBClusterParameterGroupStatus": "in-sync"},
    ]
    stubber.add_response(
        "describe_db_clusters",
        {"DBClusters": [{"DBClusterIdentifier": "db", "DBClusterMembers": members}]},
        {"DBClusterIdentifier": "db"},
    )
    assert api.cluster_members("db") == [
        ParameterStatus("db-1", "pending-reboot", "db", writer=True),
        ParameterStatus("db-2", "in-sync", "db"),
    ]


def test_an_instance_of_its_own_carries_each_parameter_groups_apply_status(rds):
    api, stubber = rds
    groups = [{"DBParameterGroupName": "app-db", "ParameterApplyStatus": "applying"}]
    stubber.add_response(
        "describe_db_instances",
        {"DBInstances": [{"DBInstanceIdentifier": "db", "DBParameterGroups": groups}]},
        {"DBInstanceIdentifier": "db"},
    )
    assert api.instance("db") == [ParameterStatus("db", "applying")]


def test_a_refused_read_is_a_deploy_failure_naming_the_database(rds):
    api, stubber = rds
    stubber.add_client_error("describe_db_clusters", "AccessDenied", "not authorized to perform rds:DescribeDBClusters")
    with pytest.raises(AwsError, match="DB cluster db"):
        api.cluster_members("db")
