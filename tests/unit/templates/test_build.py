"""Pure unit: rendering, the manifest derived from templates, deploy order, tags and names on every template."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st
from troposphere import ImportValue, Join, Output, Template
from troposphere.sqs import Queue

import templates
from stackyard.build import build_environment
from stackyard.config import STACK_NAMES
from stackyard.errors import BadInputError, StackyardError
from stackyard.graph import CycleError, deploy_order
from templates.parts.common import StackTemplates, export, import_value, nested_stack
from tests.helpers import ENVS, ROOT, use_fake_stacks

STANDARD_TAGS = {"Application", "Environment", "CostCenter", "Owner", "ManagedBy"}


def all_documents(build):
    return [(rendered.path, rendered.document) for stack in build.stacks.values() for rendered in stack.templates]


@pytest.mark.parametrize("env", ENVS)
def test_manifest_lists_each_stack_with_its_exports_imports_children_and_order(builds, env):
    manifest = builds[env].manifest()
    order = manifest.deploy_order
    assert sorted(order) == sorted(builds[env].config.stacks)
    for name, stack in manifest.stacks.items():
        assert all(order.index(need) < order.index(name) for need in stack.depends_on), name
    network, database = manifest.stacks["network"], manifest.stacks["database"]
    assert network.stack_name == f"one-system-{env}-network"
    assert network.nested["Vpc"].template == "network/vpc.json"
    assert network.exports[f"one-system-{env}-VpcId"] == "VpcId"
    assert database.imports == tuple(
        sorted(
            f"one-system-{env}-{name}"
            for name in ("CriticalTopicArn", "DatabaseSecurityGroupId", "PrivateSubnetIds", "VpcId")
        )
    )
    assert database.depends_on == ("network", "alerts")
    files = builds[env].files()
    assert network.sha256 == hashlib.sha256(files["network.json"]).hexdigest()
    assert network.nested["SecurityGroups"].sha256 == hashlib.sha256(files["network/security-groups.json"]).hexdigest()


def test_generated_files_are_byte_identical_across_processes(tmp_path, builds):
    """Two runs with different hash seeds (so set and dict ordering would differ) write the same bytes."""
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"build-{seed}"
        subprocess.run(
            [sys.executable, "generate.py", "--skip-lint", "--build-dir", str(out)],
            cwd=ROOT,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
        )
        outputs.append({path.relative_to(out): path.read_bytes() for path in out.rglob("*.json")})
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) == sum(len(build.files()) for build in builds.values())


@pytest.mark.parametrize("env", ENVS)
def test_every_template_lints_for_its_stacks_region_and_every_taggable_resource_is_tagged(builds, env):
    for stack in builds[env].stacks.values():
        expected_region = "us-east-1" if stack.name == "edge-global" else "ap-southeast-1"
        assert stack.region == expected_region
        for rendered in stack.templates:
            document = rendered.document
            assert document["Metadata"]["cfn-lint"]["config"]["regions"] == [expected_region], rendered.path
            assert document["Metadata"]["Stackyard"] == {"Application": "one-system", "Environment": env}
            for name, resource in document["Resources"].items():
                tags = resource.get("Properties", {}).get("Tags") or resource.get("Properties", {}).get("UserPoolTags")
                if tags is None:
                    continue
                keys = tags if isinstance(tags, dict) else {tag["Key"]: tag["Value"] for tag in tags}
                assert set(keys) >= STANDARD_TAGS, f"{rendered.path} {name}"
                assert keys["Environment"] == env


@pytest.mark.parametrize("env", ENVS)
def test_no_template_names_another_environment(builds, env):
    others = [other for other in ENVS if other != env]
    for path, document in all_documents(builds[env]):
        text = json.dumps(document)
        for other in others:
            assert f"one-system-{other}" not in text and f"/one-system/{other}/" not in text, f"{path} names {other}"


def test_the_template_registry_builds_exactly_the_stacks_params_may_name():
    assert tuple(module.NAME for module in templates.STACK_MODULES) == STACK_NAMES


def test_an_environment_builds_only_the_stacks_it_lists(configs):
    config = configs["test"].model_copy(update={"stacks": ["network", "storage", "alerts", "messaging"]})
    build = build_environment(config)
    assert list(build.stacks) == ["network", "storage", "alerts", "messaging"]


# --- dependencies derived from fake stacks ---------------------------------------------------------


def fake_module(name, exports=(), imports=(), children=None):
    def build(config):
        template = Template()
        template.add_resource(Queue("Queue"))
        for export_name in exports:
            export(template, config, export_name, "value", "a value")
        for import_name in imports:
            template.add_output(Output(f"Uses{import_name}", Value=import_value(config, import_name)))
        return StackTemplates(name, template, children or {})

    return name, build


def build_with(monkeypatch, configs, *fakes):
    names = use_fake_stacks(monkeypatch, **dict(fakes))
    return build_environment(configs["test"].model_copy(update={"stacks": names}))


def test_stacks_deploy_after_what_they_import_whatever_order_they_are_listed_in(monkeypatch, configs):
    build = build_with(
        monkeypatch,
        configs,
        fake_module("app", imports=["Db", "Net"]),
        fake_module("db", ["Db"], ["Net"]),
        fake_module("net", ["Net"]),
    )
    assert list(build.stacks) == ["net", "db", "app"]
    assert build.dependencies == {"app": ["db", "net"], "db": ["net"], "net": []}


def test_an_import_nobody_exports_is_bad_input_naming_stack_and_export(monkeypatch, configs):
    with pytest.raises(
        BadInputError, match="stack app imports one-system-test-Missing, which no stack of environment test exports"
    ):
        build_with(monkeypatch, configs, fake_module("app", imports=["Missing"]))


def test_two_stacks_exporting_one_name_is_bad_input(monkeypatch, configs):
    with pytest.raises(BadInputError, match="export one-system-test-X is declared by both stack a and stack b"):
        build_with(monkeypatch, configs, fake_module("a", ["X"]), fake_module("b", ["X"]))


def test_import_cycles_are_named(monkeypatch, configs):
    with pytest.raises(CycleError, match="a -> b -> a"):
        build_with(monkeypatch, configs, fake_module("a", ["A"], ["B"]), fake_module("b", ["B"], ["A"]))


def test_a_computed_import_name_is_refused_because_dependencies_could_not_be_derived(monkeypatch, configs):
    def build(config):
        template = Template()
        template.add_resource(Queue("Queue"))
        template.add_output(Output("Uses", Value=ImportValue(Join("-", ["a", "b"]))))
        return StackTemplates("app", template)

    with pytest.raises(StackyardError, match="stack app: Fn::ImportValue is computed"):
        build_with(monkeypatch, configs, ("app", build))


def test_a_nested_stack_must_point_at_a_child_the_module_built(monkeypatch, configs):
    def build(config):
        template = Template()
        template.add_resource(nested_stack("Child", "app", "missing"))
        return StackTemplates("app", template, {"other": Template()})

    with pytest.raises(StackyardError, match="nested stack Child points at app/missing.json"):
        build_with(monkeypatch, configs, ("app", build))


# --- deploy order ----------------------------------------------------------------------------------


def test_ties_keep_the_listing_order():
    assert deploy_order({"b": [], "a": [], "c": ["b"]}) == ["b", "a", "c"]


@given(st.data())
def test_every_stack_comes_after_its_dependencies_or_a_real_cycle_is_named(data):
    names = [f"s{index}" for index in range(data.draw(st.integers(1, 8)))]
    graph = {name: data.draw(st.lists(st.sampled_from(names), unique=True, max_size=3)) for name in names}
    try:
        order = deploy_order(graph)
    except CycleError as error:
        cycle = error.cycle
        assert cycle[0] == cycle[-1]
        assert all(after in graph[before] for before, after in itertools.pairwise(cycle))
        return
    assert sorted(order) == sorted(names)
    assert all(order.index(need) < order.index(stack) for stack, needs in graph.items() for need in needs)
