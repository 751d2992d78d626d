"""Generating environments: params -> rendered templates -> build/<env>/ -> cfn-lint.

Everything is built in memory first; only when every environment validated and built does
anything touch the build folder, so bad input never leaves half-written files. Files whose
bytes did not change are not rewritten.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from stackyard.build import EnvironmentBuild, MissingSourceStackError, build_environment
from stackyard.config import EnvironmentConfig, load_configs
from stackyard.config.load import locate
from stackyard.errors import BadInputError, ParamsError, ParamsProblem, StackyardError
from stackyard.lint import LintJob, LintReport, digest, lint
from stackyard.manifest import MANIFEST_FILE

LINT_CACHE_FILE = ".lint-cache.json"


def _project_rules() -> Path:
    """The folder of the project's lint rules, found without importing it: lint_rules imports stackyard's
    base modules, so stackyard importing lint_rules would make a cycle."""
    spec = importlib.util.find_spec("lint_rules")
    if spec is None or spec.origin is None:
        raise StackyardError("no lint_rules package beside stackyard. Fix: run from the project, or install it")
    return Path(spec.origin).parent


PROJECT_RULES = _project_rules()  # the guarantees every environment must keep


@dataclass(frozen=True)
class WriteSummary:
    written: list[Path]
    unchanged: int
    removed: list[Path]


@dataclass(frozen=True)
class GenerateResult:
    builds: list[EnvironmentBuild]
    build_dir: Path
    writes: WriteSummary
    lint: LintReport | None


def generate(params_dir: Path, build_dir: Path, envs: list[str] | None = None, run_lint: bool = True) -> GenerateResult:
    """Validate, build, write and lint the environments (all of them when `envs` is None)."""
    configs = load_configs(params_dir, list(dict.fromkeys(envs)) if envs else None)
    builds = build_all(params_dir, configs)
    check_build_folders(build_dir, builds)
    writes = write_builds(build_dir, builds, prune_other_envs=envs is None)
    report = lint(lint_jobs(build_dir, builds), build_dir / LINT_CACHE_FILE, [PROJECT_RULES]) if run_lint else None
    return GenerateResult(builds, build_dir, writes, report)


def build_all(params_dir: Path, configs: dict[str, EnvironmentConfig]) -> list[EnvironmentBuild]:
    """Every environment built; a stack missing what it needs is reported at the `stacks` line that chose it,
    for every environment at once."""
    builds, problems = [], []
    for env, config in configs.items():
        try:
            builds.append(build_environment(config))
        except MissingSourceStackError as error:
            problems.append(ParamsProblem(locate(params_dir, env, ("stacks",)), "stacks", str(error)))
    if problems:
        raise ParamsError(problems)
    return builds


def check_build_folders(build_dir: Path, builds: list[EnvironmentBuild]) -> None:
    """Each file the builds write can be written: no file stands where a folder must be, no folder where a
    file must be. Checked before anything is written, so a blocked path leaves no half build."""
    targets = {build_dir / build.environment / relative for build in builds for relative in build.files()}
    for target in sorted(targets):
        if target.is_dir():
            raise BadInputError(f"{target}: a folder where the build writes a file. Fix: move it away")
        blocker = next((folder for folder in target.parents if folder.exists() and not folder.is_dir()), None)
        if blocker is not None:
            raise BadInputError(
                f"{blocker}: a file where the build needs a folder (for {target}). Fix: move the file away, or "
                f"pass --build-dir DIR"
            )


def write_builds(build_dir: Path, builds: list[EnvironmentBuild], prune_other_envs: bool) -> WriteSummary:
    """Each environment's files under build_dir/<env>/; stale files of ours are removed."""
    written, unchanged, removed = [], 0, []
    for build in builds:
        env_dir = build_dir / build.environment
        files = build.files()
        for relative, content in files.items():
            if _write_if_changed(env_dir / relative, content):
                written.append(env_dir / relative)
            else:
                unchanged += 1
        removed += _remove_stale(env_dir, set(files))
    if prune_other_envs:
        removed += _remove_other_envs(build_dir, {build.environment for build in builds})
    return WriteSummary(written, unchanged, removed)


def lint_jobs(build_dir: Path, builds: list[EnvironmentBuild]) -> list[LintJob]:
    jobs = []
    for build in builds:
        env_dir = build_dir / build.environment
        for stack in build.stacks.values():
            children = list(stack.nested.values())
            # cfn-lint reads a parent's children to check the parameters passed to them.
            jobs.append(
                LintJob(env_dir / stack.template.path, digest(stack.template.body, *(c.body for c in children)))
            )
            jobs += [LintJob(env_dir / child.path, digest(child.body)) for child in children]
    return jobs


def _write_if_changed(path: Path, content: bytes) -> bool:
    try:
        if path.read_bytes() == content:
            return False
    except FileNotFoundError:
        pass  # a new file
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(content)
    os.replace(temporary, path)
    return True


def _remove_stale(env_dir: Path, keep: set[str]) -> list[Path]:
    """JSON files under env_dir that this build did not produce (a stack or child since removed)."""
    stale = [path for path in env_dir.rglob("*.json") if path.relative_to(env_dir).as_posix() not in keep]
    for path in stale:
        path.unlink()
    for folder in sorted((p for p in env_dir.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()
    return stale


def _remove_other_envs(build_dir: Path, envs: set[str]) -> list[Path]:
    """Build folders of environments whose params file is gone (recognised by their manifest)."""
    gone = (
        [
            folder
            for folder in build_dir.iterdir()
            if folder.is_dir() and folder.name not in envs and (folder / MANIFEST_FILE).is_file()
        ]
        if build_dir.is_dir()
        else []
    )
    for folder in gone:
        shutil.rmtree(folder)
    return gone
