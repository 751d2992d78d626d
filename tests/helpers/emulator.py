"""LocalStack core, started on 127.0.0.1 in a private folder for as long as a `with` block lasts.

Used by the end-to-end tests and bench/deploy_bench.py. The recipe is the one docs/testing.md
gives ("Emulators"): no Docker, its own Python 3.13 venv (scripts/install-localstack), hypercorn
bound to loopback only, and a free port so it never meets a LocalStack someone else is running.
It ends with the process that started it, even one killed without a chance to clean up (Linux's
PR_SET_PDEATHSIG, which survives the exec into LocalStack), so a killed pytest leaves no emulator behind.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".localstack" / "venv" / "bin" / "python"
START_TIMEOUT = 90.0
# Run in the emulator's own Python before it becomes LocalStack: SIGTERM when the starting process dies (prctl(2)
# PR_SET_PDEATHSIG = 1; the setting survives execve), and no start at all if that process is already gone.
ENDS_WITH_PARENT = """
import ctypes, os, signal, sys
parent = int(sys.argv[1])
if sys.platform == "linux":
    ctypes.CDLL(None).prctl(1, signal.SIGTERM)
if os.getppid() != parent:
    sys.exit(1)
os.execv(sys.executable, [sys.executable, "-m", "localstack.runtime.main"])
"""


class EmulatorMissing(RuntimeError):
    pass


class LocalStack:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.port = _free_port()
        self.log = workdir / "localstack.log"
        self.process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LocalStack:
        if not PYTHON.exists():
            raise EmulatorMissing(f"{PYTHON} not found: run scripts/install-localstack (make test does)")
        address = f"127.0.0.1:{self.port}"
        environment = {
            **{key: value for key, value in os.environ.items() if not key.startswith("AWS_")},
            "OVERRIDE_IN_DOCKER": "0",
            "GATEWAY_LISTEN": address,
            "LOCALSTACK_HOST": address,
            "GATEWAY_SERVER": "hypercorn",
            "DNS_ADDRESS": "0",
            "DISABLE_EVENTS": "1",
            "SKIP_SSL_CERT_DOWNLOAD": "1",
            "FILESYSTEM_ROOT": str(self.workdir / "filesystem"),
            "CONFIG_DIR": str(self.workdir / "config"),
        }
        self.workdir.mkdir(parents=True, exist_ok=True)
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [str(PYTHON), "-c", ENDS_WITH_PARENT, str(os.getpid())],
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_until_healthy()
        return self

    def __exit__(self, *exc_info) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{self.endpoint}/_localstack/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        self.__exit__()
        tail = "\n".join(self.log.read_text().splitlines()[-20:])
        raise RuntimeError(
            f"LocalStack did not become healthy on {self.endpoint} within {START_TIMEOUT:.0f} s:\n{tail}"
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
