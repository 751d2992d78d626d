"""Real PostgreSQL (tests/helpers/postgres.py): the schema of sql/ and the migrator's rules, in-process.

The seed's Schema Tests run against the real migrations; the migrator's rules (each file once,
in order, in its own transaction; checksums; one at a time) run against small files of their own.
Its custom resource protocol, from the packaged zip in a separate process, is in
test_schema_migrator_protocol.py.
"""

from __future__ import annotations

import shutil
import threading

import pg8000.exceptions
import pg8000.native
import pytest

from tests.helpers import ROOT
from tests.helpers.postgres import PostgresServer, create_database, load_migrator, tls

pytestmark = pytest.mark.postgres
SQL = ROOT / "sql"


@pytest.fixture(scope="module")
def server():
    with PostgresServer() as running:
        yield running


@pytest.fixture
def database(server, request):
    """A fresh database for the test; its credentials as the RDS secret holds them."""
    name = "test_" + request.node.name.lower().replace("[", "_").replace("]", "").replace("-", "_")[:50]
    return create_database(server, name)


@pytest.fixture
def migrator(server, database, tmp_path, monkeypatch):
    """The migrator's migrations module, reading credentials from `database` and migrations from its own
    sql folder (as `.folder`), and trusting the test server's CA as it trusts the RDS bundle in a package."""
    package = load_migrator()
    migrations = package.migrations
    folder = tmp_path / "sql"
    shutil.copytree(SQL, folder)
    monkeypatch.setattr(migrations, "SQL_DIR", folder)
    monkeypatch.setattr(package.connection, "CA_BUNDLE", server.ca_file)
    monkeypatch.setattr(migrations, "_credentials", lambda arn: dict(database))
    monkeypatch.setattr(migrations, "folder", folder, raising=False)
    return migrations


def connect(database) -> pg8000.native.Connection:
    return pg8000.native.Connection(
        database["username"],
        host=database["host"],
        port=database["port"],
        password=database["password"],
        database=database["dbname"],
        ssl_context=tls(),
    )


def migrate(migrations) -> dict:
    return migrations.migrate({"SecretArn": "arn:aws:secretsmanager:test"})


# --- the seed's Schema Tests (seed 000, Testing Plan) ------------------------------------------


@pytest.fixture
def schema(migrator, database):
    assert migrate(migrator) == {"Version": "0003_reference_data.sql", "Applied": "3", "Total": "3"}
    connection = connect(database)
    yield connection
    connection.close()


