"""After an update that changed a database's parameter group: which instances still wait for a reboot
(docs/deploy.md, "Database parameters that wait for a reboot").

CloudFormation completes the update once RDS has the new parameter group, but RDS applies a static
parameter (`shared_preload_libraries`, which loads pgaudit, is one) only when the instance reboots, and
neither CloudFormation nor a deploy reboots it: a reboot interrupts the database, so its time is the
team's to choose. A deploy that reported only "updated" would claim audit logging that is not running.
So after such an update the deploy waits while RDS still says `applying` (at most APPLYING_WAIT), then
names each instance left `pending-reboot` and the command that reboots it, readers before the writer.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from stackyard.aws import Aws, ParameterStatus, ResourceChange, StackReader
from stackyard.cfn import NESTED_STACK
from stackyard.deploy.stack_plan import StackPlan
from stackyard.deploy.watch import STEADY_DELAY, Watcher

PARAMETER_GROUPS = frozenset({"AWS::RDS::DBClusterParameterGroup", "AWS::RDS::DBParameterGroup"})
CLUSTER = "AWS::RDS::DBCluster"
INSTANCE = "AWS::RDS::DBInstance"
APPLYING = "applying"
PENDING_REBOOT = "pending-reboot"
IN_SYNC = "in-sync"
APPLYING_WAIT = timedelta(minutes=5)
GONE = ("DELETE_COMPLETE", "CREATE_FAILED", "DELETE_IN_PROGRESS")


def changes_parameters(changes: Iterable[ResourceChange]) -> bool:
    """Whether the change set modifies a DB (cluster) parameter group, in the stack or a nested one (pure)."""
    return any(change.resource_type in PARAMETER_GROUPS and change.action == "Modify" for change in changes)


def databases(reader: StackReader, stack_id: str) -> tuple[list[str], list[str]]:
    """The DB cluster and DB instance identifiers the stack and its nested stacks hold."""
    clusters: list[str] = []
    instances: list[str] = []
    for resource in reader.resources(stack_id):
        if resource.status in GONE or not resource.physical_id:
            continue
        if resource.resource_type == CLUSTER:
            clusters.append(resource.physical_id)
        elif resource.resource_type == INSTANCE:
            instances.append(resource.physical_id)
        elif resource.resource_type == NESTED_STACK and resource.physical_id.startswith("arn:"):
            nested_clusters, nested_instances = databases(reader, resource.physical_id)
            clusters += nested_clusters
            instances += nested_instances
    return clusters, instances


def reboot_lines(stack_name: str, region: str, statuses: list[ParameterStatus]) -> list[str]:
    """What to tell the user about each instance that waits for a reboot, or still applies (pure)."""
    pending = sorted({s for s in statuses if s.status == PENDING_REBOOT}, key=lambda s: (s.writer, s.instance))
    applying = sorted({s.instance for s in statuses if s.status == APPLYING})
    lines = []
    for status in pending:
        role = " (the cluster's writer: rebooting it interrupts writes briefly)" if status.writer else ""
        lines.append(
            f"stack {stack_name}: database {status.instance}{role} waits for a reboot before its new parameters "
            f"take effect. Reboot it when convenient: {reboot_command(status.instance, region)}"
        )
    if applying:
        lines.append(
            f"stack {stack_name}: RDS was still applying the new parameters to {', '.join(applying)} after "
            f"{int(APPLYING_WAIT.total_seconds() // 60)} min; if it then says pending-reboot, reboot it: "
            f"aws rds describe-db-instances --db-instance-identifier {applying[0]} --region {region}"
        )
    return lines


def reboot_command(instance: str, region: str) -> str:
    return f"aws rds reboot-db-instance --db-instance-identifier {instance} --region {region}"


class RebootCheck:
    def __init__(self, aws: Aws, watcher: Watcher):
        self.aws = aws
        self.watcher = watcher

    def after_update(self, plan: StackPlan, stack_id: str) -> list[str]:
        """The instances the update left waiting for a reboot; [] when it changed no parameter group."""
        if plan.change_set is None or not changes_parameters(plan.change_set.changes):
            return []
        clusters, instances = databases(self.aws.stack_reader(plan.region), stack_id)
        if not clusters and not instances:
            return []
        self.watcher.progress.state(plan.stack, "checking whether the new database parameters wait for a reboot")
        statuses = self._settled(plan.region, clusters, instances)
        return reboot_lines(plan.name, plan.region, statuses)

    def _settled(self, region: str, clusters: list[str], instances: list[str]) -> list[ParameterStatus]:
        """The statuses once none is `applying`, or APPLYING_WAIT has passed, or Ctrl-C was pressed."""
        rds, clock = self.aws.rds(region), self.watcher.clock
        deadline = clock.now() + APPLYING_WAIT
        while True:
            statuses = [status for cluster in clusters for status in rds.cluster_members(cluster)]
            members = {status.instance for status in statuses}  # a cluster's instances change with its group
            statuses += [
                status for instance in instances if instance not in members for status in rds.instance(instance)
            ]
            waiting = any(status.status == APPLYING for status in statuses)
            if not waiting or clock.now() >= deadline or self.watcher.interrupt.requested:
                return statuses
            clock.sleep(STEADY_DELAY, self.watcher.interrupt.event)
