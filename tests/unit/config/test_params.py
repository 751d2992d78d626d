"""Pure unit: reading params YAML with locations, the base/env deep merge, and the bounds that keep a
params file from hanging or exhausting the tool (stackyard/params_text.py)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import yaml

from stackyard.errors import Location, ParamsError
from stackyard.params import dotted, environment_names, load_environment, load_yaml_file, merge
from stackyard.params_text import MAX_FILE_BYTES, MAX_VALUES, SAFE_LOADER, check_yaml_events
from tests.helpers import ROOT


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_every_key_and_list_item_keeps_its_line(tmp_path):
    path = write(tmp_path, "a.yaml", "top: 1\nnested:\n  inner: x\n  items:\n    - a\n    - b\n")
    loaded = load_yaml_file(path)
    assert loaded.data == {"top": 1, "nested": {"inner": "x", "items": ["a", "b"]}}
    assert loaded.locations[("nested", "inner")] == Location(path, 3)
    assert loaded.locations[("nested", "items", 1)] == Location(path, 6)


def test_a_missing_key_is_located_at_its_nearest_written_parent(tmp_path):
    path = write(tmp_path, "a.yaml", "network:\n  nat: single\n")
    assert load_yaml_file(path).locate(("network", "vpc_cidr")) == Location(path, 1)


def test_env_values_win_and_mappings_merge_key_by_key(tmp_path):
    base = load_yaml_file(write(tmp_path, "base.yaml", "a:\n  keep: 1\n  change: 2\nlist: [1, 2, 3]\n"))
    env_path = write(tmp_path, "env.yaml", "a:\n  change: 20\nlist: [9]\n")
    merged = merge(base, load_yaml_file(env_path))
    assert merged.data == {"a": {"keep": 1, "change": 20}, "list": [9]}
    assert merged.locate(("a", "change")) == Location(env_path, 2)
    assert merged.locate(("a", "keep")) == Location(tmp_path / "base.yaml", 2)


def test_a_replaced_list_forgets_the_base_items(tmp_path):
    base = load_yaml_file(write(tmp_path, "base.yaml", "list:\n  - 1\n  - 2\n  - 3\n"))
    env_path = write(tmp_path, "env.yaml", "list:\n  - 9\n")
    merged = merge(base, load_yaml_file(env_path))
    assert merged.locate(("list", 2)) == Location(env_path, 1)


def test_yaml_anchors_and_merge_keys_work(tmp_path):
    path = write(tmp_path, "a.yaml", "defaults: &d\n  versioned: true\nbucket:\n  <<: *d\n  purpose: x\n")
    assert load_yaml_file(path).data["bucket"] == {"versioned": True, "purpose": "x"}


def test_an_empty_file_is_an_empty_mapping(tmp_path):
    assert load_yaml_file(write(tmp_path, "a.yaml", "# nothing yet\n")).data == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 1\nb:\n  c: 1\n  c: 2\n", "a.yaml:4: b.c: duplicate key (first written at line 3)"),
        ("a: [1,\n", "a.yaml:2: YAML syntax error"),
        ("- just\n- a list\n", "a.yaml:1: the file must be a mapping"),
        ("1: numeric key\n", "a.yaml:1: key 1 is not a string"),
    ],
)
def test_unreadable_yaml_is_reported_with_file_and_line(tmp_path, text, expected):
    with pytest.raises(ParamsError) as raised:
        load_yaml_file(write(tmp_path, "a.yaml", text))
    assert str(raised.value).startswith(f"{tmp_path}/{expected}")


def test_environments_are_the_yaml_files_beside_base(tmp_path):
    for name in ("base.yaml", "prod.yaml", "dev.yaml", "notes.txt"):
        write(tmp_path, name, "{}\n")
    assert environment_names(tmp_path) == ["dev", "prod"]


def test_an_environment_name_must_fit_into_resource_names(tmp_path):
    write(tmp_path, "base.yaml", "{}\n")
    write(tmp_path, "Pre_Prod.yaml", "{}\n")
    with pytest.raises(ParamsError, match="environment name 'Pre_Prod' must be 1-10 lowercase letters or digits"):
        load_environment(tmp_path, "Pre_Prod")


def test_key_paths_read_as_written():
    assert dotted(("storage", "buckets", "raw-landing", "versioned")) == "storage.buckets.raw-landing.versioned"
    assert dotted(("subnets", 0, "cidr")) == "subnets[0].cidr"


def test_aliases_may_repeat_values_up_to_the_bound_counted_as_written_out(tmp_path):
    # One list of 100 values, aliased: each alias counts as its 101 values written out again.
    anchor = "a: &a [" + ", ".join(["1"] * 100) + "]\n"
    fits = (MAX_VALUES - 1 - 102) // 102  # the root mapping, then each key and its (aliased) list
    load_yaml_file(write(tmp_path, "fits.yaml", anchor + "".join(f"k{i}: *a\n" for i in range(fits))))
    with pytest.raises(ParamsError, match=r"too.yaml:\d+: alias \*a takes the file past 10,000 values"):
        load_yaml_file(write(tmp_path, "too.yaml", anchor + "".join(f"k{i}: *a\n" for i in range(fits + 1))))


def test_a_billion_laughs_is_refused_at_its_alias_in_a_moment(tmp_path):
    levels = ["l0: &l0 [" + ", ".join(["lol"] * 10) + "]"]
    levels += [f"l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 10) + "]" for n in range(1, 30)]
    path = write(tmp_path, "a.yaml", "\n".join(levels) + "\n")  # 10**30 values written out
    started = time.perf_counter()
    with pytest.raises(ParamsError, match=r"a.yaml:4: alias \*l2 takes the file past"):
        load_yaml_file(path)
    assert time.perf_counter() - started < 0.5


def test_a_pipe_named_like_a_params_file_is_refused_without_waiting_for_a_writer(tmp_path):
    os.mkfifo(tmp_path / "a.yaml")
    with pytest.raises(ParamsError, match="a.yaml: not a regular file"):
        load_yaml_file(tmp_path / "a.yaml")


@pytest.mark.parametrize(
    "system",
    [
        "params",
        *sorted(p.relative_to(ROOT).as_posix() for p in ROOT.glob("examples/*/params")),
        "tests/composed/params",
    ],
)
def test_every_real_params_file_keeps_far_inside_the_bounds(system):
    for path in (ROOT / system).glob("*.yaml"):
        assert path.stat().st_size < MAX_FILE_BYTES // 20
        text = path.read_text(encoding="utf-8")
        check_yaml_events(text, path)  # refuses past MAX_VALUES or MAX_DEPTH
        values = sum(1 for event in yaml.parse(text, Loader=SAFE_LOADER) if isinstance(event, yaml.NodeEvent))
        assert values < MAX_VALUES // 10
