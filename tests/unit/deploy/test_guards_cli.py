"""Pure unit, through deploy.py: the guards' options (docs/deploy.md, "Guards") are checked before anything is
generated or called, and reach the run as asked."""

from __future__ import annotations

from pathlib import Path

import pytest

import deploy
from stackyard.cli import deploy as cli
from stackyard.errors import EXIT_BAD_INPUT
from tests.unit.deploy.test_deploy_cli import no_aws, run  # noqa: F401 (a fixture)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["delete", "--no-rollback"], "--no-rollback goes with deploy or plan, not with delete"),
        (["delete", "--ignore-drift"], "--ignore-drift goes with deploy or plan, not with delete"),
        (["drift", "--no-rollback"], "--no-rollback goes with deploy or plan, not with drift"),
        (
            ["drift", "--allow-replace"],
            "the drift verb only reads: it goes with none of --delete, --plan, --force-unlock, --allow-replace, --verify",
        ),
        (
            ["--role-arn", "my-role"],
            "--role-arn my-role: expected an IAM role's ARN such as arn:aws:iam::123456789012:role/name",
        ),
    ],
)
@pytest.mark.usefixtures("no_aws")
def test_guard_options_out_of_place_exit_2_before_anything_else(params_copy, capsys, args, message):
    code, errors = run(capsys, "--env", "local", *args)
    assert code == EXIT_BAD_INPUT
    assert errors == [f"error: {message}"]
    assert not Path("build").exists()


@pytest.mark.usefixtures("no_aws")
def test_no_rollback_is_refused_where_params_keep_no_failed_update(params_copy, capsys):
    """test keeps no failed update (guards.allow_no_rollback defaults to false): refused once the build says so,
    before any AWS call (the endpoint would fail differently)."""
    code, errors = run(capsys, "--env", "test", "--no-rollback")
    assert code == EXIT_BAD_INPUT
    assert errors[0].startswith(
        "error: --no-rollback: environment test keeps no failed update (params guards.allow_no_rollback is false"
    )


@pytest.mark.parametrize("args", [["drift", "--plan"], ["drift", "--delete"]])
@pytest.mark.usefixtures("no_aws")
def test_the_drift_verb_goes_with_no_older_spelling(params_copy, capsys, args):
    with pytest.raises(SystemExit) as exited:
        deploy.main(["--env", "local", *args])
    assert exited.value.code == EXIT_BAD_INPUT


def test_the_guard_options_reach_the_run(monkeypatch):
    seen = []
    monkeypatch.setattr(cli, "run", lambda request, seams=None: seen.append(request) or 0)
    role = "arn:aws:iam::123456789012:role/app-dev-cloudformation"
    assert deploy.main(["drift", "--env", "dev"]) == 0
    assert deploy.main(["--env", "dev", "--role-arn", role, "--ignore-drift", "--no-rollback"]) == 0
    drift, deploying = seen
    assert (drift.verb, drift.drift) == ("drift", True)
    assert (deploying.role_arn, deploying.ignore_drift, deploying.no_rollback) == (role, True, True)
    assert deploying.resume_command("dev").endswith(f"--role-arn {role} --no-rollback")
