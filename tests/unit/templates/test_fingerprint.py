"""The build fingerprint (stackyard/fingerprint.py): a run that nothing changed reuses the build, and
any change to what the build depends on builds again (docs/performance.md).

Pure unit on local files: the digests of a project copied to a temporary folder. The tests marked
`slow` run generate end to end, with the real cfn-lint (a record is kept only for a build that
linted clean), on one small environment. What a `--no-generate` deploy imports is checked in a new
process deploying the fault matrix's small environment to its scripted AWS (tests/faults/).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import generate as generate_script
import lint_rules
import stackyard
import templates
from stackyard import fingerprint, versions
from stackyard.errors import EXIT_BAD_INPUT, EXIT_OK
from stackyard.fingerprint import BuildRecord, StackSummary
from stackyard.generate import LINT_CACHE_FILE, generate
from stackyard.lint import LintReport
from tests.helpers import ROOT

# One environment, `test`, of four stacks: the database's migrations and a function's source are
# folders the params point at, outside sql/ and lambdas/.
TEST_ENV = """\
stacks: [network, alerts, database, functions]
database:
  migrations: db/migrations
functions:
  hello:
    purpose: Says hello
    source: src/hello
    handler: handler.main
    runtime: python3.12
    timeout_seconds: 10
    memory_mb: 128
    log_retention_days: 7
"""
# Packages and modules never imported by a run that nothing changed, nor by --help.
HEAVY = ("boto3", "botocore", "pydantic", "troposphere", "awacs", "cfnlint", "rich", "jinja2", "yaml", "templates")
HEAVY_OF_OURS = (
    "stackyard.config",
    "stackyard.build",
    "stackyard.aws",
    "stackyard.deploy.run",
    "stackyard.deploy.progress",
)
# Never imported by a `deploy.py --no-generate` (a first deploy to a bootstrapped account, then a no-op):
# botocore is all of AWS it needs (docs/performance.md, "A no-op deploy").
NOT_FOR_DEPLOY = (*(package for package in HEAVY if package != "botocore"), "s3transfer")
NOT_FOR_DEPLOY_OF_OURS = ("stackyard.config", "stackyard.build", "stackyard.deploy.verify", "stackyard.params")
# What the digest does not cover: the build itself and the folders the params point at, which
# BuildRecord.holds checks beside it.
CHECKED_BESIDE_THE_DIGEST = {
    "the migrations folder the params name",
    "a function's source folder",
    "a template deleted from the build",
    "a template edited in the build",
    "the manifest edited",
    "a stack policy edited in the build",
    "a stack policy deleted from the build",
    "a stray template in the build",
    "a build folder of an environment since removed",
}
REAL_PACKAGE_FOLDER = fingerprint.package_folder


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A system with only the `test` environment, and copies of the project's source packages that
    the fingerprint reads in place of the real ones (so a test may edit them)."""
    shutil.copytree(ROOT / "params", tmp_path / "params")
    for other in ("dev", "prod", "local"):
        (tmp_path / "params" / f"{other}.yaml").unlink()
    (tmp_path / "params" / "test.yaml").write_text(TEST_ENV)
    shutil.copytree(ROOT / "sql", tmp_path / "sql")
    shutil.copytree(ROOT / "sql", tmp_path / "db" / "migrations")
    (tmp_path / "src" / "hello").mkdir(parents=True)
    (tmp_path / "src" / "hello" / "handler.py").write_text("def main(event, context):\n    return 'hello'\n")
    (tmp_path / "lambdas" / "tool").mkdir(parents=True)
    (tmp_path / "lambdas" / "tool" / "handler.py").write_text("def main(event, context):\n    return 1\n")
    sources = tmp_path / "source"
    for package in fingerprint.SOURCE_PACKAGES:
        shutil.copytree(fingerprint.package_folder(package), sources / package, ignore=shutil.ignore_patterns("*.pyc"))
    monkeypatch.setattr(fingerprint, "package_folder", lambda package: sources / package)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def append(path: str, text: str) -> Callable[[], None]:
    def edit() -> None:
        with Path(path).open("a") as file:
            file.write(text)

    return edit


