"""Pure unit, through deploy.py: bad input exits 2 with one clear line and never changes AWS.

No emulator: these runs must stop before any change (the unreachable-endpoint case proves no
call succeeds; the rest stop before the first call)."""

from __future__ import annotations

from pathlib import Path

import pytest

import deploy
from stackyard.cli import deploy as cli
from stackyard.errors import EXIT_BAD_INPUT


@pytest.fixture
def no_aws(monkeypatch, tmp_path):
    """Credentials and endpoint that could not change anything anywhere."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens on the discard port
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def run(capsys, *args: str) -> tuple[int, list[str]]:
    code = deploy.main(["--params", "params", "--build-dir", "build", *args])
    return code, capsys.readouterr().err.splitlines()


def test_an_unknown_environment(params_copy, capsys, no_aws):
    code, errors = run(capsys, "--env", "staging")
    assert code == EXIT_BAD_INPUT
    assert errors[0].startswith("error: params/staging.yaml: unknown environment 'staging'; known environments:")


def test_an_unknown_only_stack_names_the_environments_stacks(params_copy, capsys, no_aws):
    code, errors = run(capsys, "--env", "local", "--only", "databse", "network")
    assert code == EXIT_BAD_INPUT
    assert errors == [
        "error: --only databse: environment local has no such stack; its stacks: network, storage, alerts, messaging"
    ]


def test_an_unreachable_endpoint(params_copy, capsys, no_aws):
    code, errors = run(capsys, "--env", "local")
    assert code == EXIT_BAD_INPUT
    assert errors == [
        "error: checking the AWS credentials: cannot reach http://127.0.0.1:9/. Fix: check the "
        "network, or start the emulator AWS_ENDPOINT_URL points at"
    ]


def test_missing_credentials(params_copy, capsys, no_credentials):
    code, errors = run(capsys, "--env", "local")
    assert code == EXIT_BAD_INPUT
    assert errors == [
        "error: checking the AWS credentials: no AWS credentials found. Fix: set AWS_PROFILE (or "
        "--profile), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; for an emulator any non-empty "
        "values do"
    ]


def test_a_stale_build_is_refused_before_any_call(params_copy, capsys, no_aws):
    import generate

    assert generate.main(["--params", "params", "--build-dir", "build", "--env", "local", "--skip-lint"]) == 0
    with open("build/local/network/vpc.json", "a") as edited:
        edited.write(" ")
    code, errors = run(capsys, "--env", "local", "--no-generate")
    assert code == EXIT_BAD_INPUT
    assert errors == [
        "error: build/local/network/vpc.json: does not match build/local/manifest.json (changed "
        "after generate). Fix: run python generate.py --env local"
    ]


def test_a_missing_build_with_no_generate(params_copy, capsys, no_aws):
    code, errors = run(capsys, "--env", "local", "--no-generate")
    assert code == EXIT_BAD_INPUT
    assert errors == [
        "error: build/local/manifest.json: no build of environment local. Fix: run python "
        "generate.py --env local, or deploy without --no-generate"
    ]


def test_a_delete_off_a_terminal_needs_yes(params_copy, capsys, no_aws):
    code, errors = run(capsys, "--env", "local", "--delete")
    assert code == EXIT_BAD_INPUT
    assert errors == ["error: deleting local needs --yes when not run from a terminal; nothing was deleted"]


SKIP_NEEDS_ONE_STACK = (
    "--skip-resources continues one stack's failed rollback: use it with deploy and --only that stack"
)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--concurrency", "0"], "--concurrency 0: expected 1 to 16"),
        (["--concurrency", "17"], "--concurrency 17: expected 1 to 16"),
        (["--delete-artifacts"], "--delete-artifacts only goes with delete (or --delete)"),
        (["plan", "--delete-artifacts"], "--delete-artifacts only goes with delete (or --delete)"),
        (
            ["plan", "--force-unlock", "20260101-abc"],
            "--force-unlock breaks a lock, which a plan never takes: use it with deploy or delete",
        ),
        (["--skip-resources", "Queue"], SKIP_NEEDS_ONE_STACK),
        (["--only", "network", "storage", "--skip-resources", "Queue"], SKIP_NEEDS_ONE_STACK),
        (["plan", "--only", "network", "--skip-resources", "Vpc.Subnet"], SKIP_NEEDS_ONE_STACK),
    ],
)
def test_bad_input_exits_2_before_anything_else(params_copy, capsys, no_aws, args, message):
    """Before generating: no build folder appears, and the endpoint (which would fail differently) is never reached."""
    code, errors = run(capsys, "--env", "local", *args)
    assert code == EXIT_BAD_INPUT
    assert errors == [f"error: {message}"]
    assert not Path("build").exists()


def test_an_empty_env_is_bad_input_not_the_default_environment(params_copy, capsys, no_aws, monkeypatch):
    code, errors = run(capsys, "--env", "")
    assert (code, errors) == (EXIT_BAD_INPUT, ['error: --env "": expected an environment name'])
    monkeypatch.setenv("STACKYARD_ENV", "")
    code, errors = run(capsys)
    assert code == EXIT_BAD_INPUT
    assert errors == ["error: STACKYARD_ENV is set but empty: set it to an environment name, or pass --env"]


@pytest.mark.parametrize(
    "args",
    [
        ["deploy", "--plan"],
        ["deploy", "--delete"],
        ["launch"],
        ["--concurrency", "many"],
        ["--no-such-option"],
        ["--skip-resources", ",,"],
        ["--skip-resources", "Queue Bucket"],
    ],
)
def test_argument_errors_exit_2_with_the_usage(params_copy, capsys, no_aws, args):
    with pytest.raises(SystemExit) as exited:
        deploy.main(["--env", "local", *args])
    assert exited.value.code == EXIT_BAD_INPUT
    assert capsys.readouterr().err.startswith("usage:")


@pytest.mark.parametrize(
    ("args", "verb", "plans"),
    [
        ([], "deploy", False),
        (["deploy"], "deploy", False),
        (["plan"], "deploy", True),
        (["--plan"], "deploy", True),
        (["delete"], "delete", False),
        (["--delete"], "delete", False),
        (["delete", "--plan"], "delete", True),
        (["--delete", "--plan"], "delete", True),
        (["plan", "--delete"], "delete", True),
    ],
)
def test_the_verbs_and_their_older_spelling_mean_the_same(monkeypatch, args, verb, plans):
    seen = []
    monkeypatch.setattr(cli, "run", lambda request, seams=None: seen.append(request) or 0)
    assert deploy.main(["--env", "local", *args]) == 0
    [request] = seen
    assert ("delete" if request.delete else "deploy", request.plan) == (verb, plans)
