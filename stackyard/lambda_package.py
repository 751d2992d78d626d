"""Lambda packages, built deterministically: the same inputs give the same bytes and sha256.

A package is a handler folder, the dependencies its requirements.txt pins (by hash, installed
once per distinct requirements into a cache), and extra folders placed under a name (the
schema migrator's `sql/`). Entries are sorted, timestamps and modes fixed, caches left out.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from stackyard.errors import BadInputError, StackyardError

REQUIREMENTS = "requirements.txt"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say
RUNTIME = {"python_version": "3.12", "platform": "manylinux2014_x86_64"}  # the functions' runtime
LEFT_OUT = {"__pycache__", ".pytest_cache"}
COMPLETE = ".complete"  # written last into a cache folder: it is whole


@dataclass(frozen=True)
class LambdaSource:
    folder: Path  # handler.py (and requirements.txt)
    include: dict[str, Path] = field(default_factory=dict)  # name in the zip -> folder to copy there


def build_zip(source: LambdaSource, cache_dir: Path) -> bytes:
    entries = _files(source.folder, "")
    for name, folder in sorted(source.include.items()):
        entries += _files(folder, f"{name}/")
    requirements = source.folder / REQUIREMENTS
    if requirements.is_file():
        entries += _files(dependencies(requirements, cache_dir), "")
    names = [name for name, _ in entries]
    clashes = sorted({name for name in names if names.count(name) > 1})
    if clashes:
        raise StackyardError(f"{source.folder}: the package would hold {', '.join(clashes)} twice")
    return _zip(sorted(entries))


def dependencies(requirements: Path, cache_dir: Path) -> Path:
    """The requirements installed for the Lambda runtime, once per distinct requirements file.

    Safe for two processes at once: each installs into its own staging folder and renames it, whole,
    into place (a rename is atomic); the one that loses the race uses the winner's folder.
    """
    target = cache_dir / hashlib.sha256(requirements.read_bytes()).hexdigest()
    if (target / COMPLETE).exists():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{target.name}.partial-", dir=cache_dir))
    try:
        _install(requirements, staging)
        (staging / COMPLETE).touch()
        _move_into_place(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # gone already when it won
    return target


def _install(requirements: Path, staging: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-deps",
        "--require-hashes",
        "--only-binary=:all:",
        "--no-compile",
        "--implementation",
        "cp",
        "--python-version",
        RUNTIME["python_version"],
        "--platform",
        RUNTIME["platform"],
        "--target",
        str(staging),
        "-r",
        str(requirements),
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise BadInputError(
            f"{requirements}: pip could not install it for the Lambda runtime: "
            f"{result.stderr.strip().splitlines()[-1] if result.stderr.strip() else result.returncode}"
        )


def _move_into_place(staging: Path, target: Path) -> None:
    """Rename the complete staging folder to `target`; if another process got there first, keep theirs."""
    if target.exists() and not (target / COMPLETE).exists():
        shutil.rmtree(target, ignore_errors=True)  # left by a version of stackyard that renamed in two steps
    try:
        staging.rename(target)
    except OSError:
        if not (target / COMPLETE).exists():
            raise


def _files(folder: Path, prefix: str) -> list[tuple[str, Path]]:
    if not folder.is_dir():
        raise BadInputError(f"{folder}: not found; a Lambda package needs it")
    return [
        (prefix + path.relative_to(folder).as_posix(), path)
        for path in folder.rglob("*")
        if path.is_file()
        and not LEFT_OUT & set(path.parts)
        and path.suffix != ".pyc"
        and path.name != COMPLETE
        and not (prefix == "" and path.name == REQUIREMENTS and path.parent == folder)
    ]


def _zip(entries: list[tuple[str, Path]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, path in entries:
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes(), compresslevel=9)
    return buffer.getvalue()