def test_all_twelve_tables_are_created(schema):
    tables = {
        row[0] for row in schema.run("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
    }
    assert tables - {"schema_migrations"} == {
        "users",
        "cases",
        "case_history",
        "case_attachments",
        "notifications",
        "case_sequence",
        "ref_service_type",
        "ref_complaint_type",
        "ref_handler",
        "ref_closure_reason",
        "sla_config",
        "summary_cases_daily",
    }


def test_the_indexes_of_section_1_9_exist_including_the_unique_dedup_index(schema):
    indexes = {
        row[0]: row[1]
        for row in schema.run(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND indexname LIKE '%_idx'"
        )
    }
    assert len(indexes) >= 8
    assert indexes["cases_source_dedup_idx"].startswith("CREATE UNIQUE INDEX cases_source_dedup_idx ON public.cases")
    assert "(source_channel, source_seq_no, reported_at)" in indexes["cases_source_dedup_idx"]
    assert "(user_id, is_read)" in indexes["notifications_user_read_idx"]


@pytest.mark.parametrize(
    ("table", "rows"),
    [
        ("ref_service_type", 12),
        ("ref_complaint_type", 12),
        ("ref_closure_reason", 5),
        ("sla_config", 4),
        ("ref_handler", 14),
        ("case_sequence", 0),
    ],
)
def test_reference_data_is_seeded_and_the_case_sequence_starts_empty(schema, table, rows):
    assert schema.run(f"SELECT count(*) FROM {table}") == [[rows]]


def test_reference_data_holds_the_seeds_facts(schema):
    assert schema.run(
        "SELECT priority, temp_fix_hours, permanent_fix_days FROM sla_config ORDER BY temp_fix_hours"
    ) == [["CRITICAL", 12, 7], ["HIGH", 24, 7], ["MEDIUM", 72, 7], ["LOW", 168, 7]]
    assert schema.run("SELECT min(code), max(code) FROM ref_service_type") == [[1, 12]]
    assert schema.run("SELECT min(code), max(code) FROM ref_complaint_type") == [["CT01", "CT12"]]
    assert schema.run("SELECT code FROM ref_closure_reason WHERE requires_note") == [["OTHER"]]
    assert schema.run("SELECT count(*) FROM ref_handler WHERE user_id IS NULL") == [[14]]


def a_case(**values) -> tuple[str, dict]:
    row = {
        "case_number": "C-1",
        "source_channel": "LINE",
        "source_seq_no": "L-100",
        "reported_at": "2026-11-01T08:00:00+07:00",
        "priority": "HIGH",
        "description": "Water leak",
        **values,
    }
    columns = ", ".join(row)
    return f"INSERT INTO cases ({columns}) VALUES ({', '.join(':' + name for name in row)})", row


def test_a_case_for_an_officer_who_does_not_exist_is_a_foreign_key_violation(schema):
    sql, row = a_case(assigned_officer_id=999)
    with pytest.raises(pg8000.exceptions.DatabaseError) as raised:
        schema.run(sql, **row)
    assert raised.value.args[0]["C"] == "23503"


def test_the_same_report_twice_from_a_channel_is_a_unique_violation(schema):
    sql, row = a_case()
    schema.run(sql, **row)
    again, duplicate = a_case(case_number="C-2")
    with pytest.raises(pg8000.exceptions.DatabaseError) as raised:
        schema.run(again, **duplicate)
    assert raised.value.args[0]["C"] == "23505"
    assert raised.value.args[0]["n"] == "cases_source_dedup_idx"


def test_closing_for_other_needs_a_note(schema):
    sql, row = a_case(status="CLOSED", closed_at="2026-11-02T08:00:00+07:00", closure_reason_code="OTHER")
    with pytest.raises(pg8000.exceptions.DatabaseError) as raised:
        schema.run(sql, **row)
    assert raised.value.args[0]["C"] == "23514"
    with_note, noted = a_case(
        status="CLOSED",
        closed_at="2026-11-02T08:00:00+07:00",
        closure_reason_code="OTHER",
        closure_note="Reporter withdrew",
    )
    schema.run(with_note, **noted)


# --- the migrator's rules ------------------------------------------------------------------------


def history(database) -> list[list]:
    connection = connect(database)
    try:
        return connection.run("SELECT name, checksum FROM schema_migrations ORDER BY name")
    finally:
        connection.close()


def tables(database) -> set[str]:
    connection = connect(database)
    try:
        return {
            row[0]
            for row in connection.run("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
        }
    finally:
        connection.close()


def test_a_second_run_applies_nothing(migrator):
    migrate(migrator)
    assert migrate(migrator) == {"Version": "0003_reference_data.sql", "Applied": "0", "Total": "3"}


def test_a_new_file_applies_alone(migrator, database):
    migrate(migrator)
    (migrator.folder / "0004_case_tags.sql").write_text("CREATE TABLE case_tags (case_id bigint REFERENCES cases);")
    assert migrate(migrator) == {"Version": "0004_case_tags.sql", "Applied": "1", "Total": "4"}
    assert "case_tags" in tables(database)


def test_a_changed_applied_file_fails_naming_it_and_applies_nothing_else(migrator, database):
    migrate(migrator)
    before = history(database)
    (migrator.folder / "0002_indexes.sql").write_text("-- edited after it was applied\n")
    (migrator.folder / "0004_case_tags.sql").write_text("CREATE TABLE case_tags (case_id bigint);")
    with pytest.raises(migrator.MigrationError, match="0002_indexes.sql changed after it was applied"):
        migrate(migrator)
    assert history(database) == before and "case_tags" not in tables(database)


def test_a_failing_file_rolls_back_entirely_and_the_next_run_succeeds_once_fixed(migrator, database):
    migrate(migrator)
    broken = migrator.folder / "0004_reports.sql"
    broken.write_text("CREATE TABLE reports (id serial PRIMARY KEY);\nINSERT INTO reports (missing) VALUES (1);\n")
    with pytest.raises(
        migrator.MigrationError,
        match='0004_reports.sql failed and was rolled back: column "missing" of relation "reports" does not exist',
    ):
        migrate(migrator)
    assert "reports" not in tables(database) and len(history(database)) == 3
    broken.write_text("CREATE TABLE reports (id serial PRIMARY KEY);\n")
    assert migrate(migrator)["Applied"] == "1"


def test_two_migrators_at_once_apply_each_file_once(migrator, database):
    (migrator.folder / "0004_slow.sql").write_text("SELECT pg_sleep(1); CREATE TABLE slow (id int);")
    results, errors = [], []

    def run():
        try:
            results.append(migrate(migrator))
        except Exception as error:  # collected for the assertion below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(result["Applied"] for result in results) == ["0", "4"]
    assert len(history(database)) == 4


def test_an_unreachable_database_fails_fast_with_the_fix(migrator, monkeypatch):
    monkeypatch.setattr(
        migrator, "_credentials", lambda arn: {"username": "u", "password": "p", "host": "127.0.0.1", "port": 9}
    )
    with pytest.raises(
        migrator.MigrationError,
        match="cannot reach the database at 127.0.0.1:9 within 10 s .*Fix: "
        "check its security group admits the migrator",
    ):
        migrate(migrator)


def test_the_package_folder_must_hold_migrations(migrator, tmp_path, monkeypatch):
    monkeypatch.setattr(migrator, "SQL_DIR", tmp_path / "empty")
    with pytest.raises(migrator.MigrationError, match="no .sql files were packaged in empty/"):
        migrate(migrator)


def test_the_migrations_digest_changes_with_any_file(tmp_path):
    from stackyard.digests import folder_digest

    shutil.copytree(SQL, tmp_path / "sql")
    before = folder_digest(tmp_path / "sql", "*.sql")
    assert before == folder_digest(SQL, "*.sql")
    (tmp_path / "sql" / "0004_new.sql").write_text("SELECT 1;")
    assert folder_digest(tmp_path / "sql", "*.sql") != before
