"""Pure unit: the imports between stackyard/, templates/ and lint_rules/ point one way and never cycle.

Every module is parsed with `ast`, nothing is imported: an edge is an `import` or `from ... import`
anywhere in a module (function bodies and TYPE_CHECKING blocks included) naming another module of the
three packages. Importing `templates.names` counts as an edge to that module only, not to the
`templates` package it runs first, as import-linter and pydeps count them.

LAYERS says which layer each module is in, MAY_IMPORT which layers each layer may import. The rules:
the deploy machinery never imports templates or lint_rules; templates import only stackyard's config
and base modules; a stack module imports only `templates.names` and `templates.parts`, never another
stack; lint_rules imports stackyard's base modules, nothing else of the project; nothing imports
lint_rules (stackyard finds its folder with importlib.util.find_spec).

How these tests fail: `test_the_checks_catch_what_they_are_for` builds a small tree with a cycle, a
stack importing a stack and deploy code importing templates, and requires each to be reported. On the
real tree, adding `from templates import compute` to templates/dashboard.py makes test_layers fail
with "templates.dashboard (stacks) imports templates.compute (stacks)"; `import templates` in
stackyard/deploy/applier.py fails it with "stackyard.deploy.applier (deploy) imports templates (stack list)";
`import stackyard.config` in stackyard/errors.py makes test_no_import_cycles print the cycle.
"""

from __future__ import annotations

import ast
import fnmatch
import graphlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("stackyard", "templates", "lint_rules")

# Each module's layer: the first entry with a pattern (fnmatch) matching the module's dotted name.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "base",
        (
            "stackyard",  # the package itself: __version__
            "stackyard.errors",
            "stackyard.params",
            "stackyard.params_text",
            "stackyard.iam",
            "stackyard.config",
            "stackyard.config.*",
            "stackyard.cfn",
            "stackyard.bucket_security",
            "stackyard.graph",
            "stackyard.digests",
            "stackyard.manifest",  # the typed manifest build writes and deploy reads sits below both
            "stackyard.versions",  # installed tool versions, read by the lint cache and the build fingerprint
            "stackyard.stack_policy",  # stack policies: build writes them, deploy sets and overrides them
        ),
    ),
    ("names", ("templates.names",)),
    ("parts", ("templates.parts", "templates.parts.*")),
    ("stack list", ("templates",)),  # templates/__init__.py: STACK_MODULES
    ("stacks", ("templates.*",)),
    (
        "build",
        ("stackyard.build", "stackyard.build_guards", "stackyard.generate", "stackyard.lint", "stackyard.fingerprint"),
    ),
    ("commands", ("stackyard.deploy.run",)),  # a deploy run end to end: the command's wiring
    (
        "deploy",
        (
            "stackyard.aws",
            "stackyard.aws.*",
            "stackyard.deploy",
            "stackyard.deploy.*",  # run, the command's wiring, is matched above as a command
        ),
    ),
    ("commands", ("stackyard.report", "stackyard.cli", "stackyard.cli.*")),
    ("lint rules", ("lint_rules", "lint_rules.*")),
]
TEMPLATES = {"names", "parts", "stack list", "stacks"}
MAY_IMPORT: dict[str, set[str]] = {
    "base": {"base"},
    "names": {"base"},
    "parts": {"base", "names", "parts"},
    "stacks": {"base", "names", "parts"},  # never another stack: names and helpers live in names and parts
    "stack list": {"stacks"},
    "build": {"base", "build"} | TEMPLATES,
    "deploy": {"base", "deploy"},
    "commands": {"base", "build", "deploy", "commands"},
    "lint rules": {"base", "lint rules"},
}
# Wrong-way imports not removed yet, each with what removes it. The goal is an empty table; an entry
# whose import is gone fails test_known_exceptions_still_exist, so the table cannot go stale.
KNOWN_EXCEPTIONS: dict[tuple[str, str], str] = {}


def modules(root: Path, packages: tuple[str, ...] = PACKAGES) -> dict[str, Path]:
    """Dotted module name -> its file, for every module of `packages` under `root`."""
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def import_graph(root: Path, packages: tuple[str, ...] = PACKAGES) -> dict[str, set[str]]:
    """Module -> the modules of `packages` it imports."""
    known = modules(root, packages)
    return {name: _imports(name, path, known) for name, path in known.items()}


def _imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(package, node.level, node.module)
            # `from a import b` imports module a.b when there is one, otherwise names from module a.
            targets.update(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names)
    return {module for target in targets if (module := _known_module(target, known)) and module != name}


