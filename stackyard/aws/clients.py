"""Making botocore clients: a session per profile, botocore's data read once per process, and each
client made only when it is first used.

botocore directly, not boto3: boto3 adds resources and S3's transfer manager (s3transfer), which a
deploy never uses and which cost a fresh process about a quarter of a second to import
(docs/performance.md). botocore alone honours everything the project relies on: profiles,
AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>, the retry mode and the user agent's extra.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from botocore.config import Config
from botocore.loaders import Loader, create_loader
from botocore.session import Session

_loaders: dict[str | None, Loader] = {}
_loaders_lock = threading.Lock()
_create_lock = threading.Lock()


def shared_loader(data_path: str | None = None) -> Loader:
    """botocore's data loader for `data_path` (AWS_DATA_PATH), one per process: the service models,
    endpoint rulesets and partitions it reads are cached in it, so each is read and held once however
    many sessions (profiles, environments deployed at once) use it."""
    with _loaders_lock:
        if data_path not in _loaders:
            _loaders[data_path] = create_loader(data_path)
        return _loaders[data_path]


def create_client(session: Session, service: str, region: str, config: Config) -> Any:
    """`session`'s client for `service`, made one at a time in the process: botocore's sessions are not
    thread-safe, and the loader's cache is not locked, so threads making their first clients at once
    (environments deployed together) would each read and keep a copy of the same service model."""
    with _create_lock:
        return session.create_client(service, region_name=region, config=config)


def botocore_session(profile: str | None, region: str | None) -> Session:
    """A session for `profile` (None: AWS_PROFILE, else the default credentials) and `region`.
    Raises botocore's ProfileNotFound now, as boto3's Session did, rather than at the first call."""
    session = Session(profile=profile)
    if region is not None:
        session.set_config_variable("region", region)
    session.get_scoped_config()  # reads the profile: ProfileNotFound when it is not in ~/.aws/config
    session.register_component("data_loader", shared_loader(session.get_config_variable("data_path")))
    return session


class LazyClient:
    """Stands where a client stands and makes it at its first use (an attribute read: a call, `meta`,
    `exceptions`, a paginator), so a run that never calls a service never loads its model."""

    def __init__(self, make: Callable[[], Any]):
        self._make: Callable[[], Any] | None = make
        self._client: Any = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real(), name)

    def real(self) -> Any:
        """The client itself, made now if it was not yet."""
        if self._make is None:
            return self._client
        with self._lock:
            if self._make is not None:
                self._client, self._make = self._make(), None
            return self._client
