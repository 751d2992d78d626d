"""Helpers the tests share: where the project is, and reading generated templates.

Imported by test modules directly (`from tests.helpers import ...`); conftest.py holds only fixtures.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import generate
import templates
from stackyard.build import EnvironmentBuild
from stackyard.config import stacks as config_stacks
from stackyard.errors import EXIT_BAD_INPUT

ROOT = Path(__file__).resolve().parents[2]
PARAMS_DIR = ROOT / "params"
ENVS = ("dev", "test", "prod")


def template(builds: dict[str, EnvironmentBuild], env: str, path: str) -> dict[str, Any]:
    """A rendered template of an environment by its build path, e.g. `network/vpc.json`."""
    for stack in builds[env].stacks.values():
        for rendered in stack.templates:
            if rendered.path == path:
                return rendered.document
    raise KeyError(f"{env} has no template {path}")


def resources(document: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {name: resource for name, resource in document["Resources"].items() if resource["Type"] == resource_type}


def properties(document: dict[str, Any], logical_id: str) -> dict[str, Any]:
    return document["Resources"][logical_id]["Properties"]


def picked(mapping: dict[str, Any], *keys: str) -> dict[str, Any]:
    """Only `keys` of `mapping` (missing ones as None), to compare the facts a test is about."""
    return {key: mapping.get(key) for key in keys}


def json_resource(resource) -> str:
    """A policy resource as text: plain, Fn::Sub (with its names filled in),
    Fn::ImportValue, Fn::GetAtt, or Fn::Join of those."""
    if isinstance(resource, str):
        return resource
    if "Fn::Sub" in resource:
        text = resource["Fn::Sub"]
        if isinstance(text, list):  # [text, {name: value}]: the names filled in
            text, names = text
            for name, value in names.items():
                text = text.replace(f"${{{name}}}", value)
        return text
    if "Fn::ImportValue" in resource:
        return "Import:" + resource["Fn::ImportValue"]
    if "Fn::GetAtt" in resource:
        return "GetAtt:" + ".".join(resource["Fn::GetAtt"])
    return "".join(json_resource(part) for part in resource["Fn::Join"][1])


def base_line(text: str) -> int:
    """The line of params/base.yaml that starts with `text` (after indentation)."""
    lines = (PARAMS_DIR / "base.yaml").read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if line.lstrip().startswith(text))


def run_generate(capsys, *args: str) -> tuple[int, list[str]]:
    """generate.py on ./params into ./build; its exit code and the lines it wrote to stderr."""
    code = generate.main(["--params", "params", "--build-dir", "build", *args])
    return code, capsys.readouterr().err.splitlines()


def generate_test_env(params_dir: Path, capsys, test_yaml: str) -> tuple[int, list[str], bool]:
    """generate.py --env test with params/test.yaml replaced by `test_yaml`: its exit code, the lines it
    wrote to stderr, and whether it wrote a build folder."""
    (params_dir / "test.yaml").write_text(test_yaml)
    code, errors = run_generate(capsys, "--env", "test")
    return code, errors, Path("build").exists()


def refusal_of(problems: list[str]) -> tuple[int, list[str], bool]:
    """What generate_test_env is for params with exactly `problems` (`{project}`: the working folder): exit
    2, each problem as an error line, then their count, and nothing written."""
    lines = [f"error: {problem.replace('{project}', str(Path.cwd()))}" for problem in problems]
    count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''} in the params; nothing was written"
    return EXIT_BAD_INPUT, [*lines, count], False


def use_fake_stacks(monkeypatch, **builders) -> list[str]:
    """Replace the template modules with fakes (stack name -> build function), known and enabled.

    Returns the stack names; a config must list them in `stacks` (params: `stacks: [...]`).
    """
    modules = tuple(SimpleNamespace(NAME=name, build=build) for name, build in builders.items())
    monkeypatch.setattr(templates, "STACK_MODULES", modules)
    monkeypatch.setattr(config_stacks, "STACK_NAMES", tuple(builders))
    monkeypatch.setattr(config_stacks, "STACK_SECTIONS", dict.fromkeys(builders, ()))
    return list(builders)
