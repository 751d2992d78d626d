"""Golden templates: one environment of each system, committed under tests/golden/<system>/<env>/.

tests/unit/templates/test_golden.py compares what the generator builds now with these files, so
every change to a template shows up in a pull request as a diff of plain JSON. After an intended
change, refresh them (and review the diff before committing):

    python -m tests.helpers.golden        (or: make golden)
"""

from __future__ import annotations

import shutil
import sys

from stackyard.build import build_environment
from stackyard.config import load_configs
from tests.helpers import ROOT

GOLDEN_DIR = ROOT / "tests" / "golden"
# system name -> (its folder, the environment kept as golden: the one with the most in it)
SYSTEMS = {
    "one-system": (ROOT, "prod"),
    "infrastructure-package": (ROOT / "examples" / "infrastructure-package", "production"),
    "tap": (ROOT / "examples" / "tap", "poc"),
    "plot-palette": (ROOT / "examples" / "plot-palette", "production"),
    "goldsport-scheduler": (ROOT / "examples" / "goldsport-scheduler", "prod"),
    "composed": (ROOT / "tests" / "composed", "prod"),
}


def built_files(system: str) -> dict[str, bytes]:
    """Every file generate writes for the system's golden environment, by path relative to its folder."""
    folder, env = SYSTEMS[system]
    config = load_configs(folder / "params", [env])[env]
    return build_environment(config).files()


def golden_files(system: str) -> dict[str, bytes]:
    folder = GOLDEN_DIR / system / SYSTEMS[system][1]
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def refresh() -> list[str]:
    """Rewrite every golden folder from the generator; returns the systems whose files changed."""
    changed = []
    for system, (_, env) in SYSTEMS.items():
        files = built_files(system)
        if GOLDEN_DIR.joinpath(system, env).is_dir() and golden_files(system) == files:
            continue
        shutil.rmtree(GOLDEN_DIR / system, ignore_errors=True)
        for relative, body in files.items():
            path = GOLDEN_DIR / system / env / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)
        changed.append(system)
    return changed


if __name__ == "__main__":
    refreshed = refresh()
    print(f"refreshed: {', '.join(refreshed)}" if refreshed else "golden templates are up to date")
    sys.exit(0)
