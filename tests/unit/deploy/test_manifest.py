"""Pure unit: the build manifest, written by generate and read by deploy.

What deploy relies on: a manifest reads back as it was written, the same manifest is always the
same bytes, a broken or old manifest is refused as bad input naming the file and the fix, and a
build whose templates were removed or edited after generate is refused before any AWS call.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from stackyard.build import build_environment
from stackyard.errors import BadInputError
from stackyard.manifest import (
    MANIFEST_FILE,
    MANIFEST_FORMAT,
    ContainerImage,
    LambdaPackage,
    Manifest,
    MissingManifestError,
    NestedTemplate,
    ParameterSource,
    dumps,
    load,
)
from tests.helpers.manifests import manifest, stack_entry

FIX = "Fix: run python generate.py --env dev"


def environment() -> Manifest:
    """Three stacks: network with a nested child, database fed by network, app fed by both."""
    return manifest(
        "dev",
        "ap-southeast-1",
        {
            "network": stack_entry(
                "app-dev-network",
                "ap-southeast-1",
                template="network.json",
                nested={"Vpc": NestedTemplate("network/vpc.json", "0" * 64, 4)},
                exports={"app-dev-VpcId": "VpcId"},
            ),
            "edge-global": stack_entry(
                "app-dev-edge-global", "us-east-1", manual_validation={"CloudFrontCertificate": "app.example.com"}
            ),
            "database": stack_entry(
                "app-dev-database",
                "ap-southeast-1",
                imports=("app-dev-VpcId",),
                packages={"MigratorCode": LambdaPackage("lambdas/migrator", {"sql": "sql"}, "python3.12", "arm64")},
                depends_on=("network",),
            ),
            "app": stack_entry(
                "app-dev-app",
                "ap-southeast-1",
                parameters={"DatabaseEndpoint": ParameterSource("database", "Endpoint")},
                images={"ServiceEnabled": ContainerImage("app-dev-app", "1.4.2")},
                depends_on=("network", "database"),
            ),
        },
        stack_tags={"Environment": "dev", "Application": "app"},
        termination_protection=True,
    )


def written(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "dev" / MANIFEST_FILE
    path.parent.mkdir(exist_ok=True)
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


def document() -> dict:
    return json.loads(dumps(environment()))


def test_a_manifest_reads_back_as_it_was_written(tmp_path):
    original = environment()
    assert load(written(tmp_path, dumps(original).decode())) == original


def test_a_built_environment_round_trips_byte_for_byte(tmp_path, configs):
    built = build_environment(configs["prod"])
    path = written(tmp_path, built.files()[MANIFEST_FILE].decode())
    assert dumps(load(path)) == built.files()[MANIFEST_FILE]


def test_the_same_manifest_is_the_same_bytes_whatever_the_order_its_maps_were_filled_in():
    original = environment()
    shuffled = dataclasses.replace(
        original,
        stack_tags=dict(reversed(original.stack_tags.items())),
        stacks=dict(reversed(original.stacks.items())),
    )
    assert list(shuffled.stacks) != list(original.stacks)
    assert dumps(shuffled) == dumps(original)
    assert dumps(original).endswith(b"}\n") and json.loads(dumps(original))["format"] == MANIFEST_FORMAT


def test_a_missing_manifest_is_bad_input_naming_the_build_to_make(tmp_path):
    path = tmp_path / "dev" / MANIFEST_FILE
    with pytest.raises(MissingManifestError) as refused:
        load(path)
    assert str(refused.value) == f"{path}: no build of environment dev. {FIX}"
    assert isinstance(refused.value, BadInputError)


@pytest.mark.parametrize(
    ("break_it", "problem"),
    [
        (lambda doc: doc["stacks"]["app"].pop("stack_name"), "stacks.app: missing stacks.app.stack_name"),
        (lambda doc: doc.pop("deploy_order"), "the top level: missing deploy_order"),
        (lambda doc: doc["stacks"]["app"].update(extra=1), "stacks.app: unknown stacks.app.extra"),
        (
            lambda doc: doc["stacks"]["network"]["nested"]["Vpc"].update(resources="4"),
            "stacks.network.nested.Vpc.resources: expected an integer, found a string",
        ),
        (
            lambda doc: doc.update(termination_protection="yes"),
            "termination_protection: expected true or false, found a string",
        ),
        (lambda doc: doc["stacks"]["app"].update(resources=True), "stacks.app.resources: expected an integer"),
        (lambda doc: doc["stacks"]["app"].update(imports="x"), "stacks.app.imports: expected a list, found a string"),
        (
            lambda doc: doc["stacks"]["app"]["depends_on"].append(None),
            "stacks.app.depends_on[2]: expected a string, found null",
        ),
        (lambda doc: doc.update(stacks=[]), "stacks: expected an object, found a list"),
        (
            lambda doc: doc["stacks"]["app"]["parameters"].update(Other={"stack": "cache", "output": "Url"}),
            "stacks.app.parameters.Other.stack: cache is not a stack",
        ),
        (
            lambda doc: doc["stacks"]["network"].update(depends_on=["app"]),
            "stacks.network.depends_on: app is not a stack deployed before network",
        ),
        (lambda doc: doc["deploy_order"].pop(), "deploy_order: lists ['network', 'edge-global', 'database'], but"),
    ],
)
def test_a_manifest_of_the_wrong_shape_is_bad_input_naming_the_file_the_key_and_the_fix(tmp_path, break_it, problem):
    broken = document()
    break_it(broken)
    path = written(tmp_path, broken)
    with pytest.raises(BadInputError) as refused:
        load(path)
    message = str(refused.value)
    assert message.startswith(f"{path}: {problem}"), message
    assert message.endswith(FIX)


def test_a_manifest_of_another_format_is_refused_with_the_fix(tmp_path):
    old = document() | {"format": MANIFEST_FORMAT - 1, "generator": "stackyard 0.0.9"}
    path = written(tmp_path, old)
    with pytest.raises(BadInputError) as refused:
        load(path)
    assert str(refused.value) == (
        f"{path}: manifest format {MANIFEST_FORMAT - 1} (written by stackyard 0.0.9); this stackyard reads "
        f"format {MANIFEST_FORMAT}. {FIX}"
    )


@pytest.mark.parametrize("text", ['{"app": "a",', "", "[]", "\udcff"])
def test_a_file_that_is_not_a_json_object_is_bad_input(tmp_path, text):
    path = tmp_path / "dev" / MANIFEST_FILE
    path.parent.mkdir()
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(BadInputError) as refused:
        load(path)
    message = str(refused.value)
    assert message.startswith(f"{path}: not a") and message.endswith(FIX), message


class TestVerify:
    @pytest.fixture
    def env_dir(self, tmp_path, configs) -> tuple[Path, Manifest]:
        built = build_environment(configs["dev"])
        env_dir = tmp_path / "dev"
        for relative, body in built.files().items():
            (env_dir / relative).parent.mkdir(parents=True, exist_ok=True)
            (env_dir / relative).write_bytes(body)
        return env_dir, load(env_dir / MANIFEST_FILE)

    def test_a_build_as_generated_passes(self, env_dir):
        folder, built = env_dir
        built.verify(folder)

    def test_a_missing_nested_template_is_refused(self, env_dir):
        folder, built = env_dir
        (folder / "network" / "vpc.json").unlink()
        with pytest.raises(BadInputError) as refused:
            built.verify(folder)
        assert str(refused.value) == (
            f"{folder}/network/vpc.json: missing from the build its manifest describes. {FIX}"
        )

    def test_an_edited_template_is_refused(self, env_dir):
        folder, built = env_dir
        (folder / "database.json").write_bytes((folder / "database.json").read_bytes() + b" ")
        with pytest.raises(BadInputError) as refused:
            built.verify(folder)
        assert str(refused.value) == (
            f"{folder}/database.json: does not match {folder}/{MANIFEST_FILE} (changed after generate). {FIX}"
        )


def test_the_deploy_graph_of_a_selection_keeps_only_the_chosen_stacks():
    chosen = ["app", "network", "edge-global"]
    assert environment().in_deploy_order(chosen) == ["network", "edge-global", "app"]
    assert environment().dependencies(chosen) == {"network": [], "edge-global": [], "app": ["network"]}


def test_a_delete_goes_in_reverse_each_stack_after_the_stacks_that_depend_on_it():
    assert environment().dependants(["network", "database", "app"]) == {
        "app": [],
        "database": ["app"],
        "network": ["app", "database"],
    }


def test_a_region_override_moves_only_the_stacks_of_the_home_region():
    built = environment()
    assert built.stack_region("app", "eu-west-1") == "eu-west-1"
    assert built.stack_region("edge-global", "eu-west-1") == "us-east-1"
    assert built.stack_region("app") == "ap-southeast-1"
    assert built.regions(["app", "edge-global", "network"], "eu-west-1") == ["eu-west-1", "us-east-1"]
