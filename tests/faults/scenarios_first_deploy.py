"""Fault-matrix rows for a system's first deploy (issue 14): a service whose image is not in ECR yet, a
certificate whose domain's DNS is elsewhere.

Same shape as tests/faults/scenarios.py (whose Expect and Scenario they use); docs/faults.md lists
them under "A system's first deploy".
"""

from __future__ import annotations

from collections.abc import Callable

from tests.faults.fake_acm import RECORDS_AFTER, FakeAcm
from tests.faults.fake_aws import Trigger
from tests.faults.scenarios import NO_WRITES, Expect, Scenario, assert_equal, both, fault
from tests.faults.world import APP_STACK, DOMAIN, IMAGE_TAG, REGION, REPOSITORY, Result, World

REGISTRY = f"123456789012.dkr.ecr.{REGION}.amazonaws.com"
EMPTY_REPOSITORY = (
    "DescribeImages answers ImageNotFoundException for a tag the repository does not hold and "
    "RepositoryNotFoundException before the repository exists (ECR API reference); tasks that cannot pull their "
    "image fail the service's deployment circuit breaker, which rolls the stack back (ECS Developer Guide, "
    "'deployment circuit breaker'; seed 002 §3, 'ECR image not found on first deploy')"
)


def push_image(world: World) -> None:
    world.fake.ecr(REGION).push(REPOSITORY, IMAGE_TAG)


def service_running_then_image_gone(world: World) -> None:
    push_image(world)
    assert world.run("deploy").code == 0
    world.fake.ecr(REGION).untag(REPOSITORY, IMAGE_TAG)


def service(enabled: str) -> Callable[[World, Result], None]:
    """The app stack was deployed with ServiceEnabled `enabled`, and holds the service exactly when "true"."""

    def check(world: World, result: Result) -> None:
        stack = world.cloudformation.stack(APP_STACK)
        assert_equal(stack.parameters["ServiceEnabled"], enabled)
        assert_equal("Service" in stack.resources, enabled == "true")
        assert "Repository" in stack.resources

    return check


def no_push_advice(world: World, result: Result) -> None:
    assert "docker push" not in result.out, result.out


def checks(*each: Callable[[World, Result], None]) -> Callable[[World, Result], None]:
    def check(world: World, result: Result) -> None:
        for one in each:
            one(world, result)

    return check


RECORD = FakeAcm.record(DOMAIN)
CNAME = f"{RECORD['Name']} CNAME {RECORD['Value']}"
MANUAL_VALIDATION = (
    "A DNS-validated certificate without a hosted zone stays PENDING_VALIDATION, and CloudFormation waits on "
    "it (up to 72 hours), until its CNAME is created; DescribeCertificate's DomainValidationOptions carry the "
    "ResourceRecord a few seconds after the request, one for <domain> and *.<domain>, and keep it after issue, "
    "for renewals (ACM User Guide, 'DNS validation'; seed 002 §2.6)"
)


def record_shown_while_cloudformation_waits(world: World, result: Result) -> None:
    lines = result.out.splitlines()
    shown = next(index for index, line in enumerate(lines) if CNAME in line and "waits for" in line)
    done = next(index for index, line in enumerate(lines) if " storage  CREATE_COMPLETE" in line)
    assert shown < done, result.out
    assert_equal(sum(CNAME in line and "waits for" in line for line in lines), 1)  # shown once, not per poll


def records_in_the_outputs_file(status: str) -> Callable[[World, Result], None]:
    def check(world: World, result: Result) -> None:
        kept = world.outputs()["dns_validation"]["storage"]["Certificate"]
        assert_equal((kept["domain"], kept["status"]), (DOMAIN, status))
        assert_equal(kept["records"], [{"name": RECORD["Name"], "type": "CNAME", "value": RECORD["Value"]}])

    return check


def interrupt_once_the_records_exist(world: World) -> None:
    def ctrl_c() -> None:
        if any(
            world.fake.clock.now() >= each.requested + RECORDS_AFTER for each in world.fake.acm.certificates.values()
        ):
            world.interrupt.request()

    world.fake.triggers.append(Trigger("DescribeCertificate", ctrl_c, times=100))


def forget_outputs(world: World) -> None:
    (world.root / "outputs" / "test.json").unlink()


