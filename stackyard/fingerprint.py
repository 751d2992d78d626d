"""The build fingerprint: proof that nothing a generated build depends on has changed since it was
linted clean, so generate can skip validating, building and linting (docs/performance.md).

A record is kept per environment selection (all of them, or the ones named with --env) in the
build folder's lint cache, and only for a build whose every template linted clean: findings are
never cached, so a run after findings builds and lints again. (A --skip-lint run writes no record,
as it writes no lint cache, but may use one.) A record is used only when all of these hold:

- the inputs digest is the same: the params folder (every file, and where it is), the project's
  own source (stackyard/, templates/, lint_rules/), the system's sql/ and lambdas/ folders, the
  versions of Python and of the tools the output depends on (TOOLS);
- every other folder the params pointed the build at (Lambda sources, migrations) is unchanged;
- every file of the build is still there with the bytes it was written with, and no other JSON
  file or environment folder is, so generate would neither write nor remove anything.

Only the standard library is imported here, so a run that nothing changed stays fast.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from stackyard import versions
from stackyard.errors import StackyardError

# stackyard.manifest's name for it: importing that module (five dataclasses) costs a run that
# nothing changed more than reading the build does. A test holds the two equal.
MANIFEST_FILE = "manifest.json"

SOURCE_PACKAGES = ("stackyard", "templates", "lint_rules")
SYSTEM_FOLDERS = ("sql", "lambdas")  # beside params/: the migrations and Lambda sources by convention
# Everything whose version can change a template, a manifest, a validation or a lint result.
TOOLS = ("troposphere", "awacs", "cfn-lint", "pydantic", "pydantic-core", "PyYAML", "Jinja2")
ALL_ENVIRONMENTS = "*"  # the selection key of a run without --env


@dataclass(frozen=True)
class StackSummary:
    """What the generate summary shows of one stack."""

    environment: str
    name: str
    resources: int  # a nested stack resource is not counted: it stands for its child's resources
    templates: tuple[str, ...]  # relative to the environment's build folder, the stack's own first
    exports: int
    imports: int
    depends_on: tuple[str, ...]


@dataclass(frozen=True)
class BuildRecord:
    """A build of one environment selection that linted clean, and what it depended on."""

    inputs: str  # inputs_digest() when it was built
    environments: tuple[str, ...]
    folders: dict[str, str]  # other folder the build read -> tree_digest() when it was built
    outputs: dict[str, str]  # every file, relative to the build folder -> its sha256
    stacks: tuple[StackSummary, ...]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> BuildRecord | None:
        """The record, or None when `data` is not one (absent, or written by another version)."""
        try:
            return cls(
                data["inputs"],
                tuple(data["environments"]),
                dict(data["folders"]),
                dict(data["outputs"]),
                tuple(StackSummary(**{**row, **_tuples(row)}) for row in data["stacks"]),
            )
        except (KeyError, TypeError):
            return None

    def holds(self, inputs: str, build_dir: Path, prune_other_envs: bool) -> bool:
        """Whether generating again would produce exactly this build, changing no file."""
        return (
            inputs == self.inputs
            and all(tree_digest(Path(folder)) == digest for folder, digest in self.folders.items())
            and output_digests(build_dir, self.environments) == self.outputs
            and not (prune_other_envs and other_environments(build_dir, self.environments))
        )


def selection_key(envs: Iterable[str] | None) -> str:
    return ALL_ENVIRONMENTS if envs is None else ",".join(envs)


def inputs_digest(params_dir: Path) -> str:
    """One digest over everything on disk and installed that every build of the system reads."""
    project_dir = params_dir.resolve().parent
    parts = [f"python {sys.version}", *(f"{tool} {versions.installed(tool)}" for tool in TOOLS)]
    parts += [f"{package} {tree_digest(package_folder(package))}" for package in SOURCE_PACKAGES]
    parts.append(f"params {params_dir.resolve()} {tree_digest(params_dir)}")
    parts += [f"{folder} {tree_digest(project_dir / folder)}" for folder in SYSTEM_FOLDERS]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def tree_digest(folder: Path) -> str:
    """sha256 over the relative path and content of every file under `folder`, bytecode caches
    aside; a missing folder has a digest of its own."""
    hasher = hashlib.sha256()
    if not folder.is_dir():
        hasher.update(b"missing" if not folder.exists() else b"file:" + folder.read_bytes())
        return hasher.hexdigest()
    for top, dirs, files in os.walk(folder, followlinks=True):
        dirs[:] = sorted(name for name in dirs if name != "__pycache__")
        for name in sorted(files):
            if not name.endswith(".pyc"):
                path = Path(top, name)
                relative = path.relative_to(folder).as_posix()
                hasher.update(relative.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return hasher.hexdigest()


def output_digests(build_dir: Path, environments: Iterable[str]) -> dict[str, str]:
    """Every JSON file of the environments' build folders (templates, manifests, the stack policies beside the
    templates), relative to build_dir -> its sha256."""
    return {
        path.relative_to(build_dir).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for env in environments
        for path in sorted((build_dir / env).rglob("*.json"))
    }


def other_environments(build_dir: Path, environments: Iterable[str]) -> list[Path]:
    """Build folders of environments not in `environments`, recognised by their manifest: a run of
    every environment removes them (their params file is gone)."""
    if not build_dir.is_dir():
        return []
    known = set(environments)
    return sorted(
        folder
        for folder in build_dir.iterdir()
        if folder.is_dir() and folder.name not in known and (folder / MANIFEST_FILE).is_file()
    )


def package_folder(package: str) -> Path:
    """A top-level package's folder, found without importing it (lint_rules imports stackyard)."""
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise StackyardError(f"no {package} package beside stackyard. Fix: run from the project, or install it")
    return Path(spec.origin).parent


def record_build(builds: dict[str, Any], inputs: str, key: str, record: BuildRecord | None) -> None:
    """Keep `record` under `key`, or forget the key (None: the build had findings); records made
    from other inputs can never hold again, so they go too."""
    stale = [other for other, data in builds.items() if not isinstance(data, dict) or data.get("inputs") != inputs]
    for other in [*stale, key]:
        builds.pop(other, None)
    if record is not None:
        builds[key] = record.to_json()


def _tuples(row: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    return {"templates": tuple(row["templates"]), "depends_on": tuple(row["depends_on"])}
