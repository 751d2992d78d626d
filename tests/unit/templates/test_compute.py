"""Pure unit: the compute stack's template holds the facts of seed 000 §1.7."""

from __future__ import annotations

import http.client
import re
import shutil
import socket
import subprocess
import sys
import time

import pytest

from stackyard.build import build_environment
from stackyard.config import load_configs
from stackyard.manifest import ParameterSource
from tests.helpers import ENVS, PARAMS_DIR, ROOT, picked, properties, resources, template

AL2023_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
BUCKETS = ("RawLanding", "ProcessedZone", "Attachments", "Exports", "AuditLogs")
QUEUES = ("LineWebhook", "Notification", "Export")
PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
# The only services §1.7 lets the app server use, plus writing its own logs.
ALLOWED_SERVICES = {"s3", "sqs", "secretsmanager", "kms", "ses", "cognito-idp", "logs"}


def compute(builds, env):
    return template(builds, env, "compute.json")


def imported(env, name):
    return {"Fn::ImportValue": f"one-system-{env}-{name}"}


def exported(builds, env, export_name):
    """(stack, value) of the output that exports `export_name` in the environment."""
    for stack in builds[env].stacks.values():
        for output in stack.template.document.get("Outputs", {}).values():
            if output.get("Export", {}).get("Name") == export_name:
                return stack.name, output["Value"]
    raise KeyError(export_name)


def policy_statements(builds, env, name="app-server"):
    """The statements of the role's policy `name`: app-server (§1.7's grants) or session-manager."""
    policies = properties(compute(builds, env), "AppServerRole")["Policies"]
    [policy] = [policy for policy in policies if policy["PolicyName"] == name]
    return policy["PolicyDocument"]["Statement"]


def rendered_user_data(builds, env):
    """The boot script as the instance would see it, with each Fn::Sub variable shown as the export it imports."""
    script, variables = properties(compute(builds, env), "AppServer")["UserData"]["Fn::Base64"]["Fn::Sub"]
    used = set(PLACEHOLDER.findall(script))
    assert used - set(variables) == {"AWS::Region"}, "every placeholder is a pseudo parameter or has a value"
    assert set(variables) <= used, "every substitution is used"
    values = {name: value["Fn::ImportValue"] for name, value in variables.items()}
    values["AWS::Region"] = "ap-southeast-1"
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], script)


def heredoc(script, command):
    """The body of the heredoc that `command` (e.g. `cat > /etc/x <<'EOF'`) writes."""
    start = script.index(command) + len(command) + 1
    marker = command.rsplit("<<", 1)[1].strip("'\"")
    return script[start : script.index(f"\n{marker}\n", start)]


@pytest.mark.parametrize("env", ENVS)
def test_one_t3_small_running_the_latest_amazon_linux_2023(builds, env):
    document = compute(builds, env)
    assert list(resources(document, "AWS::EC2::Instance")) == ["AppServer"]
    server = properties(document, "AppServer")
    assert picked(server, "InstanceType", "ImageId") == {"InstanceType": "t3.small", "ImageId": {"Ref": "ImageId"}}
    assert picked(document["Parameters"]["ImageId"], "Type", "Default") == {
        "Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
        "Default": AL2023_PARAMETER,
    }


@pytest.mark.parametrize("env", ENVS)
def test_app_server_sits_in_the_first_private_subnet_behind_the_app_group(builds, env):
    server = properties(compute(builds, env), "AppServer")
    assert server["SubnetId"] == {"Fn::Select": [0, {"Fn::Split": [",", imported(env, "PrivateSubnetIds")]}]}
    assert server["SecurityGroupIds"] == [imported(env, "AppSecurityGroupId")]
    assert exported(builds, env, f"one-system-{env}-AppSecurityGroupId") == (
        "network",
        {"Fn::GetAtt": ["SecurityGroups", "Outputs.AppSecurityGroupId"]},
    )
    assert "NetworkInterfaces" not in server  # no public address


@pytest.mark.parametrize("env", ENVS)
def test_metadata_needs_imdsv2_tokens_and_the_root_volume_is_encrypted_gp3(builds, env):
    server = properties(compute(builds, env), "AppServer")
    assert server["MetadataOptions"]["HttpTokens"] == "required"
    assert server["BlockDeviceMappings"] == [
        {
            "DeviceName": "/dev/xvda",
            "Ebs": {"VolumeSize": 30, "VolumeType": "gp3", "Encrypted": True, "DeleteOnTermination": True},
        }
    ]


