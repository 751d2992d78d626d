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
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from stackyard.errors import BadInputError, StackyardError

REQUIREMENTS = "requirements.txt"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say
RUNTIME = {"python_version": "3.12", "platform": "manylinux2014_x86_64"}  # the functions' runtime
LEFT_OUT = {"__pycache__", ".pytest_cache"}


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
    """The requirements installed for the Lambda runtime, once per distinct requirements file."""
    target = cache_dir / hashlib.sha256(requirements.read_bytes()).hexdigest()
    if (target / ".complete").exists():
        return target
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
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
    (staging / ".complete").touch()
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target


def _files(folder: Path, prefix: str) -> list[tuple[str, Path]]:
    if not folder.is_dir():
        raise BadInputError(f"{folder}: not found; a Lambda package needs it")
    return [
        (prefix + path.relative_to(folder).as_posix(), path)
        for path in folder.rglob("*")
        if path.is_file()
        and not LEFT_OUT & set(path.parts)
        and path.suffix != ".pyc"
        and path.name != ".complete"
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
