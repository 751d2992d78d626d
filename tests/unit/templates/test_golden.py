"""Pure unit: the generator still builds, byte for byte, the golden templates committed under
tests/golden/ (one environment of each system). A failure means a template changed: if the change
is intended, refresh them with `python -m tests.helpers.golden` and commit the reviewed diff."""

from __future__ import annotations

import difflib

import pytest

from tests.helpers.golden import SYSTEMS, built_files, golden_files

REFRESH = "python -m tests.helpers.golden"


@pytest.mark.parametrize("system", SYSTEMS)
def test_the_system_builds_its_golden_templates_byte_for_byte(system):
    built, golden = built_files(system), golden_files(system)
    assert sorted(built) == sorted(golden), f"files added or removed; if intended, run {REFRESH}"
    for path, body in built.items():
        if body != golden[path]:
            diff = difflib.unified_diff(
                golden[path].decode().splitlines(),
                body.decode().splitlines(),
                f"golden/{path}",
                f"built/{path}",
                lineterm="",
            )
            pytest.fail(f"{system}: {path} changed; if intended, run {REFRESH}\n" + "\n".join(list(diff)[:60]))
