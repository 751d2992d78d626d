"""Pure unit: rule E9007 (lint_rules/alarm_coverage.py, "Load balancers, databases, dead-letter queues and ECS services have alarms") on its table of snippets.

Each failing snippet yields exactly E9007, its messages naming the resource and the fix; each passing
snippet yields no project finding (cfn-lint's own findings are left out: snippets are minimal).
"""

from __future__ import annotations

import pytest

from tests.helpers.lint_snippets import (
    APP,
    ENV,
    alarm,
    alb,
    alb_alarms,
    assert_case_holds,
    case_ids,
    ecs_service,
    fails,
    getatt,
    instance_alarms,
    monitored_cluster,
    passes,
    queues,
    rds_instance,
    ref,
    res,
    template,
)

CASES = [
    passes(
        "E9007",
        "alb-cluster-instance-and-dlq-alarmed",
        template(
            {
                "Alb": alb(),
                **alb_alarms(),
                **monitored_cluster(ServerlessV2ScalingConfiguration={"MinCapacity": 0.5, "MaxCapacity": 2}),
                "CapacityAlarm": alarm("AWS/RDS", "ACUUtilization", DBClusterIdentifier=ref("Cluster")),
                # the cluster's member: watched through the cluster
                "Writer": res(
                    "AWS::RDS::DBInstance",
                    Engine="aurora-postgresql",
                    DBInstanceClass="db.serverless",
                    DBClusterIdentifier=ref("Cluster"),
                ),
                "Database": rds_instance(),
                **instance_alarms(),
                **queues(dlq_alarm=True),
            }
        ),
    ),
    fails(
        "E9007",
        "alb-health-alarm-on-another-balancer",
        "Resource Alb",
        template(
            {
                "Alb": alb(),
                **alb_alarms(unhealthy_on="app/other-alb/0123456789abcdef"),
            }
        ),
    ),
    fails(
        "E9007",
        "serverless-cluster-without-capacity-alarm",
        "Resource Cluster",
        template(monitored_cluster(ServerlessV2ScalingConfiguration={"MinCapacity": 0.5, "MaxCapacity": 2})),
    ),
    fails(
        "E9007",
        "cluster-without-connection-failure-alarm",
        "Resource Cluster",
        template(
            {name: resource for name, resource in monitored_cluster().items() if name != "ConnectionFailureAlarm"}
        ),
    ),
    fails(
        "E9007",
        "instance-without-cpu-alarm",
        "Resource Database",
        template({"Database": rds_instance(), **instance_alarms(leave_out="InstanceCpuAlarm")}),
    ),
    fails(
        "E9007",
        "instance-without-free-storage-alarm",
        "Resource Database",
        template({"Database": rds_instance(), **instance_alarms(leave_out="InstanceFreeStorageAlarm")}),
    ),
    fails(
        "E9007",
        "instance-without-connection-failure-alarm",
        "Resource Database",
        template({"Database": rds_instance(), **instance_alarms(leave_out="InstanceConnectionFailureAlarm")}),
    ),
    fails(
        "E9007",
        "instance-alarms-watch-another-instance",
        "Resource Replica",
        template(
            {
                "Database": rds_instance(),
                **instance_alarms(),
                "Replica": rds_instance(DBInstanceIdentifier=f"{APP}-{ENV}-replica"),
            }
        ),
    ),
    fails(
        "E9007", "dead-letter-queue-without-alarm", "Resource JobsDeadLetterQueue", template(queues(dlq_alarm=False))
    ),
    passes("E9007", "ecs-service-with-running-task-alarm", template(ecs_service(task_alarm_on="Name"))),
    passes("E9007", "ecs-service-alarmed-by-its-literal-name", template(ecs_service(task_alarm_on=f"{APP}-{ENV}-api"))),
    fails(
        "E9007", "ecs-service-without-running-task-alarm", "Resource Service", template(ecs_service(task_alarm_on=None))
    ),
    fails(
        "E9007",
        "ecs-service-alarmed-on-cpu-only",
        "Resource Service",
        template(
            {
                **ecs_service(task_alarm_on=None),
                "CpuAlarm": alarm(
                    "AWS/ECS", "CPUUtilization", ClusterName=ref("Cluster"), ServiceName=getatt("Service", "Name")
                ),
            }
        ),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_rule_on_snippet(lint, case):
    assert_case_holds(lint(case.document), case)
