"""A throwaway PostgreSQL server for the schema tests and bench/schema_bench.py.

Debian's server binaries (package postgresql, which `make test` installs when missing) live in
/usr/lib/postgresql/<version>/bin, off PATH. initdb refuses to run as root, which is who CI runs
as, so as root the server runs as the package's `postgres` user. It listens on 127.0.0.1 only,
on a free port, with TLS on and password (SCRAM) logins, as Aurora does with rds.force_ssl. Its
certificate is issued by a throwaway CA made for it (`ca_file`) to the name `localhost` only, so a
client that verifies (the schema migrator: verify-full) must trust that CA and connect by that name.
Extra server settings (`settings`, e.g. a parameter group's) are passed as `-c name=value`.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pwd
import shlex
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

import pg8000.native

SUPERUSER = "postgres"
PASSWORD = "stackyard-test-only"
# The package of the schema migrator's modules (handler.py beside it is only Lambda's entry point), and the
# name it is loaded under here: its modules import each other relatively, so any name works.
MIGRATOR = Path(__file__).resolve().parents[2] / "lambdas" / "schema_migrator" / "migrator"
MIGRATOR_PACKAGE = "schema_migrator"
CERTIFICATE_NAME = "localhost"


class PostgresMissing(RuntimeError):
    pass


def server_bin() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda path: int(path.parent.parent.name))
    if not versions:
        raise PostgresMissing(
            "PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin: install Debian's "
            "postgresql package (make test does)"
        )
    return versions[-1].parent


class PostgresServer:
    def __init__(self, settings: dict[str, str] | None = None):
        self.bin = server_bin()
        self.port = _free_port()
        self.host = "127.0.0.1"  # where it listens
        self.name = CERTIFICATE_NAME  # the one name its certificate holds; resolves to self.host
        self.workdir = Path(tempfile.mkdtemp(prefix="stackyard-postgres-"))
        self.data = self.workdir / "data"
        self.ca_file = self.workdir / "ca.crt"
        self.log = self.workdir / "server.log"
        self.settings = settings or {}
        self._owner = pwd.getpwnam(SUPERUSER) if os.geteuid() == 0 else None

    def __enter__(self) -> PostgresServer:
        (self.workdir / "password").write_text(PASSWORD + "\n")
        self._certificate()
        if self._owner:
            for path in [self.workdir, *self.workdir.iterdir()]:
                os.chown(path, self._owner.pw_uid, self._owner.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            "--auth=scram-sha-256",
            f"--pwfile={self.workdir / 'password'}",
            "-E",
            "UTF8",
            "--locale=C",
        )
        options = (
            f"-c listen_addresses={self.host} -c port={self.port} -c unix_socket_directories={self.workdir} "
            f"-c ssl=on -c ssl_cert_file={self.workdir / 'server.crt'} "
            f"-c ssl_key_file={self.workdir / 'server.key'} -c fsync=off"
        )
        options += "".join(f" -c {name}={shlex.quote(value)}" for name, value in self.settings.items())
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "start")
        return self

    def __exit__(self, *exc_info) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def _certificate(self) -> None:
        make_ca(self.workdir, "ca")
        key, request = self.workdir / "server.key", self.workdir / "server.csr"
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={self.name}", "-keyout", key, "-out", request)
        extensions = self.workdir / "server.ext"
        extensions.write_text(
            f"subjectAltName=DNS:{self.name}\nbasicConstraints=critical,CA:FALSE\n"
            "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
        )
        _openssl(
            "x509", "-req", "-in", request, "-CA", self.ca_file, "-CAkey", self.workdir / "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", extensions, "-out", self.workdir / "server.crt",
        )  # fmt: skip
        key.chmod(0o600)

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self._owner:
            command = ["runuser", "-u", SUPERUSER, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            log = self.workdir / "server.log"
            raise RuntimeError(
                f"{program} failed ({result.returncode}): {result.stderr.strip()}"
                + (f"\n{log.read_text()[-2000:]}" if log.exists() else "")
            )


def make_ca(folder: Path, name: str) -> Path:
    """A throwaway certificate authority: folder/<name>.crt (returned) and its key folder/<name>.key."""
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN=Stackyard test CA {name}",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        "-keyout", folder / f"{name}.key", "-out", folder / f"{name}.crt",
    )  # fmt: skip
    return folder / f"{name}.crt"


def _openssl(*args: str | Path) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)


def tls() -> ssl.SSLContext:
    """TLS for the tests' own connections: encrypted, the certificate not verified (the migrator,
    which verifies, is given the server's ca_file)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def create_database(server: PostgresServer, name: str) -> dict:
    """A new, empty database; its credentials as RDS writes them into the database's secret."""
    admin = pg8000.native.Connection(
        SUPERUSER, host=server.host, port=server.port, password=PASSWORD, ssl_context=tls()
    )
    try:
        admin.run(f'DROP DATABASE IF EXISTS "{name}"')
        admin.run(f'CREATE DATABASE "{name}"')
    finally:
        admin.close()
    return {"username": SUPERUSER, "password": PASSWORD, "host": server.name, "port": server.port, "dbname": name}


def load_migrator() -> ModuleType:
    """The schema migrator's package, loaded once from its folder with its modules (`.migrations`, which
    runs migrations, and `.connection`, which holds the CA bundle), for tests that run it in-process."""
    if MIGRATOR_PACKAGE not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            MIGRATOR_PACKAGE, MIGRATOR / "__init__.py", submodule_search_locations=[str(MIGRATOR)]
        )
        assert spec is not None and spec.loader is not None, MIGRATOR
        package = importlib.util.module_from_spec(spec)
        sys.modules[MIGRATOR_PACKAGE] = package
        spec.loader.exec_module(package)
    importlib.import_module(f"{MIGRATOR_PACKAGE}.migrations")  # and the modules it imports
    return sys.modules[MIGRATOR_PACKAGE]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
