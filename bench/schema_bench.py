#!/usr/bin/env python3
"""Schema migrator timings against a local PostgreSQL (TLS, loopback): applying all of sql/ to an
empty database, and a run with nothing to apply (connect, lock, read the history, unlock).

    .venv/bin/python bench/schema_bench.py [--runs N]

Needs Debian's postgresql package (scripts/install-postgres; make bench does it).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers.postgres import PostgresServer, create_database, load_migrator  # noqa: E402 (root on sys.path now)


def timed(migrations) -> float:
    started = time.perf_counter()
    migrations.migrate({"SecretArn": "bench"})
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs per figure; the median is printed (default 5)")
    runs = parser.parse_args().runs
    package = load_migrator()
    migrations = package.migrations
    migrations.SQL_DIR = ROOT / "sql"  # the package puts sql/ beside the handler; here it is the project's
    full, noop = [], []
    with PostgresServer() as server:
        package.connection.CA_BUNDLE = server.ca_file  # verify-full against the test server's CA, as against RDS's
        for run in range(runs):
            credentials = create_database(server, f"bench_{run}")
            migrations._credentials = lambda arn, found=credentials: dict(found)
            full.append(timed(migrations))
            noop.extend(timed(migrations) for _ in range(5))
    files = len(list((ROOT / "sql").glob("*.sql")))
    print(f"schema migrator on local PostgreSQL over TLS ({files} migrations; median of {runs} databases)")
    print(
        f"  full schema on an empty database   {statistics.median(full) * 1000:7.1f} ms   "
        f"(min {min(full) * 1000:.1f}, max {max(full) * 1000:.1f})"
    )
    print(
        f"  no-op run (nothing to apply)       {statistics.median(noop) * 1000:7.1f} ms   "
        f"(min {min(noop) * 1000:.1f}, max {max(noop) * 1000:.1f})"
    )


if __name__ == "__main__":
    main()
