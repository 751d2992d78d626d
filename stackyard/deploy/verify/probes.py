"""The network reads verify makes: an HTTP(S) GET that follows no redirect, a DNS lookup, a TCP connect.

TLS is verified against the system's certificate authorities (tests give their own); every failure to
reach something is a ProbeError whose text is the evidence a check shows.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field

from stackyard import __version__

READ_LIMIT = 65_536  # a health answer or an error page; never a whole site


class ProbeError(Exception):
    """Something could not be reached; the message says what happened, as evidence."""


@dataclass(frozen=True)
class HttpAnswer:
    url: str
    status: int
    location: str  # the Location header ("" without one)
    milliseconds: int
    tls: bool  # answered over HTTPS with a verified certificate


def aws_bucket_url(bucket: str, region: str) -> str:
    """The bucket's own S3 endpoint, where an anonymous read lands."""
    return f"https://{bucket}.s3.{region}.amazonaws.com/"


@dataclass
class Probes:
    ssl_context: ssl.SSLContext = field(default_factory=ssl.create_default_context)
    bucket_url: Callable[[str, str], str] | None = aws_bucket_url  # None: no anonymous bucket reads (an emulator)
    plain_http_port: int = 80  # where a redirect check sends plain HTTP (tests: a local server's port)

    def get(self, url: str, timeout: float) -> HttpAnswer:
        """GET `url`, following no redirect; ProbeError when there is no HTTP answer."""
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ProbeError(f"{url} is not an http(s) URL")
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection = (
            http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout, context=self.ssl_context)
            if parts.scheme == "https"
            else http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        )
        started = time.monotonic()
        try:
            connection.request("GET", path, headers={"User-Agent": f"stackyard-verify/{__version__}"})
            response = connection.getresponse()
            response.read(READ_LIMIT)
        except ssl.SSLCertVerificationError as error:
            raise ProbeError(f"{url}: certificate not trusted ({error.verify_message})") from None
        except ssl.SSLError as error:
            raise ProbeError(f"{url}: TLS failed ({error.reason or error})") from None
        except TimeoutError:
            raise ProbeError(f"{url}: no answer within {timeout:g} s") from None
        except socket.gaierror:
            raise ProbeError(f"{url}: {parts.hostname} does not resolve") from None
        except (OSError, http.client.HTTPException) as error:
            raise ProbeError(f"{url}: {error.__class__.__name__}: {error}") from None
        finally:
            connection.close()
        elapsed = int((time.monotonic() - started) * 1000)
        return HttpAnswer(url, response.status, response.getheader("Location", ""), elapsed, parts.scheme == "https")

    def resolve(self, host: str) -> list[str]:
        """The host's addresses; none when the name does not resolve from here."""
        try:
            found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except socket.gaierror:
            return []
        return sorted({str(info[4][0]) for info in found})

    def connect(self, address: str, port: int, timeout: float) -> str:
        """ "" when a TCP connection is accepted, else why not (refused, no answer)."""
        try:
            with socket.create_connection((address, port), timeout=timeout):
                return ""
        except TimeoutError:
            return f"no answer within {timeout:g} s"
        except ConnectionRefusedError:
            return "connection refused"
        except OSError as error:
            return error.strerror or str(error)
