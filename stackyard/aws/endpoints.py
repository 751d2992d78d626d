"""The endpoint variables boto3 reads, checked before any client is made."""

from __future__ import annotations

from collections.abc import Mapping

from stackyard.errors import BadInputError


def check_endpoint_urls(environ: Mapping[str, str]) -> None:
    """AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> are URLs: botocore reads them only when it makes a
    client, and then fails with a bare ValueError, so they are checked before any call."""
    from botocore.utils import is_valid_endpoint_url, is_valid_ipv6_endpoint_url

    for name, value in sorted(environ.items()):
        if not (name == "AWS_ENDPOINT_URL" or name.startswith("AWS_ENDPOINT_URL_")) or not value:
            continue  # boto3 ignores an empty one
        scheme = value.partition("://")[0]
        if scheme not in ("http", "https") or not (is_valid_endpoint_url(value) or is_valid_ipv6_endpoint_url(value)):
            raise BadInputError(
                f"{name}={value!r} is not an endpoint URL; expected http(s)://host[:port], such as "
                f"http://127.0.0.1:4566 for LocalStack. Fix: correct it, or unset it to reach AWS itself"
            )
