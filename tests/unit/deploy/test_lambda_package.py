"""Pure unit: Lambda dependencies are installed for each function's own runtime and architecture.

The slow tests run pip for real (wheels from the package index, as deploy does) on goldsport's
processor, whose pydantic-core is compiled: a wheel for another CPython or CPU would not import
on Lambda (issue 14: packages were built for CPython 3.12 x86_64 whatever the function ran).
"""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from stackyard.deploy.lambda_package import LambdaSource, build_zip, pip_command
from stackyard.errors import BadInputError
from tests.helpers import ROOT

PROCESSOR = ROOT / "examples" / "goldsport-scheduler" / "lambdas" / "processor"


def _flag(command: list[str], flag: str) -> str:
    return command[command.index(flag) + 1]


@pytest.mark.parametrize(
    ("runtime", "architecture", "version", "platform"),
    [
        ("python3.11", "x86_64", "3.11", "manylinux2014_x86_64"),
        ("python3.13", "arm64", "3.13", "manylinux2014_aarch64"),
    ],
)
def test_pip_installs_wheels_for_the_functions_python_and_cpu(tmp_path, runtime, architecture, version, platform):
    source = LambdaSource(PROCESSOR, runtime=runtime, architecture=architecture)
    command = pip_command(PROCESSOR / "requirements.txt", tmp_path, source.python_version, source.platform)
    assert (_flag(command, "--python-version"), _flag(command, "--platform")) == (version, platform)
    assert {"--require-hashes", "--only-binary=:all:", "--no-deps"} <= set(command)
    assert _flag(command, "--implementation") == "cp"


def test_a_runtime_or_architecture_lambda_does_not_run_is_bad_input():
    with pytest.raises(BadInputError, match="runtime 'nodejs20.x' is not a Python runtime"):
        _ = LambdaSource(PROCESSOR, runtime="nodejs20.x").python_version
    with pytest.raises(BadInputError, match="architecture 'sparc'; expected one of x86_64, arm64"):
        _ = LambdaSource(PROCESSOR, architecture="sparc").platform


def test_seed_004_1_5_the_processor_pins_its_requirements_by_hash():
    lines = [
        line for line in (PROCESSOR / "requirements.txt").read_text().splitlines() if line and not line.startswith("#")
    ]
    pins = [line.split()[0] for line in lines if not line.startswith(" ")]
    assert pins == [
        "pydantic==2.12.5",
        "pydantic-core==2.41.5",
        "annotated-types==0.8.0",
        "typing-extensions==4.16.0",
        "typing-inspection==0.4.5",
    ]
    assert "from pydantic import" in (PROCESSOR / "handler.py").read_text()  # what the handler uses them for


def _compiled_modules(package: bytes) -> list[str]:
    return [name for name in zipfile.ZipFile(io.BytesIO(package)).namelist() if name.endswith(".so")]


@pytest.mark.slow
def test_seed_004_1_5_the_processor_gets_pydantic_core_for_python_3_11_on_each_cpu(tmp_path):
    x86 = build_zip(LambdaSource(PROCESSOR, runtime="python3.11", architecture="x86_64"), tmp_path / "cache")
    arm = build_zip(LambdaSource(PROCESSOR, runtime="python3.11", architecture="arm64"), tmp_path / "cache")
    assert _compiled_modules(x86) == ["pydantic_core/_pydantic_core.cpython-311-x86_64-linux-gnu.so"]
    assert _compiled_modules(arm) == ["pydantic_core/_pydantic_core.cpython-311-aarch64-linux-gnu.so"]
    assert len(list((tmp_path / "cache").iterdir())) == 2  # one install per platform
    # Python 3.12 is not served from the 3.11 install: pip looks for a cp312 wheel, whose hash the file lacks.
    with pytest.raises(BadInputError, match=r"\(Python 3\.12, manylinux2014_x86_64\): ERROR: .*hash"):
        build_zip(LambdaSource(PROCESSOR, runtime="python3.12", architecture="x86_64"), tmp_path / "cache")


@pytest.mark.slow
@pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="imports the python3.11 package: needs CPython 3.11")
def test_seed_004_1_5_the_processor_package_imports_and_parses_an_s3_event_on_its_runtime(tmp_path):
    package = build_zip(LambdaSource(PROCESSOR, runtime="python3.11", architecture="x86_64"), tmp_path / "cache")
    unpacked = tmp_path / "package"
    zipfile.ZipFile(io.BytesIO(package)).extractall(unpacked)
    # Only the package and the standard library (plus boto3, which Lambda's runtime ships) on the path.
    boto3_dir = Path(__import__("boto3").__file__).parents[1]
    script = (
        "import sys; sys.path[:0] = [sys.argv[1]]; sys.path.append(sys.argv[2]); "
        "import pydantic_core, handler; assert pydantic_core.__file__.startswith(sys.argv[1]); "
        "records = handler.RECORDS.validate_python("
        "[{'s3': {'bucket': {'name': 'in'}, 'object': {'key': 'orders/a%20b.csv'}}}]); "
        "print(records[0].s3.object.key)"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", script, str(unpacked), str(boto3_dir)],
        capture_output=True,
        text=True,
        env={"DATA_TABLE": "t", "AWS_DEFAULT_REGION": "us-east-1"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "orders/a%20b.csv"
