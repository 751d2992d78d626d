"""Pure unit: the params of `database.engine: postgres` (seed 002 §2.4) that are refused, with file:line, key
and fix, and what the instance needs no longer (a NAT for a rotation Lambda).

The params are tests/helpers/rds_instance.py's, with params/test.yaml written over them.
"""

from __future__ import annotations

import textwrap

import pytest

from stackyard.config import load_configs
from stackyard.errors import ParamsError
from tests.helpers.rds_instance import BASE, write_project


def base_line(text: str) -> int:
    return next(number for number, line in enumerate(BASE.splitlines(), 1) if line.lstrip().startswith(text))


BAD = {
    "Aurora capacity on an instance": (
        "database:\n  min_acu: 0.5\n  reader_instances: 1\n",
        [
            "params/test.yaml:2: database.min_acu: a key of engine aurora-postgresql (Serverless v2 capacity); engine "
            "postgres is sized by its instance section. Fix: remove it (null in an environment's file when base.yaml "
            "sets it)",
            "params/test.yaml:3: database.reader_instances: a key of engine aurora-postgresql (Serverless v2 capacity); "
            "engine postgres is sized by its instance section. Fix: remove it (null in an environment's file when "
            "base.yaml sets it)",
        ],
    ),
    "an instance section on Aurora": (
        "database:\n  engine: aurora-postgresql\n  min_acu: 0.5\n  max_acu: 2\n  reader_instances: 0\n"
        "  secret_rotation_days: 30\n",
        [
            f"params/base.yaml:{base_line('instance:')}: database.instance: a section of engine postgres (one RDS "
            f"instance); engine aurora-postgresql is sized by min_acu, max_acu and reader_instances. Fix: remove it, "
            f"or set engine: postgres"
        ],
    ),
    "Aurora without its capacity": (
        "database:\n  engine: aurora-postgresql\n  instance: null\n  secret_rotation_days: 30\n",
        # located at the database section, last written by test.yaml
        [
            f"params/test.yaml:1: database.{key}: required with engine aurora-postgresql (the default); expected a "
            f"value, or engine: postgres with an instance section"
            for key in ("max_acu", "min_acu", "reader_instances")
        ],
    ),
    "an instance without its section": (
        "database:\n  instance: null\n",
        [
            "params/test.yaml:2: database.instance: required with engine postgres; expected a section with "
            "instance_class, allocated_storage_gb, storage_type and multi_az (max_allocated_storage_gb optional)"
        ],
    ),
    "a rotation schedule RDS does not keep": (
        "database:\n  secret_rotation_days: 30\n",
        [
            "params/test.yaml:2: database.secret_rotation_days: got 30; with engine postgres RDS manages the master "
            "password in Secrets Manager and rotates it itself every 7 days, a schedule CloudFormation cannot change; "
            "expected 7"
        ],
    ),
    "no rotation, which RDS cannot be told": (
        "database:\n  secret_rotation_days: null\n",
        [
            "params/test.yaml:2: database.secret_rotation_days: got an empty value; with engine postgres RDS manages "
            "the master password in Secrets Manager and rotates it itself every 7 days, a schedule CloudFormation "
            "cannot change; expected 7"
        ],
    ),
    "an autoscaling ceiling RDS refuses": (
        "database:\n  instance:\n    max_allocated_storage_gb: 21\n",
        [
            "params/test.yaml:3: database.instance.max_allocated_storage_gb: got 21; RDS needs the autoscaling "
            "ceiling at least 10% above allocated_storage_gb (20); expected 22 or more, or null for no autoscaling"
        ],
    ),
    "less storage than gp3 allows": (
        "database:\n  instance:\n    allocated_storage_gb: 10\n",
        ["params/test.yaml:3: database.instance.allocated_storage_gb: got 10; expected greater than or equal to 20"],
    ),
    "a storage type needing provisioned IOPS": (
        "database:\n  instance:\n    storage_type: io1\n",
        ["params/test.yaml:3: database.instance.storage_type: got 'io1'; expected 'gp3' or 'gp2'"],
    ),
    "an EC2 instance type": (
        "database:\n  instance:\n    instance_class: t4g.micro\n",
        [
            "params/test.yaml:3: database.instance.instance_class: got 't4g.micro'; expected an RDS instance class "
            "such as db.t4g.micro"
        ],
    ),
    "an unknown instance key": (
        "database:\n  instance:\n    iops: 3000\n",
        [
            "params/test.yaml:3: database.instance.iops: unknown key; allowed keys here: allocated_storage_gb, "
            "instance_class, max_allocated_storage_gb, multi_az, storage_type"
        ],
    ),
    "a production-grade environment with a single-AZ instance": (
        "production_grade: true\n",
        [
            "params/base.yaml:38: database.instance.multi_az: got false in an environment with production_grade: "
            "true, so the database would go down with its Availability Zone; expected true (a standby in a second "
            "zone), or production_grade: false"
        ],
    ),
    "an engine Stackyard does not build": (
        "database:\n  engine: mysql\n",
        ["params/test.yaml:2: database.engine: got 'mysql'; expected 'aurora-postgresql' or 'postgres'"],
    ),
}


@pytest.mark.parametrize("override, expected", BAD.values(), ids=BAD.keys())
def test_bad_params_are_refused_with_file_line_key_and_fix(tmp_path, monkeypatch, override, expected):
    monkeypatch.chdir(tmp_path)
    params = write_project(tmp_path, base=BASE, test=override)
    with pytest.raises(ParamsError) as raised:
        load_configs(params.relative_to(tmp_path), ["test"])
    assert [str(problem) for problem in raised.value.problems] == expected


def test_without_a_rotation_lambda_the_instance_needs_no_nat_to_reach_secrets_manager(tmp_path):
    # Aurora's rotation Lambda needs a NAT or endpoints; RDS rotates its own secret from outside the VPC.
    params = write_project(
        tmp_path,
        base=BASE,
        test=textwrap.dedent("""\
        network:
          nat: none
        database:
          migrations: null
        """),
    )
    config = load_configs(params, ["test"])["test"]
    assert (config.network.nat, config.database.secret_rotation_days) == ("none", 7)
