"""Pure unit (slow: runs cfn-lint): every system in the repository, the default one and each of
examples/, generates every environment lint-clean under cfn-lint and the project's rules; so does
tests/composed, which combines every component at once."""

from __future__ import annotations

import shutil

import pytest

import generate
from tests.helpers import ROOT

SYSTEMS = [
    ROOT,
    *sorted(path for path in (ROOT / "examples").iterdir() if (path / "params").is_dir()),
    ROOT / "tests" / "composed",
]
COPIED = ("params", "sql", "lambdas")  # what a system's params may point at


@pytest.mark.slow
@pytest.mark.parametrize("system", SYSTEMS, ids=lambda path: path.name if path != ROOT else "default")
def test_every_environment_of_the_system_generates_lint_clean(system, tmp_path, capsys):
    for folder in COPIED:
        if (system / folder).is_dir():
            shutil.copytree(system / folder, tmp_path / folder)
    code = generate.main(["--system", str(tmp_path)])
    out = capsys.readouterr()
    assert code == 0, out.out + out.err
    assert "lint: clean" in out.out, out.out
    built = {path.name for path in (tmp_path / "build").iterdir() if path.is_dir() and not path.name.startswith(".")}
    assert built == {path.stem for path in (system / "params").glob("*.yaml") if path.stem != "base"}
