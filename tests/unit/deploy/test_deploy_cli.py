"""Pure unit, through deploy.py: bad input exits 2 with one clear line and never changes AWS.

No emulator: these runs must stop before any change (the unreachable-endpoint case proves no
call succeeds; the rest stop before the first call)."""

from __future__ import annotations

import pytest

import deploy
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


def test_concurrency_below_one(params_copy, capsys, no_aws):
    code, errors = run(capsys, "--env", "local", "--concurrency", "0")
    assert code == EXIT_BAD_INPUT
    assert errors == ["error: --concurrency 0: expected 1 or more"]
