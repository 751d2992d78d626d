"""Pure unit: every seed citation in the repository resolves to a heading of docs/requirements.md.

Code, params, SQL and docs cite the seeds by section ("seed 000 §1.8", "seed 001 task 7.1",
"seed 001 Property 9", "seed 002 §2.5-2.6", "seed 003 task 4"); docs/requirements.md restates each
seed under headings that start with the same words ("### seed 000 §1.8: ..."), so a reader finds a
citation by searching the page for it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.helpers import ROOT

PAGE = ROOT / "docs" / "requirements.md"
SUFFIXES = {".py", ".yaml", ".yml", ".md", ".sql", ".j2", ".toml", ".txt"}
# Generated output and tools' folders hold no citations of their own.
SKIPPED = {".git", ".venv", ".localstack", "build", "golden", "__pycache__", ".pytest_cache", ".hypothesis"}
NUMBER = r"\d+(?:\.\d+)?"
REFERENCE = (
    rf"(?:§\s?(?P<section>{NUMBER})|section (?P<prose>{NUMBER})|tasks? (?P<task>{NUMBER})|Property (?P<property>\d+))"
    rf"(?:-(?P<last>{NUMBER}))?"
)
# Seed 000's sections without a number: "seed 000, Testing Plan", "seed 000 deliverable".
NAMED = {"testing plan": "Testing Plan", "deliverable": "Deliverables", "deliverables": "Deliverables"}
CITATION = re.compile(
    rf"\b[Ss]eeds? (?P<seed>00[0-4])\b(?:\s+{REFERENCE}|,?\s+(?P<named>Testing Plan|[Dd]eliverables?|Prerequisites))?"
)
# Further sections of the same seed: "seed 002 §2.1, §2.6", "seed 002 §2.3 and §2.7".
MORE = re.compile(rf"^(?:,\s*|\s+and\s+){REFERENCE}")


def _files() -> list[Path]:
    """Every file that may cite a seed, except the page itself, whose headings are what citations resolve to."""
    files = []
    for folder, subfolders, names in os.walk(ROOT):
        subfolders[:] = [name for name in subfolders if name not in SKIPPED]
        files += [Path(folder) / name for name in names if Path(name).suffix in SUFFIXES]
    return [path for path in files if path != PAGE]


def _references(seed: str, match: re.Match) -> list[str]:
    """The headings' words for one reference, both ends of a range: `§2.5-2.6` is §2.5 and §2.6."""
    kind = next((name for name in ("section", "prose", "task", "property") if match[name]), None)
    if kind is None:
        return []
    numbers = [match[kind], *([match["last"]] if match["last"] else [])]
    if kind == "property":
        return [f"Property {number}" for number in numbers]
    # Seed 001 is numbered by task: its systems write task 7.2 as §7.2.
    if kind == "task" or seed == "001":
        return [f"task {number}" for number in numbers]
    return [f"§{number}" for number in numbers]


def _citations() -> dict[str, set[str]]:
    """`seed NNN` or `seed NNN <reference>` -> the files citing it."""
    found: dict[str, set[str]] = {}
    for path in _files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in CITATION.finditer(text):
            seed = match["seed"]
            references = [NAMED.get(match["named"].lower(), match["named"])] if match["named"] else []
            references = references or _references(seed, match)
            rest = text[match.end() :]
            while references and (more := MORE.match(rest)):
                references += _references(seed, more)
                rest = rest[more.end() :]
            for cited in [f"seed {seed} {reference}" for reference in references] or [f"seed {seed}"]:
                found.setdefault(cited, set()).add(str(path.relative_to(ROOT)))
    return found


def _headings() -> list[str]:
    return re.findall(r"^#{2,4} (.+)$", PAGE.read_text(encoding="utf-8"), flags=re.MULTILINE)


def _resolves(cited: str, headings: list[str]) -> bool:
    """A heading starts with the citation, followed by a colon or nothing (so §2.1 is not §2.10)."""
    return any(re.match(rf"{re.escape(cited)}(:|$)", heading, flags=re.IGNORECASE) for heading in headings)


def test_the_repository_cites_the_seeds_by_section():
    citations = _citations()
    assert {"seed 000 §1.8", "seed 001 task 7.1", "seed 001 Property 9", "seed 003 task 4"} <= set(citations)
    assert len(citations) > 40


@pytest.mark.parametrize("cited", ["seed 002 §2.1", "seed 002 §2.10", "seed 001 Property 1", "seed 004 §1.5"])
def test_a_section_resolves_to_its_own_heading_only(cited):
    assert len([heading for heading in _headings() if _resolves(cited, [heading])]) == 1


def test_every_seed_citation_has_its_section_in_docs_requirements_md():
    headings = _headings()
    unresolved = {cited: sorted(files) for cited, files in _citations().items() if not _resolves(cited, headings)}
    assert not unresolved, f"cited, and no heading of docs/requirements.md starts with it: {unresolved}"