@pytest.mark.parametrize("env", ENVS)
def test_instance_profile_carries_the_role_ec2_may_assume(builds, env):
    document = compute(builds, env)
    assert properties(document, "AppServer")["IamInstanceProfile"] == {"Ref": "AppServerInstanceProfile"}
    assert properties(document, "AppServerInstanceProfile")["Roles"] == [{"Ref": "AppServerRole"}]
    [trust] = properties(document, "AppServerRole")["AssumeRolePolicyDocument"]["Statement"]
    assert picked(trust, "Effect", "Principal", "Action") == {
        "Effect": "Allow",
        "Principal": {"Service": "ec2.amazonaws.com"},
        "Action": ["sts:AssumeRole"],
    }


@pytest.mark.parametrize("env", ENVS)
def test_role_grants_what_section_1_7_lists_on_this_environments_resources_narrowed_to_objects_and_messages(
    builds, env
):
    """§1.7 asks for s3:* and sqs:* on the project's buckets and queues; the role gets what the app does with
    objects and messages, and the Object Lock (audit) bucket write-only (issue 13, docs/security.md)."""
    data = [imported(env, f"{bucket}BucketArn") for bucket in BUCKETS if bucket != "AuditLogs"]
    assert policy_statements(builds, env)[:4] == [
        {
            "Sid": "ProjectObjects",
            "Effect": "Allow",
            "Action": [
                "s3:GetObject",
                "s3:GetObjectVersion",
                "s3:PutObject",
                "s3:DeleteObject",
                "s3:AbortMultipartUpload",
                "s3:ListMultipartUploadParts",
            ],
            "Resource": [{"Fn::Join": ["", [arn, "/*"]]} for arn in data],
        },
        {"Sid": "ListProjectBuckets", "Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": data},
        {
            "Sid": "AppendToLockedBuckets",
            "Effect": "Allow",
            "Action": ["s3:PutObject"],  # no read, no delete, no s3:BypassGovernanceRetention
            "Resource": [{"Fn::Join": ["", [imported(env, "AuditLogsBucketArn"), "/*"]]}],
        },
        {
            "Sid": "ProjectQueueMessages",
            "Effect": "Allow",
            "Action": [
                "sqs:SendMessage",
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:ChangeMessageVisibility",
                "sqs:GetQueueAttributes",
                "sqs:GetQueueUrl",
            ],
            "Resource": [
                imported(env, f"{queue}{kind}Arn") for queue in QUEUES for kind in ("Queue", "DeadLetterQueue")
            ],
        },
    ]
    assert policy_statements(builds, env)[4:] == [
        {
            "Sid": "DatabaseCredentials",
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue"],
            "Resource": [imported(env, "DatabaseSecretArn")],
        },
        {
            "Sid": "DecryptDatabaseCredentials",
            "Effect": "Allow",
            "Action": ["kms:Decrypt"],
            "Resource": [imported(env, "DatabaseKeyArn")],
            "Condition": {
                "StringEquals": {"kms:ViaService": {"Fn::Sub": "secretsmanager.${AWS::Region}.amazonaws.com"}}
            },
        },
        {
            "Sid": "SendEmail",
            "Effect": "Allow",
            "Action": ["ses:SendEmail"],
            "Resource": [{"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"}],
        },
        {
            "Sid": "ManageUsers",
            "Effect": "Allow",
            "Action": ["cognito-idp:AdminCreateUser", "cognito-idp:AdminSetUserPassword"],
            "Resource": [imported(env, "UserPoolArn")],
        },
        {
            "Sid": "ContainerLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [{"Fn::GetAtt": ["AppLogGroup", "Arn"]}],
        },
    ]


