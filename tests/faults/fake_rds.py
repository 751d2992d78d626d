"""The fault matrix's RDS: the parameter group status of the databases the fake stacks hold.

Answers as RDS does (DescribeDBClusters and DescribeDBInstances API references): a cluster's members each
carry DBClusterParameterGroupStatus, an instance's parameter groups each a ParameterApplyStatus: `in-sync`,
`applying` while a change is applied, `pending-reboot` when a static parameter waits for the instance's
reboot (RDS User Guide, "Modifying parameters in a DB cluster parameter group": static parameters take
effect after a manual reboot). A cluster or instance no stack holds is DBClusterNotFoundFault /
DBInstanceNotFound.
"""

from __future__ import annotations

from typing import Any

from tests.faults.answers import aws_error

IN_SYNC = "in-sync"


class FakeRds:
    def __init__(self) -> None:
        self.clusters: dict[str, list[tuple[str, bool]]] = {}  # cluster id -> (instance id, is writer)
        self.instances: set[str] = set()  # DB instances of their own (not in a cluster)
        # instance id -> the statuses successive reads answer (the last one stays)
        self.statuses: dict[str, list[str]] = {}

    def describe_db_clusters(self, DBClusterIdentifier: str, **_: Any) -> dict[str, Any]:
        if DBClusterIdentifier not in self.clusters:
            raise aws_error(
                "DescribeDBClusters", "DBClusterNotFoundFault", f"DBCluster {DBClusterIdentifier} not found."
            )
        members = [
            {
                "DBInstanceIdentifier": instance,
                "IsClusterWriter": writer,
                "DBClusterParameterGroupStatus": self._read(instance),
            }
            for instance, writer in self.clusters[DBClusterIdentifier]
        ]
        return {"DBClusters": [{"DBClusterIdentifier": DBClusterIdentifier, "DBClusterMembers": members}]}

    def describe_db_instances(self, DBInstanceIdentifier: str, **_: Any) -> dict[str, Any]:
        in_cluster = {instance for members in self.clusters.values() for instance, _ in members}
        if DBInstanceIdentifier not in self.instances | in_cluster:
            raise aws_error(
                "DescribeDBInstances", "DBInstanceNotFound", f"DBInstance {DBInstanceIdentifier} not found."
            )
        # a cluster member's own (instance-level) parameter group is not what the scenarios change
        status = IN_SYNC if DBInstanceIdentifier in in_cluster else self._read(DBInstanceIdentifier)
        groups = [{"DBParameterGroupName": "default", "ParameterApplyStatus": status}]
        return {"DBInstances": [{"DBInstanceIdentifier": DBInstanceIdentifier, "DBParameterGroups": groups}]}

    def _read(self, instance: str) -> str:
        queued = self.statuses.get(instance, [IN_SYNC])
        return queued.pop(0) if len(queued) > 1 else queued[0]
