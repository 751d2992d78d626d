"""Property-based (hypothesis) over the whole generator.

- Random valid params (an environment file over the real base.yaml) generate an environment
  that cfn-lint and every project rule find clean. This runs the real cfn-lint: marked slow.
- Random valid params with one value broken are refused, the problem located at the file,
  line and key that was broken (pure unit).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stackyard.config import RESERVED_BUCKETS, load_config
from stackyard.errors import ParamsError
from stackyard.generate import generate
from stackyard.params import dotted
from tests.helpers import PARAMS_DIR

ENV = "prop"
KEYS = st.from_regex(r"[a-z][a-z0-9]{1,9}", fullmatch=True)
LOG_DAYS = st.sampled_from([1, 7, 30, 365])


@st.composite
def valid_overrides(draw) -> dict:
    zones = draw(st.sampled_from([2, 3]))
    vpc_prefix = draw(st.integers(16, 20))
    domain = draw(st.sampled_from([None, "app.example.com"]))
    # the API at its own name (an internet-facing load balancer and its REGIONAL web ACL), or through
    # CloudFront's VPC origin (an internal one)
    api_own_name = domain is not None and draw(st.booleans())
    internet = [{"port": port, "cidr": "0.0.0.0/0", "description": "from the internet"} for port in (443, 80)]
    return {
        "retain_data": draw(st.booleans()),
        "network": {
            "vpc_cidr": f"10.{draw(st.integers(0, 255))}.0.0/{vpc_prefix}",
            "availability_zones": zones,
            "subnet_prefix_length": draw(st.integers(vpc_prefix + 1 + (zones - 1).bit_length(), 26)),
            "nat": draw(st.sampled_from(["single", "per_az"])),
            "vpc_endpoints": draw(st.booleans()),
            "flow_logs": {"retention_days": draw(LOG_DAYS)},
            "security_groups": {"alb": {"ingress": internet if api_own_name else []}},
        },
        "database": {
            **draw(st.one_of(_aurora(), _rds_instance())),
            "deletion_protection": draw(st.booleans()),
            "performance_insights": draw(st.booleans()),
            "audit_log": draw(st.lists(st.sampled_from(["ddl", "read", "write", "function", "misc"]), unique=True)),
            "log_min_duration_ms": draw(st.sampled_from([-1, 100, 1000])),
        },
        "storage": {
            "buckets": draw(
                st.dictionaries(KEYS.filter(lambda key: key not in RESERVED_BUCKETS), _bucket(), max_size=3)
            )
        },
        "auth": {"mfa": draw(st.sampled_from(["OFF", "OPTIONAL", "ON"]))},
        "messaging": {
            "queues": draw(
                st.dictionaries(
                    KEYS,
                    st.fixed_dictionaries(
                        {
                            "purpose": st.just("property-test work"),
                            "visibility_timeout_seconds": st.integers(0, 43200),
                        }
                    ),
                    max_size=3,
                )
            )
        },
        "compute": {
            "instance_type": draw(st.sampled_from(["t3.small", "t3.medium", "m7i.large"])),
            "log_level": draw(st.sampled_from(["DEBUG", "INFO"])),
        },
        "edge": {
            "domain": domain,
            "hosted_zone_id": "Z0123456789EXAMPLE" if domain else None,
            "api_via_cloudfront": not api_own_name,
        },
        "monitoring": {
            "critical_emails": draw(
                st.lists(st.sampled_from(["oncall@example.com", "ops@example.com"]), max_size=2, unique=True)
            )
        },
    }


@st.composite
def _aurora(draw) -> dict:
    min_acu = draw(st.sampled_from([0.5, 1.0, 2.0]))
    return {
        "min_acu": min_acu,
        "max_acu": draw(st.sampled_from([acu for acu in (1.0, 2.0, 4.0, 16.0) if acu >= min_acu])),
        "reader_instances": draw(st.integers(0, 2)),
        "secret_rotation_days": draw(st.sampled_from([None, 7, 30, 90])),
    }


@st.composite
def _rds_instance(draw) -> dict:
    """engine postgres over the Aurora base.yaml: its capacity keys nulled, as the error message says."""
    allocated = draw(st.sampled_from([20, 100]))
    return {
        "engine": "postgres",
        "engine_version": draw(st.sampled_from(["16.10", "17.6"])),
        "min_acu": None,
        "max_acu": None,
        "reader_instances": None,
        "secret_rotation_days": 7,
        "instance": {
            "instance_class": draw(st.sampled_from(["db.t4g.micro", "db.t4g.small", "db.m7g.large"])),
            "allocated_storage_gb": allocated,
            "max_allocated_storage_gb": draw(st.sampled_from([None, allocated * 2])),
            "storage_type": draw(st.sampled_from(["gp3", "gp2"])),
            "multi_az": draw(st.booleans()),
        },
    }


@st.composite
def _bucket(draw) -> dict:
    versioned = draw(st.booleans())
    expire = draw(st.sampled_from([None, 7, 400, 1095]))
    bucket = {"purpose": "property-test data", "versioned": versioned, "expire_after_days": expire}
    if expire and expire > 30 and draw(st.booleans()):
        bucket["infrequent_access_after_days"] = 30
    if versioned and draw(st.booleans()):
        bucket["object_lock"] = {"mode": draw(st.sampled_from(["GOVERNANCE", "COMPLIANCE"])), "days": 1}
    return bucket


def params_folder(project: Path, override: dict) -> Path:
    """A project with the real base.yaml and sql/, and an environment file holding `override`."""
    folder = project / "params"
    folder.mkdir()
    shutil.copy(PARAMS_DIR / "base.yaml", folder / "base.yaml")
    shutil.copytree(PARAMS_DIR.parent / "sql", project / "sql")
    (folder / f"{ENV}.yaml").write_text(yaml.safe_dump(override, sort_keys=False))
    return folder


@pytest.mark.slow
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(override=valid_overrides())
def test_any_valid_params_generate_an_environment_cfn_lint_and_the_project_rules_find_clean(override):
    with tempfile.TemporaryDirectory() as scratch:
        params = params_folder(Path(scratch), override)
        result = generate(params, Path(scratch) / "build", [ENV])
        assert result.lint.clean, "\n".join(str(finding) for finding in result.lint.findings)


# (key path, a value that is wrong there, what the message must say is expected)
BREAKAGES = [
    (("network", "availability_zones"), 4, "expected 2 or 3"),
    (("network", "vpc_cidr"), "10.0.0.0/8x", "not an IPv4 CIDR"),
    (("database", "min_acu"), "lots", "expected a valid number"),
    (("database", "audit_log"), ["role"], "role statements carry the rotated password"),
    (("compute", "instance_type"), "T3 Small", "expected an EC2 instance type"),
    (("auth", "colour"), "blue", "unknown key"),
    (("messaging", "max_receive_count"), 0, "expected greater than or equal to 1"),
    (("edge", "price_class"), "cheap", "expected 'PriceClass_100', 'PriceClass_200' or 'PriceClass_All'"),
    (("monitoring", "critical_emails"), "nobody", "expected a valid list"),
    (("retain_data",), "sometimes", "expected a valid boolean"),
]


@settings(max_examples=40, deadline=None)
@given(override=valid_overrides(), breakage=st.sampled_from(BREAKAGES))
def test_any_single_broken_value_is_refused_at_its_file_line_and_key(override, breakage):
    path, bad_value, expected = breakage
    section = override
    for part in path[:-1]:
        section = section.setdefault(part, {})
    section[path[-1]] = bad_value
    with tempfile.TemporaryDirectory() as scratch:
        params = params_folder(Path(scratch), override)
        with pytest.raises(ParamsError) as raised:
            load_config(params, ENV)
    [problem] = [p for p in raised.value.problems if p.key == dotted(path)]
    assert expected in problem.message
    assert problem.location.file.name == f"{ENV}.yaml" and problem.location.line >= 1
    written = yaml.safe_dump(override, sort_keys=False).splitlines()
    assert written[problem.location.line - 1].strip().startswith(f"{path[-1]}:")
