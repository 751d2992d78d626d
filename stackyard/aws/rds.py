"""RDS reads: whether a database's parameter group changes have taken effect, or wait for a reboot.

RDS applies a dynamic parameter at once but a static one (e.g. `shared_preload_libraries`, which loads
pgaudit) only when the instance reboots, and CloudFormation never reboots it: the stack update completes
while the parameter waits. RDS reports it per instance (DescribeDBClusters, DBClusterMember.
DBClusterParameterGroupStatus; DescribeDBInstances, DBParameterGroupStatus.ParameterApplyStatus): `in-sync`,
`applying` while a change is being applied, `pending-reboot` when it waits for a reboot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stackyard.aws.errors import translated


@dataclass(frozen=True)
class ParameterStatus:
    instance: str  # the DB instance identifier
    status: str  # in-sync, applying, pending-reboot
    cluster: str = ""  # its Aurora cluster, "" for a DB instance of its own
    writer: bool = False  # the Aurora cluster's writer (its reboot interrupts writes)


class Rds:
    def __init__(self, client: Any):
        self.client = client

    def cluster_members(self, cluster: str) -> list[ParameterStatus]:
        """Each member of the Aurora cluster with the status of the cluster parameter group on it."""
        with translated(f"reading the parameter group status of DB cluster {cluster}"):
            found = self.client.describe_db_clusters(DBClusterIdentifier=cluster)["DBClusters"]
        members = found[0].get("DBClusterMembers", []) if found else []
        return [
            ParameterStatus(
                member["DBInstanceIdentifier"],
                member.get("DBClusterParameterGroupStatus", ""),
                cluster,
                bool(member.get("IsClusterWriter")),
            )
            for member in members
        ]

    def instance(self, instance: str) -> list[ParameterStatus]:
        """The status of each parameter group on the DB instance."""
        with translated(f"reading the parameter group status of DB instance {instance}"):
            found = self.client.describe_db_instances(DBInstanceIdentifier=instance)["DBInstances"]
        groups = found[0].get("DBParameterGroups", []) if found else []
        return [ParameterStatus(instance, group.get("ParameterApplyStatus", "")) for group in groups]
