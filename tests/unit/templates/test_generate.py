"""The generate pipeline end to end on local files.

Tests marked `slow` run the real cfn-lint over generated templates (seconds each); the rest
write with --skip-lint and are pure file-system unit tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from troposphere import Ref
from troposphere.ec2 import SecurityGroup, SecurityGroupRule

import generate
from stackyard import versions
from stackyard.errors import EXIT_FAILURE, EXIT_OK
from templates.parts.common import StackTemplates, new_template, tag_resources
from tests.helpers import ENVS, ROOT, use_fake_stacks


def run(capsys, *args: str) -> tuple[int, str]:
    code = generate.main(["--params", "params", "--build-dir", "build", *args])
    return code, capsys.readouterr().out


def snapshot(folder: Path) -> dict[Path, int]:
    return {path: path.stat().st_mtime_ns for path in folder.rglob("*.json")}


def test_writes_every_stack_child_and_manifest_per_environment(params_copy, capsys, builds):
    code, out = run(capsys, "--skip-lint")
    assert code == EXIT_OK
    for env in ENVS:
        written = sorted(p.relative_to(Path("build", env)).as_posix() for p in Path("build", env).rglob("*.json"))
        assert written == sorted(builds[env].files())
        assert {"manifest.json", "network.json", "network/vpc.json", "network/security-groups.json"} <= set(written)
    files = sum(len(build.files()) for build in builds.values())
    stacks = sum(len(build.stacks) for build in builds.values())
    templates = sum(len(stack.templates) for build in builds.values() for stack in build.stacks.values())
    envs = len(builds)
    # Besides the templates and a manifest each, the stack policies of the stacks holding data.
    policies = sum(1 for build in builds.values() for path in build.files() if path.endswith(".stack-policy.json"))
    assert files == templates + envs + policies and policies
    assert f"{envs} environments, {stacks} stacks, {templates} templates in build/ ({files} written, 0 unchanged" in out


def test_unchanged_files_are_not_rewritten(params_copy, capsys, builds):
    run(capsys, "--skip-lint")
    before = snapshot(Path("build"))
    (params_copy / "test.yaml").write_text("database:\n  max_acu: 3\n")
    _code, out = run(capsys, "--skip-lint")
    changed = {path for path, mtime in snapshot(Path("build")).items() if before[path] != mtime}
    assert changed == {Path("build/test/database.json"), Path("build/test/manifest.json")}
    files = sum(len(build.files()) for build in builds.values())
    assert f"(2 written, {files - 2} unchanged, 0 removed)" in out


def test_files_of_removed_environments_and_stacks_are_removed(params_copy, capsys, configs):
    run(capsys, "--skip-lint")
    (params_copy / "dev.yaml").unlink()
    Path("build/notes").mkdir()  # not ours: no manifest, so left alone
    *kept, dropped = configs["test"].stacks  # the last stack listed is one nothing else depends on
    for env in ("test", "prod"):
        with (params_copy / f"{env}.yaml").open("a") as params:
            params.write(f"\nstacks: [{', '.join(kept)}]\n")
    code, out = run(capsys, "--skip-lint")
    assert code == EXIT_OK
    assert not Path("build/dev").exists() and Path("build/notes").is_dir()
    assert not Path(f"build/test/{dropped}.json").exists() and Path("build/test/network.json").exists()
    # removed: dev's folder, and test's and prod's dropped stack; written: their manifests
    assert "(2 written, " in out and " unchanged, 3 removed)" in out


def test_generating_one_environment_leaves_the_others_alone(params_copy, capsys):
    run(capsys, "--skip-lint")
    before = snapshot(Path("build"))
    (params_copy / "prod.yaml").unlink()
    code, _ = run(capsys, "--skip-lint", "--env", "test")
    assert code == EXIT_OK
    assert snapshot(Path("build")) == before


@pytest.mark.slow
class TestLint:
    """Real cfn-lint over the real generated build."""

    def test_every_environment_is_lint_clean_in_process_and_for_plain_cfn_lint(self, params_copy, capsys, builds):
        code, out = run(capsys)
        assert code == EXIT_OK, out
        templates_count = sum(template_count(build) for build in builds.values())
        assert "lint: clean with cfn-lint" in out and f"({templates_count} linted, 0 known clean)" in out
        shutil.copy(ROOT / ".cfnlintrc", ".cfnlintrc")
        Path("lint_rules").symlink_to(ROOT / "lint_rules")  # what .cfnlintrc appends
        plain = subprocess.run(
            f"{ROOT}/.venv/bin/cfn-lint build/*/*.json build/*/*/*.json",
            shell=True,
            capture_output=True,
            text=True,
            # the rules import stackyard and lint_rules: this checkout's, wherever the venv's editable install points
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert (plain.returncode, plain.stdout, plain.stderr) == (0, "", "")

    def test_only_templates_that_changed_are_linted_again(self, params_copy, capsys, builds):
        templates_count = template_count(builds["test"])
        run(capsys, "--env", "test")
        code, out = run(capsys, "--env", "test")
        assert f"(0 linted, {templates_count} known clean)" in out
        (params_copy / "test.yaml").write_text("database:\n  max_acu: 3\n")
        code, out = run(capsys, "--env", "test")
        assert code == EXIT_OK and f"(1 linted, {templates_count - 1} known clean)" in out

    def test_a_changed_cfn_lint_config_lints_everything_again(self, params_copy, capsys, builds):
        run(capsys, "--env", "test")
        Path(".cfnlintrc").write_text("ignore_checks: [W3005]\n")
        _code, out = run(capsys, "--env", "test")
        assert f"({template_count(builds['test'])} linted, 0 known clean)" in out

    def test_a_new_cfn_lint_version_lints_everything_again(self, params_copy, capsys, monkeypatch, builds):
        run(capsys, "--env", "test")
        installed = versions.installed
        monkeypatch.setattr(versions, "installed", lambda name: "999.0.0" if name == "cfn-lint" else installed(name))
        _code, out = run(capsys, "--env", "test")
        assert f"({template_count(builds['test'])} linted, 0 known clean)" in out

    def test_findings_fail_the_run_name_file_line_and_rule_and_are_never_cached(self, params_copy, capsys, monkeypatch):
        def broken(config):
            template = new_template(config, "a security group in a VPC nobody defined")
            template.add_resource(SecurityGroup("Bad", VpcId=Ref("MissingVpc"), GroupDescription="bad"))
            return StackTemplates("broken", tag_resources(template, config))

        use_fake_stacks(monkeypatch, broken=broken)
        (params_copy / "test.yaml").write_text("stacks: [broken]\n")
        for _ in range(2):
            code, out = run(capsys, "--env", "test")
            assert code == EXIT_FAILURE
            assert "test  broken" in out and "1 finding" in out
            assert "(1 linted, 0 known clean)" in out
        finding = next(line.strip() for line in out.splitlines() if line.strip().startswith("build/test/broken.json:"))
        assert finding.startswith("build/test/broken.json:") and " E" in finding and "MissingVpc" in finding

    def test_the_projects_guarantees_are_enforced_by_generate_itself(self, params_copy, capsys, monkeypatch):
        def ssh_for_everyone(config):
            template = new_template(config, "a security group open to the internet on SSH")
            template.add_resource(
                SecurityGroup(
                    "Open",
                    VpcId="vpc-0123456789abcdef0",
                    GroupDescription="open",
                    SecurityGroupIngress=[
                        SecurityGroupRule(IpProtocol="tcp", FromPort=22, ToPort=22, CidrIp="0.0.0.0/0")
                    ],
                )
            )
            return StackTemplates("open", tag_resources(template, config))

        use_fake_stacks(monkeypatch, open=ssh_for_everyone)
        (params_copy / "test.yaml").write_text("stacks: [open]\n")
        code, out = run(capsys, "--env", "test")
        assert code == EXIT_FAILURE
        [finding] = [line.strip() for line in out.splitlines() if "build/test/open.json:" in line]
        assert " E9002 " in finding and "Open" in finding


def template_count(build) -> int:
    """The build's templates, nested children included: what lint checks (not the manifest or stack policies)."""
    return sum(len(stack.templates) for stack in build.stacks.values())
