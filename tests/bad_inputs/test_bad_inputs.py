"""Pure unit, through the real entry points: every bad input of cases.yaml, run as a user runs it
(`python generate.py ...`, `python deploy.py ...` in a subprocess, in a copy of its system), exits 2
with the place and the fix on stderr, no traceback, and nothing created or changed under build/,
outputs/ or logs/.

Each run is also bounded: under 2 s of CPU time and 300 MB of memory, measured for that child alone
(os.wait4). These bounds guard against hangs and expansion bombs (a 1 KB YAML file that took 80 s and
4.5 GB before), not against slowness: a refused input costs about half a second of imports. CPU time
rather than wall time, so other work on the machine cannot fail the test; a run still going after
HANG_SECONDS of wall time is killed and fails it.

deploy never reaches AWS here: every case fails before the first call, and in case one did not, the
runner gives it fake credentials and an endpoint on a closed local port. Cases run two at a time
(about 45 s for the corpus on two idle cores), so they are marked slow.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from stackyard.generate import generate
from tests.helpers import ROOT

CORPUS = Path(__file__).parent
CASES: list[dict[str, Any]] = yaml.safe_load((CORPUS / "cases.yaml").read_text(encoding="utf-8"))
CPU_SECONDS = 2.0
MAX_RSS_BYTES = 300 * 1024 * 1024
HANG_SECONDS = 60
WATCHED = ("build", "outputs", "logs")
# What a copy of the repository's own system holds; an example system is copied whole.
DEFAULT_SYSTEM = ("params", "sql", "lambdas")
FILE_LINE = re.compile(r"\S+\.yaml:\d+:")
CASE_KEYS = {
    "name",
    "system",
    "command",
    "args",
    "write",
    "copy",
    "remove",
    "dirs",
    "prebuilt",
    "environ",
    "exit",
    "where",
    "no_line",
    "fix",
    "also",
}


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    stderr: str
    cpu_seconds: float
    max_rss_bytes: int
    hung: bool
    changed: list[str]  # files under WATCHED created, changed or removed by the run


def test_the_corpus_is_large_and_every_case_names_its_place_and_fix():
    names = [case["name"] for case in CASES]
    assert len(names) >= 80 and len(set(names)) == len(names)
    assert sum(case.get("command") == "deploy" for case in CASES) >= 10
    for case in CASES:
        assert set(case) <= CASE_KEYS, case["name"]
        assert case["where"] and case["fix"], case["name"]
        # A place in a params file is file:line; a problem elsewhere says why it has no line.
        assert FILE_LINE.search(case["where"]) or case.get("no_line"), case["name"]
        for source in case.get("copy", {}).values():
            assert (CORPUS / "files" / source).is_file(), case["name"]


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_bad_input_exits_2_quickly_with_the_place_and_the_fix_and_writes_nothing(case, outcomes):
    outcome = outcomes[case["name"]]
    assert not outcome.hung, f"still running after {HANG_SECONDS} s"
    assert outcome.exit_code == case.get("exit", 2), outcome.stderr
    assert "Traceback" not in outcome.stderr, outcome.stderr
    for fragment in (case["where"], case["fix"], *case.get("also", [])):
        assert fragment in outcome.stderr
    assert outcome.changed == []
    assert outcome.cpu_seconds < CPU_SECONDS
    assert outcome.max_rss_bytes < MAX_RSS_BYTES


@pytest.fixture(scope="session")
def outcomes(request, tmp_path_factory) -> dict[str, Outcome]:
    """The selected cases run, two at a time (each subprocess is mostly imports, ~0.5 s of CPU)."""
    selected = {
        item.callspec.params["case"]["name"]
        for item in request.session.items
        if getattr(item, "originalname", None)
        == "test_bad_input_exits_2_quickly_with_the_place_and_the_fix_and_writes_nothing"
    }
    cases = [case for case in CASES if case["name"] in selected]
    prebuilt = _prebuilt(tmp_path_factory.mktemp("prebuilt")) if any(case.get("prebuilt") for case in cases) else None
    folders = [tmp_path_factory.mktemp("case") for _ in cases]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = pool.map(lambda case, folder: _run(case, folder, prebuilt), cases, folders)
        return {case["name"]: outcome for case, outcome in zip(cases, results, strict=True)}


def _prebuilt(folder: Path) -> Path:
    """The default system's `test` environment generated once, for cases that deploy an existing build."""
    generate(ROOT / "params", folder / "build", ["test"], run_lint=False)
    return folder / "build"