def bump(monkeypatch: pytest.MonkeyPatch, tool: str) -> Callable[[], None]:
    def edit() -> None:
        installed = versions.installed
        monkeypatch.setattr(
            versions, "installed", lambda name: installed(name) + ".1" if name == tool else installed(name)
        )

    return edit


def edits(monkeypatch: pytest.MonkeyPatch) -> dict[str, Callable[[], None]]:
    """Every kind of input change, by what it changes; each must make the next run build again."""
    return {
        "the env's params file": append("params/test.yaml", "# a comment\n"),
        "base.yaml": append("params/base.yaml", "# a comment\n"),
        "a new file in params/": lambda: Path("params/notes.txt").write_text("not read by generate\n"),
        "a template module": append("source/templates/alerts.py", "# a comment\n"),
        "a shared template part": append("source/templates/parts/common.py", "# a comment\n"),
        "a user-data template": append("source/templates/user_data/" + _first("templates/user_data"), "\n"),
        "a lint rule": append("source/lint_rules/backup_configuration.py", "# a comment\n"),
        "stackyard's own source": append("source/stackyard/build.py", "# a comment\n"),
        "a file in sql/": lambda: Path("sql/9999_new.sql").write_text("SELECT 1;\n"),
        "a Lambda source in lambdas/": append("lambdas/tool/handler.py", "# a comment\n"),
        "the migrations folder the params name": append("db/migrations/" + _first("sql"), "-- a comment\n"),
        "a function's source folder": lambda: Path("src/hello/util.py").write_text("VALUE = 1\n"),
        **{f"the {tool} version": bump(monkeypatch, tool) for tool in fingerprint.TOOLS},
        "the Python version": lambda: monkeypatch.setattr(sys, "version", sys.version + " (another build)"),
        "a template deleted from the build": lambda: Path("build/test/alerts.json").unlink(),
        "a template edited in the build": append("build/test/database.json", " "),
        "the manifest edited": append("build/test/manifest.json", " "),
        # Stack policies are build outputs beside the templates (docs/deploy.md, "Stack policies").
        "a stack policy edited in the build": append("build/test/database.stack-policy.json", " "),
        "a stack policy deleted from the build": lambda: Path("build/test/database.stack-policy.json").unlink(),
        "a stray template in the build": lambda: Path("build/test/stray.json").write_text("{}\n"),
        "a build folder of an environment since removed": lambda: _gone_environment(Path("build/gone")),
    }


def _first(folder: str) -> str:
    return sorted(path.name for path in (ROOT / folder).iterdir() if path.is_file())[0]


def _gone_environment(folder: Path) -> None:
    folder.mkdir()
    shutil.copy(Path("build/test/manifest.json"), folder / "manifest.json")


# --- the inputs digest, without building -----------------------------------------------------------


def test_every_input_changes_the_inputs_digest_and_nothing_else_does(project, monkeypatch):
    params = Path("params")
    before = fingerprint.inputs_digest(params)
    assert fingerprint.inputs_digest(params) == before  # read twice, the same
    (project / "source" / "templates" / "__pycache__").mkdir(exist_ok=True)
    (project / "source" / "templates" / "__pycache__" / "alerts.cpython-311.pyc").write_bytes(b"bytecode")
    assert fingerprint.inputs_digest(params) == before  # bytecode caches are not inputs
    (project / "params" / "staging.yaml").write_text("{}\n")
    assert fingerprint.inputs_digest(params) != before  # a new environment
    for name, edit in edits(monkeypatch).items():
        if name not in CHECKED_BESIDE_THE_DIGEST:
            edit()
            after = fingerprint.inputs_digest(params)
            assert after != before, name
            before = after


