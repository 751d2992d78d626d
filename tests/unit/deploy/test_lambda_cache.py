"""Pure unit (threads, a stand-in for pip): the Lambda dependency cache is safe for two processes.

Two runs packaging the same requirements at once each install into their own staging folder and
rename it into place whole; the loser of the race uses the winner's folder; no half-installed
folder is ever used or left behind.
"""

from __future__ import annotations

import threading
from pathlib import Path

from stackyard.deploy import lambda_package
from stackyard.deploy.lambda_package import COMPLETE, dependencies

RUNTIME = ("3.12", "manylinux2014_x86_64")  # Python version and platform the packages are built for


def test_two_installs_at_once_end_with_one_whole_folder_both_use(tmp_path, monkeypatch):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("pg8000==1.31.2 --hash=sha256:abc\n")
    both_installing = threading.Barrier(2)
    installs = []

    def pip(requirements: Path, staging: Path, *runtime: str) -> None:
        installs.append(staging)
        (staging / "pg8000").mkdir()
        (staging / "pg8000" / "__init__.py").write_text(f"# installed into {staging.name}\n")
        both_installing.wait(timeout=5)  # neither has renamed yet: a real race

    monkeypatch.setattr(lambda_package, "_install", pip)
    found: list[Path] = []
    threads = [
        threading.Thread(target=lambda: found.append(dependencies(requirements, tmp_path / "cache", *RUNTIME)))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(installs) == 2 and len(found) == 2 and found[0] == found[1]
    assert (found[0] / COMPLETE).exists() and (found[0] / "pg8000" / "__init__.py").exists()
    assert [path.name for path in (tmp_path / "cache").iterdir()] == [found[0].name]  # no staging left


def test_a_whole_folder_is_used_again_without_installing(tmp_path, monkeypatch):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("x\n")
    calls = []
    monkeypatch.setattr(lambda_package, "_install", lambda requirements, staging, *runtime: calls.append(staging))
    first = dependencies(requirements, tmp_path / "cache", *RUNTIME)
    assert dependencies(requirements, tmp_path / "cache", *RUNTIME) == first
    assert len(calls) == 1


def test_a_folder_left_half_done_by_an_older_version_is_replaced(tmp_path, monkeypatch):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("x\n")
    monkeypatch.setattr(lambda_package, "_install", lambda requirements, staging, *runtime: (staging / "ok").touch())
    cache = tmp_path / "cache"
    half = cache / lambda_package.hashlib.sha256(b"x\n\0" + "\0".join(RUNTIME).encode()).hexdigest()
    half.mkdir(parents=True)
    (half / "broken").touch()
    assert dependencies(requirements, cache, *RUNTIME) == half
    assert sorted(path.name for path in half.iterdir()) == [COMPLETE, "ok"]