@pytest.mark.parametrize("env", ENVS)
def test_role_imports_resolve_to_the_environments_own_buckets_queues_secret_key_and_pool(builds, env):
    expected = {f"{bucket}BucketArn": ("storage", {"Fn::GetAtt": [f"{bucket}Bucket", "Arn"]}) for bucket in BUCKETS}
    expected |= {
        f"{queue}{kind}Arn": ("messaging", {"Fn::GetAtt": [f"{queue}{kind}", "Arn"]})
        for queue in QUEUES
        for kind in ("Queue", "DeadLetterQueue")
    }
    expected |= {
        "DatabaseSecretArn": ("database", {"Ref": "DatabaseSecret"}),
        "DatabaseKeyArn": ("database", {"Fn::GetAtt": ["DatabaseKey", "Arn"]}),
        "UserPoolArn": ("auth", {"Fn::GetAtt": ["UserPool", "Arn"]}),
    }
    for name, source in expected.items():
        assert exported(builds, env, f"one-system-{env}-{name}") == source, name
    # The key the role may decrypt with is the one that encrypts the secret it may read.
    assert properties(template(builds, env, "database.json"), "DatabaseSecret")["KmsKeyId"] == {"Ref": "DatabaseKey"}


@pytest.mark.parametrize("env", ENVS)
def test_role_has_no_wildcard_action_resource_or_other_service(builds, env):
    statements = policy_statements(builds, env)
    actions = [action for statement in statements for action in statement["Action"]]
    assert "*" not in actions
    assert {action.split(":")[0] for action in actions} == ALLOWED_SERVICES
    assert all(statement["Effect"] == "Allow" and "*" not in statement["Resource"] for statement in statements)
    role = properties(compute(builds, env), "AppServerRole")
    assert "ManagedPolicyArns" not in role
    assert [policy["PolicyName"] for policy in role["Policies"]] == ["app-server", "session-manager"]
    assert not resources(compute(builds, env), "AWS::IAM::Policy")


@pytest.mark.parametrize("env", ENVS)
def test_user_data_installs_docker_and_a_pinned_checksum_verified_docker_compose(builds, env):
    script = rendered_user_data(builds, env)
    lines = script.splitlines()
    assert lines[0] == "#!/bin/bash"
    assert "set -euo pipefail" in lines  # a failed download or checksum stops the boot script
    assert {"dnf install -y docker", "systemctl enable docker"} <= set(lines)
    assert 'release="https://github.com/docker/compose/releases/download/v2.29.7"' in lines
    download = lines.index('curl -fsSL --retry 5 -o "$workdir/$compose" "$release/$compose"')
    check = lines.index('(cd "$workdir" && sha256sum --check "$compose.sha256")')
    install = lines.index('install -D -m 0755 "$workdir/$compose" /usr/libexec/docker/cli-plugins/docker-compose')
    assert download < check < install  # only a binary that matched its checksum is installed
    assert 'curl -fsSL --retry 5 -o "$workdir/$compose.sha256" "$release/$compose.sha256"' in lines


@pytest.mark.parametrize("env", ENVS)
def test_container_logs_go_to_the_environments_log_group(builds, env):
    script = rendered_user_data(builds, env)
    assert heredoc(script, "cat > /etc/docker/daemon.json <<'JSON'") == (
        '{"log-driver": "awslogs", "log-opts": {"awslogs-region": "ap-southeast-1", '
        f'"awslogs-group": "/one-system/{env}/app"}}}}'
    )
    assert properties(compute(builds, env), "AppLogGroup")["LogGroupName"] == f"/one-system/{env}/app"


