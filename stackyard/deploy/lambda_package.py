"""Lambda packages, built deterministically: the same inputs give the same bytes and sha256.

A package is a handler folder, the dependencies its requirements.txt pins (by hash, installed
once per distinct requirements, runtime and architecture into a cache), and extra folders placed
under a name (the schema migrator's `sql/`). Entries are sorted, timestamps and modes fixed,
caches left out.

Dependencies are installed for the function's own runtime and architecture: a wheel with compiled
code (pydantic-core, ...) built for another CPython or CPU fails to import on Lambda.
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
# Lambda's architectures -> the manylinux platform of the wheels that run there (Amazon Linux 2023, glibc 2.34).
PLATFORMS = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}
LEFT_OUT = {"__pycache__", ".pytest_cache"}
COMPLETE = ".complete"  # written last into a cache folder: it is whole


@dataclass(frozen=True)
class LambdaSource:
    folder: Path  # handler.py (and requirements.txt)
    include: dict[str, Path] = field(default_factory=dict)  # name in the zip -> folder to copy there
    runtime: str = "python3.12"  # the function's Lambda runtime, pythonX.Y
    architecture: str = "x86_64"  # x86_64 or arm64

    @property
    def python_version(self) -> str:
        """`3.11` for python3.11: what pip's --python-version takes."""
        version = self.runtime.removeprefix("python")
        if version == self.runtime or not version.replace(".", "").isdigit():
            raise BadInputError(f"{self.folder}: runtime {self.runtime!r} is not a Python runtime such as python3.12")
        return version

    @property
    def platform(self) -> str:
        if self.architecture not in PLATFORMS:
            raise BadInputError(
                f"{self.folder}: architecture {self.architecture!r}; expected one of {', '.join(PLATFORMS)}"
            )
        return PLATFORMS[self.architecture]


def build_zip(source: LambdaSource, cache_dir: Path) -> bytes:
    entries = _files(source.folder, "")
    for name, folder in sorted(source.include.items()):
        entries += _files(folder, f"{name}/")
    requirements = source.folder / REQUIREMENTS
    if requirements.is_file():
        entries += _files(dependencies(requirements, cache_dir, source.python_version, source.platform), "")
    names = [name for name, _ in entries]
    clashes = sorted({name for name in names if names.count(name) > 1})
    if clashes:
        raise StackyardError(f"{source.folder}: the package would hold {', '.join(clashes)} twice")
    return _zip(sorted(entries))


def dependencies(requirements: Path, cache_dir: Path, python_version: str, platform: str) -> Path:
    """The requirements installed for one Lambda runtime and platform, once per distinct requirements
    file, Python version and platform.

    Safe for two processes at once: each installs into its own staging folder and renames it, whole,
    into place (a rename is atomic); the one that loses the race uses the winner's folder.
    """
    key = hashlib.sha256(requirements.read_bytes() + f"\0{python_version}\0{platform}".encode()).hexdigest()
    target = cache_dir / key
    if (target / COMPLETE).exists():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{target.name}.partial-", dir=cache_dir))
    try:
        _install(requirements, staging, python_version, platform)
        (staging / COMPLETE).touch()
        _move_into_place(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # gone already when it won
    return target


def _install(requirements: Path, staging: Path, python_version: str, platform: str) -> None:
    result = subprocess.run(
        pip_command(requirements, staging, python_version, platform), capture_output=True, text=True
    )
    if result.returncode != 0:
        raise BadInputError(
            f"{requirements}: pip could not install it for the Lambda runtime (Python {python_version}, {platform}): "
            f"{_pip_error(result.stderr) or f'exit status {result.returncode}'}. Fix: pin each requirement with the "
            f"hash of a wheel for that Python and platform (pip download --no-deps --only-binary=:all: "
            f"--python-version {python_version} --platform {platform} ..., then pip hash)"
        )


def pip_command(requirements: Path, target: Path, python_version: str, platform: str) -> list[str]:
    """pip installing exactly the hashed requirements, as wheels for CPython `python_version` on `platform`."""
    return [
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
        python_version,
        "--platform",
        platform,
        "--target",
        str(target),
        "-r",
        str(requirements),
    ]


def _pip_error(stderr: str) -> str:
    """pip's first ERROR line, else its last line: the cause, not the end of a hash table."""
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR")]
    return (errors or lines or [""])[0 if errors else -1]


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
