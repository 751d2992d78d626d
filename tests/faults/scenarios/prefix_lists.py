"""Fault matrix rows: a stack parameter filled with an AWS-managed prefix list's id, looked up by name in the
stack's region (stackyard/aws/ec2.py; the edge stack's CloudFrontOriginFacingPrefixListId)."""

from __future__ import annotations

from tests.faults.fake_ec2 import ORIGIN_FACING, prefix_list_id
from tests.faults.scenarios.common import Expect, Scenario
from tests.faults.world import APP_STACK, NETWORK, ORIGIN_PREFIX_LIST, REGION, STORAGE, Result, World

PREFIX_LISTS = (
    "AWS-managed prefix lists have one name and another id in each region; DescribeManagedPrefixLists filtered by "
    "prefix-list-name finds it, and answers an empty list in a region without it (EC2 API reference; VPC User "
    "Guide, 'AWS-managed prefix lists': CloudFront's origin-facing list is not in every region)"
)


def region_without_the_list(world: World) -> None:
    world.fake.ec2.missing.add((REGION, ORIGIN_FACING))


def regions_own_id_passed(world: World, result: Result) -> None:
    deployed = world.cloudformation.stack(APP_STACK).parameters[ORIGIN_PREFIX_LIST]
    assert deployed == prefix_list_id(ORIGIN_FACING, REGION), deployed


def others_deployed(world: World, result: Result) -> None:
    for stack in (NETWORK, STORAGE):
        assert world.cloudformation.stack(stack).status == "CREATE_COMPLETE", stack
    assert world.cloudformation._active(APP_STACK) is None


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "a-managed-prefix-list-is-looked-up-by-name-in-the-stacks-region",
        PREFIX_LISTS,
        ("deploy",),
        Expect(
            0,
            says=("app      created",),
            must=(f"DescribeManagedPrefixLists~{ORIGIN_FACING}", f"CreateChangeSet~{APP_STACK}"),
            before=(("DescribeManagedPrefixLists", f"CreateChangeSet~{APP_STACK}"),),
            check=regions_own_id_passed,
        ),
        start="empty",
        prefix_lists=True,
    ),
    Scenario(
        "a-region-without-the-managed-prefix-list-fails-the-stack-with-the-fix",
        PREFIX_LISTS,
        ("deploy",),
        Expect(
            1,
            says=(
                f"looking up the managed prefix list {ORIGIN_FACING}: this region has none by that name. Fix: deploy "
                "to a region CloudFront VPC origins support",
                "storage  created",
            ),
            must=("DescribeManagedPrefixLists",),
            must_not=(f"CreateChangeSet~{APP_STACK}",),
            check=others_deployed,
        ),
        setup=region_without_the_list,
        start="empty",
        prefix_lists=True,
    ),
)