@pytest.mark.parametrize(("env", "log_level"), [("dev", "DEBUG"), ("test", "INFO"), ("prod", "INFO")])
def test_user_data_writes_the_environments_settings_from_the_right_exports(builds, env, log_level):
    body = heredoc(rendered_user_data(builds, env), "cat > /etc/one-system/app.env <<'ENV'")
    settings = dict(line.split("=", 1) for line in body.splitlines())
    export = f"one-system-{env}-"
    assert settings == {
        "APP_ENVIRONMENT": env,
        "APP_PORT": "8000",
        "LOG_LEVEL": log_level,
        "AWS_REGION": "ap-southeast-1",
        "DATABASE_SECRET_ARN": f"{export}DatabaseSecretArn",
        "COGNITO_USER_POOL_ID": f"{export}UserPoolId",
        "COGNITO_CLIENT_ID": f"{export}UserPoolClientId",
        "S3_BUCKET_RAW_LANDING": f"{export}RawLandingBucketName",
        "S3_BUCKET_PROCESSED_ZONE": f"{export}ProcessedZoneBucketName",
        "S3_BUCKET_ATTACHMENTS": f"{export}AttachmentsBucketName",
        "S3_BUCKET_EXPORTS": f"{export}ExportsBucketName",
        "S3_BUCKET_AUDIT_LOGS": f"{export}AuditLogsBucketName",
        "SQS_QUEUE_URL_LINE_WEBHOOK": f"{export}LineWebhookQueueUrl",
        "SQS_QUEUE_URL_NOTIFICATION": f"{export}NotificationQueueUrl",
        "SQS_QUEUE_URL_EXPORT": f"{export}ExportQueueUrl",
    }
    assert exported(builds, env, f"{export}UserPoolClientId") == ("auth", {"Ref": "WebClient"})
    assert exported(builds, env, f"{export}LineWebhookQueueUrl") == ("messaging", {"Ref": "LineWebhookQueue"})
    assert exported(builds, env, f"{export}RawLandingBucketName") == ("storage", {"Ref": "RawLandingBucket"})


@pytest.mark.parametrize("env", ENVS)
def test_user_data_fits_ec2s_16_kb_limit_with_room_for_the_real_values(builds, env):
    # EC2 refuses user data over 16 KB before base64; deploy swaps each export name for a value of similar length.
    assert properties(compute(builds, env), "AppServer")["UserData"].keys() == {"Fn::Base64"}
    assert len(rendered_user_data(builds, env).encode()) < 8_192


@pytest.mark.parametrize("env", ENVS)
def test_failing_status_checks_page_and_a_failing_host_recovers_the_instance(builds, env):
    alarms = {
        name: alarm["Properties"] for name, alarm in resources(compute(builds, env), "AWS::CloudWatch::Alarm").items()
    }
    assert set(alarms) == {"AppServerStatusCheckAlarm", "AppServerSystemCheckAlarm"}
    for props in alarms.values():
        assert picked(props, "Namespace", "Dimensions", "ComparisonOperator", "Threshold") == {
            "Namespace": "AWS/EC2",
            "Dimensions": [{"Name": "InstanceId", "Value": {"Ref": "AppServer"}}],
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "Threshold": 1,
        }
    status, system = alarms["AppServerStatusCheckAlarm"], alarms["AppServerSystemCheckAlarm"]
    assert picked(status, "MetricName", "AlarmActions", "TreatMissingData") == {
        "MetricName": "StatusCheckFailed",
        "AlarmActions": [imported(env, "CriticalTopicArn")],
        "TreatMissingData": "breaching",
    }
    # EC2 recovers an instance only from the system (AWS-side) check.
    assert system["MetricName"] == "StatusCheckFailed_System"
    assert system["AlarmActions"] == [
        imported(env, "WarningTopicArn"),
        {"Fn::Sub": "arn:${AWS::Partition}:automate:${AWS::Region}:ec2:recover"},
    ]


@pytest.mark.parametrize(("env", "days"), [("dev", 7), ("test", 30), ("prod", 365)])
def test_app_log_group_keeps_logs_for_the_environments_retention_and_is_exported(builds, env, days):
    document = compute(builds, env)
    assert properties(document, "AppLogGroup")["RetentionInDays"] == days
    assert document["Resources"]["AppServer"]["DependsOn"] == "AppLogGroup"  # exists before Docker logs to it
    exports = {
        output["Export"]["Name"]: output["Value"] for output in document["Outputs"].values() if "Export" in output
    }
    assert exports == {
        f"one-system-{env}-AppServerRoleArn": {"Fn::GetAtt": ["AppServerRole", "Arn"]},
        f"one-system-{env}-AppLogGroupName": {"Ref": "AppLogGroup"},
    }


@pytest.mark.parametrize("env", ENVS)
def test_the_instance_id_is_an_output_not_an_export_because_replacing_the_instance_changes_it(builds, env):
    """CloudFormation refuses to change an export another stack imports; a new image or new user data
    replaces the instance. So the id reaches edge and dashboard as a parameter deploy feeds."""
    output = compute(builds, env)["Outputs"]["AppInstanceId"]
    assert output["Value"] == {"Ref": "AppServer"} and "Export" not in output
    stacks = builds[env].manifest().stacks
    for consumer in ("edge", "dashboard"):
        assert stacks[consumer].parameters["AppInstanceId"] == ParameterSource("compute", "AppInstanceId")
        assert "compute" in stacks[consumer].depends_on