def test_a_renamed_file_changes_its_folders_digest(tmp_path):
    (tmp_path / "a.sql").write_text("SELECT 1;\n")
    before = fingerprint.tree_digest(tmp_path)
    (tmp_path / "a.sql").rename(tmp_path / "b.sql")
    assert fingerprint.tree_digest(tmp_path) != before
    (tmp_path / "empty").mkdir()
    assert fingerprint.tree_digest(tmp_path / "missing") != fingerprint.tree_digest(tmp_path / "empty")


def test_the_source_packages_are_the_folders_the_running_code_comes_from():
    packages = {"stackyard": stackyard, "templates": templates, "lint_rules": lint_rules}
    assert {name: fingerprint.package_folder(name) for name in fingerprint.SOURCE_PACKAGES} == {
        name: Path(module.__file__).parent for name, module in packages.items()
    }


def test_the_fingerprint_knows_a_build_folder_by_the_manifest_build_writes():
    from stackyard import manifest

    assert fingerprint.MANIFEST_FILE == manifest.MANIFEST_FILE


def test_installed_versions_are_the_ones_importlib_metadata_reads():
    from importlib.metadata import version

    assert {tool: versions.installed(tool) for tool in fingerprint.TOOLS} == {
        tool: version(tool) for tool in fingerprint.TOOLS
    }
    assert versions.installed("no-such-distribution-here") == "not installed"


def test_a_record_reads_back_and_anything_else_is_no_record():
    row = StackSummary("test", "a", 1, ("a.json", "a/child.json"), 0, 2, ("b",))
    record = BuildRecord("inputs", ("test",), {"/p/src": "d"}, {"test/a.json": "s"}, (row,))
    assert BuildRecord.from_json(json.loads(json.dumps(record.to_json()))) == record
    assert [BuildRecord.from_json(data) for data in (None, {}, {"inputs": "x"}, [1], "text")] == [None] * 5


def test_records_of_other_inputs_are_dropped_and_a_build_with_findings_leaves_none():
    builds: dict = {"*": {"inputs": "old"}, "test": {"inputs": "new"}, "junk": 3}
    record = BuildRecord("new", ("prod",), {}, {}, ())
    fingerprint.record_build(builds, "new", "prod", record)
    assert builds == {"test": {"inputs": "new"}, "prod": record.to_json()}
    fingerprint.record_build(builds, "new", "prod", None)
    assert builds == {"test": {"inputs": "new"}}


# --- generate, end to end ------------------------------------------------------------------------


def test_several_systems_need_their_own_folders(capsys):
    code = generate_script.main(["--system", "a", "--system", "b", "--build-dir", "build"])
    assert code == EXIT_BAD_INPUT
    assert "--params and --build-dir name one system's folders" in capsys.readouterr().err