def _run(case: dict[str, Any], folder: Path, prebuilt: Path | None) -> Outcome:
    project = _prepare(case, folder, prebuilt)
    before = _snapshot(project)
    script = ROOT / f"{case.get('command', 'generate')}.py"
    with open(folder / "stdout", "wb") as stdout, open(folder / "stderr", "wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, str(script), *case["args"]],
            cwd=project,
            env=_environment(case, folder),
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
        )
        status, usage, hung = _wait(process)
    after = _snapshot(project)
    return Outcome(
        exit_code=os.waitstatus_to_exitcode(status),
        stderr=(folder / "stderr").read_text(encoding="utf-8", errors="replace"),
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        max_rss_bytes=usage.ru_maxrss * 1024,  # Linux reports kilobytes
        hung=hung,
        changed=sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path)),
    )


def _wait(process: subprocess.Popen) -> tuple[int, Any, bool]:
    """The child's exit status and its own resource usage; killed after HANG_SECONDS."""
    deadline = time.monotonic() + HANG_SECONDS
    hung = False
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            process.kill()
            _, status, usage = os.wait4(process.pid, 0)
            hung = True
            break
        time.sleep(0.01)
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so Popen must not wait again
    return status, usage, hung


def _prepare(case: dict[str, Any], folder: Path, prebuilt: Path | None) -> Path:
    system = case.get("system", ".")
    project = folder / "project"
    if system == ".":
        for name in DEFAULT_SYSTEM:
            shutil.copytree(ROOT / name, project / name)
    else:
        shutil.copytree(ROOT / system, project, ignore=shutil.ignore_patterns(*WATCHED))
    if case.get("prebuilt"):
        assert prebuilt is not None and system == "."
        shutil.copytree(prebuilt, project / "build")
    for path, spec in case.get("write", {}).items():
        (project / path).parent.mkdir(parents=True, exist_ok=True)
        (project / path).write_bytes(_text(spec).encode("utf-8"))
    for path, source in case.get("copy", {}).items():
        shutil.copyfile(CORPUS / "files" / source, project / path)
    for path in case.get("remove", []):
        (project / path).unlink()
    for path in case.get("dirs", []):
        (project / path).mkdir(parents=True)
    return project


def _text(spec: str | dict[str, Any]) -> str:
    if isinstance(spec, str):
        return spec
    return spec.get("before", "") + spec["repeat"] * spec["times"] + spec.get("after", "")


def _environment(case: dict[str, Any], folder: Path) -> dict[str, str]:
    """This environment without AWS settings or STACKYARD_ENV, and AWS unreachable should a case get that far."""
    environ = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "STACKYARD_"))}
    environ.update(
        AWS_ACCESS_KEY_ID="bad-inputs-test",
        AWS_SECRET_ACCESS_KEY="bad-inputs-test",
        AWS_ENDPOINT_URL="http://127.0.0.1:9",  # the discard port: nothing listens, the call fails at once
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=str(folder / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(folder / "no-aws-credentials"),
    )
    environ.update(case.get("environ", {}))
    return environ


def _snapshot(project: Path) -> dict[str, bytes]:
    """The files under WATCHED (a watched path that is itself a file counts as one)."""
    found = {}
    for name in WATCHED:
        top = project / name
        paths = [top] if top.is_file() else [path for path in top.rglob("*") if path.is_file()]
        found.update({str(path.relative_to(project)): path.read_bytes() for path in paths})
    return found
