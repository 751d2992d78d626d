"""Property-based (hypothesis), in-process through generate's command line: the valid params of every
system, mutated, are generated or refused, never a crash.

A mutation deletes, renames or retypes a key, swaps two values, truncates the file or injects YAML
syntax into it. The contract is the one tests/bad_inputs/test_bad_inputs.py holds each known bad
input to: exit 0 or 2, no exception out of main (which would print a traceback), and on exit 2 every
stderr line a reported problem and nothing written. Each system gets a small fixed budget in the
normal suite; `pytest -m fuzz` runs a longer, random one (tests/bad_inputs/conftest.py keeps it out
of runs that do not ask for it).
"""

from __future__ import annotations

import contextlib
import copy
import io
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stackyard.cli import generate as generate_cli
from stackyard.params import BASE_FILE
from tests.helpers import ROOT

# Every system and the environment its mutations are generated for.
SYSTEMS = {
    ".": "test",
    "examples/goldsport-scheduler": "dev",
    "examples/infrastructure-package": "staging",
    "examples/plot-palette": "test",
    "examples/tap": "poc",
    "tests/composed": "dev",
}
KEPT = ("params", "sql", "lambdas")  # what a copy of a system needs
YAML_SYNTAX = [
    ":",
    ": ",
    "- ",
    "? ",
    "&a ",
    "*a",
    "*b ",
    "!Ref ",
    "!!int ",
    "{",
    "}",
    "[",
    "]",
    ",",
    "|",
    ">",
    "%",
    "@",
    "`",
    "\t",
    "'",
    '"',
    "#",
    "---\n",
    "...\n",
    "<<: *a\n",
    "\n  ",
    "\n- ",
    "\\",
    "\x00",
    "\ufeff",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["", "ON", "null", "0x1f", "1e999", "2024-13-45", "*", "arn:aws:s3:::x", "AKIAIOSFODNN7EXAMPLE"]),
)
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3), st.dictionaries(st.text(max_size=8), SCALARS, max_size=3))
FAST = settings(
    max_examples=12,
    derandomize=True,  # the normal suite runs the same examples every time: a red CI is a finding, not luck
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
LONG = settings(FAST, max_examples=400, derandomize=False)


@dataclass(frozen=True)
class System:
    folder: Path  # the copy mutations are written into
    env: str
    originals: dict[str, str]  # file name -> its text


@pytest.fixture(scope="module")
def systems(tmp_path_factory) -> dict[str, System]:
    """A copy of each system; each example restores the file it mutated."""
    copies = {}
    for name, env in SYSTEMS.items():
        folder = tmp_path_factory.mktemp("system")
        for kept in KEPT:
            if (ROOT / name / kept).is_dir():
                shutil.copytree(ROOT / name / kept, folder / kept)
        files = (BASE_FILE, f"{env}.yaml")
        copies[name] = System(folder, env, {file: (folder / "params" / file).read_text() for file in files})
    return copies


@st.composite
def mutations(draw: st.DrawFn, system: System) -> tuple[str, str]:
    """One params file of `system` and its mutated text."""
    file = draw(st.sampled_from(sorted(system.originals)))
    text = system.originals[file]
    kind = draw(st.sampled_from(["delete", "rename", "retype", "swap", "truncate", "inject"]))
    if kind == "truncate":
        return file, text[: draw(st.integers(0, len(text)))]
    if kind == "inject":
        at = draw(st.integers(0, len(text)))
        snippet = draw(st.one_of(st.sampled_from(YAML_SYNTAX), st.text(max_size=4)))
        return file, text[:at] + snippet + text[at:]
    data = yaml.safe_load(text) or {}
    for _ in range(draw(st.integers(1, 3))):  # mutations stack: a deleted key beside a retyped one ...
        _mutate(draw, data, kind)
        kind = draw(st.sampled_from(["delete", "rename", "retype", "swap"]))
    return file, yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _mutate(draw: st.DrawFn, data: Any, kind: str) -> None:
    paths = list(_paths(data))
    if not paths:
        return
    path = draw(st.sampled_from(paths))
    parent, key = _parent(data, path), path[-1]
    if kind == "delete":
        del parent[key]
    elif kind == "retype":
        parent[key] = draw(VALUES)
    elif kind == "rename" and isinstance(parent, dict):
        new_key = draw(st.one_of(st.sampled_from([f"{key}s", str(key)[:-1], str(key).upper(), 1]), st.text(max_size=8)))
        parent[new_key] = parent.pop(key)
    elif kind == "swap":
        other = draw(st.sampled_from(paths))
        other_parent = _parent(data, other)
        if not _inside(path, other) and not _inside(other, path):
            parent[key], other_parent[other[-1]] = copy.deepcopy(other_parent[other[-1]]), copy.deepcopy(parent[key])


def _paths(node: Any, at: tuple = ()) -> Any:
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, value in items:
        yield (*at, key)
        yield from _paths(value, (*at, key))


def _parent(data: Any, path: tuple) -> Any:
    for key in path[:-1]:
        data = data[key]
    return data


def _inside(path: tuple, other: tuple) -> bool:
    return other[: len(path)] == path


def _generate(system: System, file: str, text: str, build: Path) -> tuple[int, str]:
    """generate.py --env ENV on the mutated params: its exit code and stderr; the file restored after."""
    params = system.folder / "params"
    (params / file).write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = generate_cli.main(
                ["--params", str(params), "--build-dir", str(build), "--env", system.env, "--skip-lint"]
            )
    finally:
        (params / file).write_text(system.originals[file], encoding="utf-8")
    return code, err.getvalue()


def _holds_the_contract(system: System, file: str, text: str) -> None:
    build = system.folder / "build"
    shutil.rmtree(build, ignore_errors=True)
    code, errors = _generate(system, file, text, build)
    assert code in (0, 2), errors
    if code == 2:
        lines = errors.splitlines()
        assert lines and all(line.startswith("error: ") for line in lines[:-1]), errors
        assert not build.exists()
    shutil.rmtree(build, ignore_errors=True)


@pytest.mark.parametrize("name", SYSTEMS)
def test_mutated_params_are_generated_or_refused_never_a_crash(systems, name):
    system = systems[name]

    @FAST
    @given(mutation=mutations(system))
    def check(mutation: tuple[str, str]) -> None:
        _holds_the_contract(system, *mutation)

    check()


@pytest.mark.fuzz
@pytest.mark.parametrize("name", SYSTEMS)
def test_longer_fuzzing_of_every_system(systems, name):
    system = systems[name]

    @LONG
    @given(mutation=mutations(system))
    def check(mutation: tuple[str, str]) -> None:
        _holds_the_contract(system, *mutation)

    check()