def test_help_imports_neither_the_pipeline_nor_aws():
    """What `generate.py --help` and `deploy.py --help` import: argparse and the standard library."""
    found = subprocess.run(
        [sys.executable, "-c", _imported_after("import stackyard.cli.generate, stackyard.cli.deploy")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(found.stdout) == []


def test_a_no_generate_deploy_imports_neither_boto3_nor_the_config_models_nor_rich(tmp_path):
    from stackyard.deploy import bootstrap
    from stackyard.deploy.deployment import BOOTSTRAP_TAGS
    from tests.faults.world import ENV, REGION, World

    World(tmp_path)  # writes the environment's build
    (tmp_path / "bootstrap.json").write_text(json.dumps(bootstrap.build().to_dict()))
    deploy_twice = f"""
from pathlib import Path
from tests.faults.fake_aws import FakeCloud
from stackyard.aws import Aws
from stackyard.cli.deploy import main
from stackyard.deploy.run import Seams
root, cloud = Path({str(tmp_path)!r}), FakeCloud()
bootstrap = json.loads((root / "bootstrap.json").read_text())
cloud.cloudformation({REGION!r}).seed({bootstrap.STACK_NAME!r}, bootstrap, {{}}, {BOOTSTRAP_TAGS!r})
argv = ["--system", str(root), "--env", {ENV!r}, "--no-generate", "--yes"]
first = main(argv, Seams(Aws(client_factory=cloud.client), cloud.clock))
called = len(cloud.calls)
second = main(argv, Seams(Aws(client_factory=cloud.client), cloud.clock))
print(json.dumps([first, second, sorted({{call.operation for call in cloud.calls[called:]}})]))
"""
    heavy = f"m.split('.')[0] in {NOT_FOR_DEPLOY} or m.startswith({NOT_FOR_DEPLOY_OF_OURS})"
    found = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import json, sys\n{deploy_twice}\nprint(json.dumps(sorted(m for m in sys.modules if {heavy})))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert found.returncode == 0, found.stderr
    *_shown, runs, imported = found.stdout.splitlines()
    first, second, second_calls = json.loads(runs)
    assert first == second == EXIT_OK
    assert "CreateChangeSet" not in second_calls and "DescribeStacks" in second_calls  # the second: a no-op
    assert json.loads(imported) == []


def _imported_after(code: str) -> str:
    """Python that runs `code`, then prints which heavy modules it imported, as a JSON list."""
    heavy = f"m.split('.')[0] in {HEAVY} or m.startswith({HEAVY_OF_OURS})"
    return f"import json, sys\n{code}\nprint(json.dumps(sorted(m for m in sys.modules if {heavy})))"


@pytest.mark.slow
def test_a_run_that_nothing_changed_reuses_the_build_and_prints_what_a_full_run_prints(project, capsys):
    def run(*args: str) -> tuple[int, str]:
        code = generate_script.main(["--params", "params", "--build-dir", "build", *args])
        return code, "\n".join(line for line in capsys.readouterr().out.splitlines() if not line.startswith("done in"))

    cold = generate(Path("params"), Path("build"))
    assert cold.lint is not None and cold.lint.clean and cold.builds
    reused = generate(Path("params"), Path("build"))
    assert reused.builds == [] and reused.stacks == cold.stacks and reused.environments == ["test"]
    assert reused.lint == LintReport([], 0, cold.lint.linted, cold.lint.cfn_lint_version)
    code, fast = run()
    cache = json.loads(Path("build", LINT_CACHE_FILE).read_text())
    Path("build", LINT_CACHE_FILE).write_text(json.dumps({**cache, "builds": {}}))  # no record: the full path
    full_code, full = run()
    assert code == full_code == EXIT_OK
    assert fast == full
    assert "(0 written, " in fast and " unchanged, 0 removed)" in fast and "(0 linted, " in fast
    _code, skipped = run("--skip-lint")  # may use the record of a linted build, and says lint was skipped
    assert "lint: skipped" in skipped and "(0 written, " in skipped


@pytest.mark.slow
def test_a_run_that_nothing_changed_imports_no_pipeline(project, monkeypatch):
    monkeypatch.setattr(fingerprint, "package_folder", REAL_PACKAGE_FOLDER)  # as the new process reads them
    generate(Path("params"), Path("build"))
    run = "from stackyard.cli.generate import main\nassert main(['--params', 'params', '--build-dir', 'build']) == 0"
    found = subprocess.run(
        [sys.executable, "-c", _imported_after(run)],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout.splitlines()[-1]) == []


@pytest.mark.slow
def test_any_change_to_what_the_build_depends_on_builds_again(project, monkeypatch):
    """Each edit in turn: the next run builds (and lints what changed); the run after reuses again."""
    assert generate(Path("params"), Path("build")).builds
    assert generate(Path("params"), Path("build")).builds == []
    for name, edit in edits(monkeypatch).items():
        edit()
        rebuilt = generate(Path("params"), Path("build"))
        assert rebuilt.builds, f"{name}: reused the old build"
        assert rebuilt.lint is not None and rebuilt.lint.clean, name
        assert generate(Path("params"), Path("build")).builds == [], f"{name}: not recorded again"
    assert not Path("build/gone").exists() and not Path("build/test/stray.json").exists()