FIRST_DEPLOY: tuple[Scenario, ...] = (
    Scenario(
        "an-empty-repository-leaves-the-service-out-and-says-what-to-push",
        EMPTY_REPOSITORY,
        ("deploy",),
        Expect(
            0,
            says=(
                f"image {REPOSITORY}:{IMAGE_TAG} is not in ECR yet: ServiceEnabled=false",
                f"docker push {REGISTRY}/{REPOSITORY}:{IMAGE_TAG}",
                f"--password-stdin {REGISTRY}",
                "then deploy again, which starts the service: python deploy.py deploy --env test",
            ),
            must=(f"DescribeImages~{REPOSITORY}", f"DescribeRepositories~{REPOSITORY}"),
            check=service("false"),
        ),
        start="empty",
        images=True,
    ),
    Scenario(
        "the-pushed-image-starts-the-service",
        EMPTY_REPOSITORY,
        ("deploy",),
        Expect(
            0,
            says=("parameter ServiceEnabled differs: deployed 'false', now 'true'", "app      updated"),
            must=(f"DescribeImages~{REPOSITORY}", "ExecuteChangeSet"),
            check=checks(service("true"), no_push_advice),
        ),
        setup=push_image,
        images=True,
    ),
    Scenario(
        "a-running-services-missing-image-refuses-the-stack",
        EMPTY_REPOSITORY + "; a stack updated with the service's condition false deletes the running service",
        ("deploy",),
        Expect(
            1,
            says=(
                f"image {REPOSITORY}:{IMAGE_TAG} is not in ECR ({REGION}), and the stack runs its service",
                "deploying without the image would delete the running service",
            ),
            must=(f"DescribeImages~{REPOSITORY}",),
            must_not=("CreateChangeSet~app-test-app", "ExecuteChangeSet"),
            check=service("true"),
        ),
        setup=service_running_then_image_gone,
        images=True,
    ),
    Scenario(
        "plan-of-an-empty-repository-says-the-service-waits",
        EMPTY_REPOSITORY,
        ("plan",),
        Expect(
            0,
            says=(f"image {REPOSITORY}:{IMAGE_TAG} is not in ECR yet", "app      unchanged"),
            must=(f"DescribeImages~{REPOSITORY}",),
            must_not=NO_WRITES,
            check=no_push_advice,
        ),
        images=True,
    ),
    Scenario(
        "a-certificate-waiting-on-dns-shows-its-record-while-cloudformation-waits",
        MANUAL_VALIDATION + "; start: nothing deployed; the record is created by hand 10 minutes in",
        ("deploy",),
        Expect(
            0,
            says=(
                f"certificate Certificate ({DOMAIN}) waits for its DNS validation record; CloudFormation waits "
                f"with it. Create it at the domain's DNS provider: {CNAME}",
                "storage  created",
            ),
            must=("ListStackResources~stack/app-test-storage/", "DescribeCertificate"),
            check=checks(record_shown_while_cloudformation_waits, records_in_the_outputs_file("ISSUED")),
        ),
        setup=fault(waits={"Certificate": 600}),
        start="empty",
        certificate=True,
    ),
    Scenario(
        "a-deploy-that-ends-before-validation-lists-the-records-to-create",
        MANUAL_VALIDATION + "; Ctrl-C while CloudFormation waits on the certificate",
        ("deploy",),
        Expect(
            130,
            says=(
                "DNS validation records to create at the domain's DNS provider",
                f"storage Certificate ({DOMAIN}): {CNAME}",
            ),
            must=("DescribeCertificate",),
            check=records_in_the_outputs_file("PENDING_VALIDATION"),
        ),
        setup=both(fault(waits={"Certificate": 600}), interrupt_once_the_records_exist),
        start="empty",
        certificate=True,
    ),
    Scenario(
        "an-unchanged-stack-still-writes-its-certificates-records",
        MANUAL_VALIDATION + "; the outputs file lost, the stack unchanged",
        ("deploy",),
        Expect(
            0,
            says=("storage  unchanged",),
            must=("ListStackResources~app-test-storage", "DescribeCertificate"),
            check=records_in_the_outputs_file("ISSUED"),
        ),
        setup=forget_outputs,
        certificate=True,
    ),
    Scenario(
        "an-unreadable-certificate-does-not-fail-its-stack",
        MANUAL_VALIDATION + "; DescribeCertificate answers AccessDeniedException to an identity without "
        "acm:DescribeCertificate",
        ("deploy",),
        Expect(
            0,
            says=("cannot read the DNS validation records of Certificate", "storage  created"),
            counts=(("DescribeCertificate", 1),),
        ),
        setup=fault(waits={"Certificate": 60}, denied=("DescribeCertificate",)),
        start="empty",
        certificate=True,
    ),
)