# --- the first state and operator access (issue 14) ---------------------------------------------


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(port, path):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", path)
    response = connection.getresponse()
    return response.status, response.read().decode()


@pytest.mark.parametrize("env", ["prod"])
def test_testing_plan_alb_health_check_passes_before_the_app_is_deployed(builds, env, tmp_path):
    """Seed 000 Testing Plan "ALB health check: GET /health returns 200": user data starts a placeholder on
    the app port answering the target group's health check path, so the first prod deploy does not page."""
    script = rendered_user_data(builds, env)
    placeholder = heredoc(script, "cat > /usr/local/libexec/one-system/placeholder.py <<'PY'")
    group = properties(template(builds, env, "edge.json"), "AppTargetGroup")
    assert f'("", {group["Port"]})' in placeholder and f'HEALTH_PATH = "{group["HealthCheckPath"]}"' in placeholder
    # Before Docker is installed (minutes), and started, not only enabled.
    assert script.index("systemctl enable --now one-system-placeholder.service") < script.index("dnf install")
    port = _free_port()
    (tmp_path / "placeholder.py").write_text(placeholder.replace(f'("", {group["Port"]})', f'("127.0.0.1", {port})'))
    server = subprocess.Popen([sys.executable, str(tmp_path / "placeholder.py")])
    try:
        for _ in range(100):
            try:
                status, body = _get(port, "/health")
                break
            except OSError:
                time.sleep(0.05)
        assert (status, body) == (200, "one-system prod: placeholder, the app is not deployed yet\n")
        assert _get(port, "/health?probe=1")[0] == 200
        assert _get(port, "/api/cases")[0] == 503  # anything but the health check says the app is not there
    finally:
        server.terminate()
        server.wait(timeout=5)


@pytest.mark.parametrize("env", ENVS)
def test_operators_reach_the_instance_through_session_manager_not_ssh(builds, env):
    [statement] = policy_statements(builds, env, "session-manager")
    assert sorted(statement["Action"]) == [
        "ec2messages:AcknowledgeMessage",
        "ec2messages:DeleteMessage",
        "ec2messages:FailMessage",
        "ec2messages:GetEndpoint",
        "ec2messages:GetMessages",
        "ec2messages:SendReply",
        "ssm:UpdateInstanceInformation",
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
    ]
    assert "KeyName" not in properties(compute(builds, env), "AppServer")  # no SSH key pair
    groups = template(builds, env, "network/security-groups.json")
    ingress = properties(groups, "AppSecurityGroup").get("SecurityGroupIngress", []) + [
        rule["Properties"]
        for rule in resources(groups, "AWS::EC2::SecurityGroupIngress").values()
        if rule["Properties"]["GroupId"] == {"Ref": "AppSecurityGroup"}
    ]
    assert [rule["FromPort"] for rule in ingress] == [8000]  # the app port from the load balancer, no 22


def test_with_vpc_endpoints_session_manager_works_without_the_nat(tmp_path):
    params = tmp_path / "params"
    shutil.copytree(PARAMS_DIR, params)
    shutil.copytree(ROOT / "sql", tmp_path / "sql")
    for env in ("dev", "local"):
        text = (params / f"{env}.yaml").read_text()
        (params / f"{env}.yaml").write_text(text.replace("network:\n", "network:\n  vpc_endpoints: true\n", 1))
    configs = load_configs(params, ["dev", "local"])
    endpoints = {
        env: {
            endpoint["Properties"]["ServiceName"]["Fn::Sub"]
            for endpoint in resources(
                template({env: build_environment(configs[env])}, env, "network/vpc.json"), "AWS::EC2::VPCEndpoint"
            ).values()
        }
        for env in configs
    }
    session_manager = {f"com.amazonaws.${{AWS::Region}}.{service}" for service in ("ssm", "ssmmessages", "ec2messages")}
    assert session_manager <= endpoints["dev"]
    assert not session_manager & endpoints["local"]  # no app server there, no Session Manager endpoints
