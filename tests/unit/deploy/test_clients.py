"""Pure unit: how stackyard.aws makes its botocore clients (stackyard/aws/clients.py). No request is
sent: the clients are made and inspected (their endpoint, user agent, retries), and botocore's loader
is watched to count the files (service models, endpoints) it reads from disk."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config
from botocore.loaders import JSONFileLoader

from stackyard import __version__
from stackyard.aws import Aws
from stackyard.errors import BadInputError

REGION = "eu-west-1"


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Static credentials, and no profile or endpoint from the machine running the tests."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_CLOUDFORMATION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")


def test_a_client_is_made_when_first_used_and_once_per_service_and_region():
    made: list[tuple[str, str]] = []

    def factory(service: str, region: str, config: Config) -> Any:
        made.append((service, region))
        return type("Client", (), {"describe_stacks": lambda self: {"Stacks": []}})()

    aws = Aws(client_factory=factory)
    reader, ec2 = aws.stack_reader(REGION), aws.ec2(REGION)
    assert made == []  # wrappers made, no client yet: nothing loaded for EC2, which this run never calls
    assert reader.client.describe_stacks() == {"Stacks": []}
    assert aws.client("cloudformation", REGION).describe_stacks() == {"Stacks": []}
    assert made == [("cloudformation", REGION)]
    assert ec2 is not None


def test_every_service_model_is_read_once_however_many_environments_make_clients_at_once(
    credentials: None, monkeypatch: pytest.MonkeyPatch
):
    """Ten environments deployed from one process (ten Aws, each with its own session) share botocore's
    loader: before, each read and kept its own copy of every model (EC2's alone holds 15 MB)."""
    reads: Counter[str] = Counter()
    read = JSONFileLoader.load_file

    def counted(loader: JSONFileLoader, path: str) -> Any:
        found = read(loader, path)
        reads[path] += found is not None
        return found

    monkeypatch.setattr(JSONFileLoader, "load_file", counted)
    environments = [Aws(region=REGION) for _ in range(10)]
    models: list[Any] = []

    def make_clients(aws: Aws) -> None:
        for service in ("sts", "cloudformation", "s3", "ec2"):
            models.append(aws.client(service, REGION).meta.service_model)

    threads = [threading.Thread(target=make_clients, args=(aws,)) for aws in environments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(models) == 40
    assert max(reads.values(), default=0) <= 1, reads  # 0 when an earlier test of this process read it


def test_clients_keep_the_endpoint_variables_the_retries_and_the_user_agent(
    credentials: None, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFORMATION", "http://127.0.0.1:5000")
    aws = Aws(region=REGION)
    cloudformation, s3 = aws.client("cloudformation", REGION), aws.client("s3", REGION)
    assert cloudformation.meta.endpoint_url == "http://127.0.0.1:5000"  # the service's own variable wins
    assert s3.meta.endpoint_url == "http://127.0.0.1:4566"
    assert cloudformation.meta.region_name == REGION
    assert cloudformation.meta.config.retries["mode"] == "adaptive"
    assert f"stackyard/{__version__}" in cloudformation.meta.config.user_agent_extra


def test_a_profile_missing_from_the_config_file_is_bad_input_before_any_client(credentials: None):
    with pytest.raises(BadInputError, match="AWS profile 'nobody' not found; fix: pick one from ~/.aws/config"):
        Aws(profile="nobody", region=REGION)
