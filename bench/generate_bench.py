#!/usr/bin/env python3
"""Wall time of the generate command as a user runs it, each figure the median of N fresh processes:

help:      `python generate.py --help` and `python deploy.py --help`            (goal: <= 0.15 s each)
warm:      `python generate.py` of the default system, nothing changed          (goal: <= 0.25 s)
warm all:  `make generate`'s one run over the default system and every system
           under examples/, nothing changed                                     (goal: <= 1.0 s)
cold:      `python generate.py` into a fresh build folder (no lint cache), next to
           plain: `cfn-lint` over the same templates in one process; the ratio is
           the median of cold/plain taken pair by pair, run in turn           (goal: <= 0.45)

    .venv/bin/python bench/generate_bench.py [--runs N]

The systems are copied to a temporary folder first, so the project's build folders are left alone.
The last line sums it up (docs/performance.md).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CFN_LINT = Path(sys.executable).with_name("cfn-lint")
GOALS = {"help": 0.15, "warm": 0.25, "warm all": 1.0, "cold/plain": 0.45}


def timed(command: Sequence[str | Path]) -> float:
    started = time.perf_counter()
    subprocess.run([str(part) for part in command], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def copy_systems(scratch: Path) -> list[Path]:
    """The default system and every example, each with the folders beside its params/."""
    sources = [ROOT, *sorted(path for path in (ROOT / "examples").iterdir() if (path / "params").is_dir())]
    copies = []
    for source in sources:
        copy = scratch / ("one-system" if source == ROOT else source.name)
        for folder in ("params", "sql", "lambdas"):
            if (source / folder).is_dir():
                shutil.copytree(source / folder, copy / folder)
        copies.append(copy)
    return copies


def generate(*systems: Path) -> list[str | Path]:
    return [sys.executable, "generate.py", *(part for system in systems for part in ("--system", system))]


def templates(build: Path) -> list[Path]:
    """What `cfn-lint build/*/*.json build/*/*/*.json` lints, without the manifests and the stack policies
    (which are not templates; generate does not lint them either)."""
    found = (path for pattern in ("*/*.json", "*/*/*.json") for path in build.glob(pattern))
    return sorted(
        path for path in found if path.name != "manifest.json" and not path.name.endswith(".stack-policy.json")
    )


def measure(runs: int) -> dict[str, list[float]]:
    figures: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        systems = copy_systems(Path(scratch))
        default = systems[0]
        for script in ("generate.py", "deploy.py"):
            timed([sys.executable, script, "--help"])  # warm the file system cache
            figures[f"{script} --help"] = [timed([sys.executable, script, "--help"]) for _ in range(runs)]
        cold, plain = [], []
        for _ in range(runs):
            shutil.rmtree(default / "build", ignore_errors=True)
            cold.append(timed(generate(default)))
            plain.append(timed([CFN_LINT, *templates(default / "build")]))
        figures["cold"], figures["plain"] = cold, plain
        figures["cold/plain"] = [mine / theirs for mine, theirs in zip(cold, plain, strict=True)]
        figures["warm"] = [timed(generate(default)) for _ in range(runs)]
        timed(generate(*systems))  # every system built once
        figures["warm all"] = [timed(generate(*systems)) for _ in range(runs)]
        figures["systems"] = [len(systems)]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="runs per figure; the median is printed (default 3)")
    runs = parser.parse_args().runs
    figures = measure(runs)
    median = {name: statistics.median(values) for name, values in figures.items()}
    labels = {
        "generate.py --help": "python generate.py --help",
        "deploy.py --help": "python deploy.py --help",
        "warm": "warm generate + lint, default system (nothing changed)",
        "warm all": f"warm generate + lint, all {median['systems']:.0f} systems in one run",
        "cold": "cold generate + lint, default system",
        "plain": "plain cfn-lint, one process, same templates",
        "cold/plain": "cold / plain, pair by pair",
    }
    print(f"generate, each a fresh process (median of {runs} runs)")
    for name, label in labels.items():
        values = figures[name]
        unit = "" if name == "cold/plain" else " s"
        print(f"  {label:<58} {median[name]:6.2f}{unit}   (min {min(values):.2f}, max {max(values):.2f})")
    help_seconds = max(median["generate.py --help"], median["deploy.py --help"])
    verdicts = {
        "help": help_seconds,
        "warm": median["warm"],
        "warm all": median["warm all"],
        "cold/plain": median["cold/plain"],
    }
    missed = [name for name, value in verdicts.items() if value > GOALS[name]]
    print(
        f"generate: help={median['generate.py --help']:.2f}/{median['deploy.py --help']:.2f} s, "
        f"warm={median['warm']:.2f} s, warm-all={median['warm all']:.2f} s, cold={median['cold']:.2f} s, "
        f"plain-cfn-lint={median['plain']:.2f} s, cold/plain={median['cold/plain']:.2f} "
        f"(goals {GOALS['help']}/{GOALS['warm']}/{GOALS['warm all']}/{GOALS['cold/plain']}: "
        f"{'met' if not missed else 'missed ' + ', '.join(missed)})"
    )


if __name__ == "__main__":
    main()