def _runtime_nodes(tree: ast.Module) -> list[ast.AST]:
    """Every node but those under `if TYPE_CHECKING:`, whose imports only type checkers follow."""
    skipped = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
        for statement in node.body
        for inner in ast.walk(statement)
    }
    return [node for node in ast.walk(tree) if id(node) not in skipped]


def _absolute(package: str, level: int, module: str | None) -> str:
    """The absolute name of `from <level dots><module> import ...` written in `package`."""
    if level == 0:
        return module or ""
    parts = package.split(".")
    parts = parts[: len(parts) - level + 1]
    return ".".join([*parts, module] if module else parts)


def _known_module(target: str, known: dict[str, Path]) -> str | None:
    """The module `target` names, or the closest package of ours it is in (None: not ours)."""
    while target and target not in known:
        target = target.rpartition(".")[0]
    return target or None


def layer_of(module: str) -> str | None:
    for layer, patterns in LAYERS:
        if any(fnmatch.fnmatchcase(module, pattern) for pattern in patterns):
            return layer
    return None


def wrong_way_imports(graph: dict[str, set[str]]) -> list[str]:
    """Every import a layer may not make, as 'importer (layer) imports imported (layer)'."""
    found = []
    for importer, imported in sorted(graph.items()):
        for target in sorted(imported):
            allowed = MAY_IMPORT.get(layer_of(importer) or "", set())
            if layer_of(target) not in allowed and (importer, target) not in KNOWN_EXCEPTIONS:
                found.append(f"{importer} ({layer_of(importer)}) imports {target} ({layer_of(target)})")
    return found


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the modules around it, or None."""
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as error:
        return list(error.args[1])
    return None


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph(ROOT)


def test_no_import_cycles(graph: dict[str, set[str]]) -> None:
    assert cycle(graph) is None


def test_every_module_has_a_layer(graph: dict[str, set[str]]) -> None:
    assert [module for module in graph if layer_of(module) is None] == []


def test_layers(graph: dict[str, set[str]]) -> None:
    assert wrong_way_imports(graph) == []


def test_known_exceptions_still_exist(graph: dict[str, set[str]]) -> None:
    assert [pair for pair in KNOWN_EXCEPTIONS if pair[1] not in graph.get(pair[0], set())] == []


def test_stack_modules_take_prefixed_names_from_templates_names() -> None:
    """`<app>-<env>-...` and `/<app>/<env>/...` are spelled once, in templates/names.py."""
    prefixed = re.compile(r"\{config\.app\}[-/]\{config\.environment\}")
    spelled = [
        path.relative_to(ROOT).as_posix()
        for path in sorted((ROOT / "templates").rglob("*.py"))
        if prefixed.search(path.read_text())
    ]
    assert spelled == ["templates/names.py"]


def test_the_checks_catch_what_they_are_for(tmp_path: Path) -> None:
    """A tree with each kind of violation: the checks above must report every one of them."""
    files = {
        "stackyard/__init__.py": "",
        "stackyard/errors.py": "from stackyard.deploy import applier\n",  # base -> deploy, and a cycle
        "stackyard/deploy/__init__.py": "",
        "stackyard/deploy/applier.py": "import templates\nfrom stackyard.errors import X\n",  # deploy -> templates
        "stackyard/generate.py": "def rules():\n    import lint_rules\n",  # build -> lint rules, in a function
        "templates/__init__.py": "from templates import dashboard\n",
        "templates/names.py": "",
        "templates/dashboard.py": "from templates import compute, names\nfrom .parts import common\n",
        "templates/compute.py": "from . import names\n",
        "templates/parts/__init__.py": "",
        "templates/parts/common.py": "from ..names import pascal\n",
        "lint_rules/__init__.py": "",
        "lint_rules/rule.py": "from templates.names import pascal\nfrom stackyard.iam import too_broad\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    graph = import_graph(tmp_path)
    assert graph["templates.dashboard"] == {"templates.compute", "templates.names", "templates.parts.common"}
    assert graph["templates.parts.common"] == {"templates.names"}
    assert graph["lint_rules.rule"] == {"templates.names", "stackyard"}  # no stackyard.iam in this tree
    assert set(cycle(graph) or []) == {"stackyard.deploy.applier", "stackyard.errors"}
    assert wrong_way_imports(graph) == [
        "lint_rules.rule (lint rules) imports templates.names (names)",
        "stackyard.deploy.applier (deploy) imports templates (stack list)",
        "stackyard.errors (base) imports stackyard.deploy.applier (deploy)",
        "stackyard.generate (build) imports lint_rules (lint rules)",
        "templates.dashboard (stacks) imports templates.compute (stacks)",
    ]
