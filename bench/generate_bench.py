#!/usr/bin/env python3
"""Wall time of generate + lint of every environment, cold and warm, next to plain cfn-lint.

    .venv/bin/python bench/generate_bench.py [--runs N]

cold:  a fresh build folder (no lint cache), `python generate.py`
warm:  the same again with nothing changed
plain: `cfn-lint` over the same templates in one process (children included)
all systems warm: `python generate.py --system S` for the default system and every one under
       examples/, one after another, each already generated (the goal: under 3 s together)

Each is a separate process, as a user runs it; the figure is the median of N runs.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CFN_LINT = Path(sys.executable).with_name("cfn-lint")


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def measure(runs: int) -> dict[str, list[float]]:
    figures: dict[str, list[float]] = {"cold": [], "warm": [], "plain": []}
    with tempfile.TemporaryDirectory() as scratch:
        build = Path(scratch) / "build"
        generate = [sys.executable, "generate.py", "--build-dir", str(build)]
        for _ in range(runs):
            shutil.rmtree(build, ignore_errors=True)
            figures["cold"].append(timed(generate, ROOT))
            figures["warm"].append(timed(generate, ROOT))
        # what `cfn-lint build/*/*.json build/*/*/*.json` lints, without the manifests
        templates = sorted(
            str(path)
            for pattern in ("*/*.json", "*/*/*.json")
            for path in build.glob(pattern)
            if path.name != "manifest.json"
        )
        for _ in range(runs):
            figures["plain"].append(timed([str(CFN_LINT), *templates], ROOT))
    return figures


def systems() -> list[Path]:
    return [ROOT, *sorted(path for path in (ROOT / "examples").iterdir() if (path / "params").is_dir())]


def measure_all_systems(runs: int) -> list[float]:
    """Warm generate + lint of every system in turn, as CI's `make generate` runs them."""
    with tempfile.TemporaryDirectory() as scratch:
        commands = [
            [
                sys.executable,
                "generate.py",
                "--system",
                str(system),
                "--build-dir",
                str(Path(scratch) / system.name / "build"),
            ]
            for system in systems()
        ]
        for command in commands:  # make them warm
            timed(command, ROOT)
        figures = []
        for _ in range(runs):
            started = time.perf_counter()
            for command in commands:
                subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
            figures.append(time.perf_counter() - started)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="runs per figure; the median is printed (default 3)")
    runs = parser.parse_args().runs
    figures = measure(runs)
    print(f"generate + lint of every environment in params/ (median of {runs} runs)")
    labels = {
        "cold": "cold generate + lint",
        "warm": "warm generate + lint (nothing changed)",
        "plain": "plain cfn-lint, one process, same templates",
    }
    for key, label in labels.items():
        values = figures[key]
        print(f"  {label:<46} {statistics.median(values):6.2f} s   (min {min(values):.2f}, max {max(values):.2f})")
    print(f"  cold / plain: {statistics.median(figures['cold']) / statistics.median(figures['plain']):.2f}")
    every = measure_all_systems(runs)
    print(
        f"  all {len(systems())} systems, warm, one process each{'':<13} {statistics.median(every):6.2f} s   "
        f"(min {min(every):.2f}, max {max(every):.2f})"
    )


if __name__ == "__main__":
    main()
