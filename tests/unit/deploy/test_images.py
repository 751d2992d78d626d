"""Pure unit: image parameters (stackyard/deploy/images.py) stay at the deployed image's version, are
pinned from the parameter's history (a stand-in Ssm), and tell a refresh when a newer image is out."""

from __future__ import annotations

from stackyard.aws import DeployedStack
from stackyard.deploy.images import keep_pins, newer_images, pin, split_version, unpinned
from stackyard.deploy.stack_plan import Desired

AL2023 = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
TEMPLATE = {
    "Parameters": {
        "ImageId": {"Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>", "Default": AL2023},
        "Size": {"Type": "String", "Default": "t3.small"},
    }
}
DESIRED = Desired(TEMPLATE, {"TemplateBody": "{}"}, {}, {})


def deployed(value: str, image: str = "ami-1") -> DeployedStack:
    return DeployedStack(
        "app", "arn:app", "UPDATE_COMPLETE", None, {"ImageId": value}, {}, {}, False, {"ImageId": image}
    )


class History:
    def __init__(self, versions: list[str] | None):
        self.versions = versions

    def version_holding(self, name: str, value: str) -> int | None:
        if self.versions is None:
            return None
        return max((i for i, v in enumerate(self.versions, start=1) if v == value), default=None)

    def value(self, name: str) -> str | None:
        return self.versions[-1] if self.versions else None


def test_versions_are_split_off_names():
    assert split_version(f"{AL2023}:12") == (AL2023, 12)
    assert split_version(AL2023) == (AL2023, None)


def test_a_pinned_image_stays_pinned_and_a_changed_name_or_a_refresh_is_not_kept():
    assert keep_pins(DESIRED, deployed(f"{AL2023}:3")).parameters == {"ImageId": f"{AL2023}:3"}
    assert keep_pins(DESIRED, deployed("/my/own/image:3")).parameters == {}  # the params name another parameter now
    assert keep_pins(DESIRED, None) is DESIRED


def test_an_unpinned_image_is_pinned_to_the_version_holding_it_and_said():
    said: list[str] = []
    found = pin(DESIRED, deployed(AL2023, "ami-1"), History(["ami-0", "ami-1", "ami-2"]), said.append)
    assert found.parameters == {"ImageId": f"{AL2023}:2"}
    assert said == [
        f"parameter ImageId: kept on the deployed image ami-1 ({AL2023}:2); --refresh-images takes the newest"
    ]


def test_an_image_whose_version_cannot_be_found_goes_unpinned_with_a_warning():
    said: list[str] = []
    assert pin(DESIRED, deployed(AL2023), History(None), said.append) is DESIRED
    assert "cannot pin" in said[0] and "--allow-replace must allow" in said[0]


def test_a_refresh_finds_a_newer_image_only_when_there_is_one():
    assert unpinned(DESIRED, deployed(AL2023, "ami-1")) == {"ImageId": (AL2023, "ami-1")}
    assert newer_images(DESIRED, deployed(AL2023, "ami-1"), History(["ami-1"])) == []
    assert newer_images(DESIRED, deployed(AL2023, "ami-1"), History(["ami-1", "ami-2"])) == [
        f"parameter ImageId: {AL2023} now holds ami-2 (deployed: ami-1); --refresh-images"
    ]
