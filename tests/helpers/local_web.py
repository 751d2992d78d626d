"""A web server on loopback for verify's checks: HTTPS with a self-signed certificate for localhost (and a
client SSL context that trusts it), plain HTTP beside it, both answering from a table of routes.

Routes map a path with its query (`/`, `/api/health`, `/?id=1%27...`) to (status, headers); anything else
answers 404. Plain HTTP answers every path with its own route table (a redirect, or a page).
"""

from __future__ import annotations

import datetime
import http.server
import ssl
import threading
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

Route = tuple[int, dict[str, str]]


def self_signed(folder: Path, name: str = "localhost") -> tuple[Path, Path]:
    """A certificate for `name` (and 127.0.0.1) signed by its own key: (certificate, key) PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_file, key_file = folder / f"{name}.pem", folder / f"{name}.key"
    certificate_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return certificate_file, key_file


@dataclass
class LocalWeb:
    folder: Path
    routes: dict[str, Route] = field(default_factory=dict)  # HTTPS: path?query -> (status, headers)
    plain_routes: dict[str, Route] = field(default_factory=dict)  # plain HTTP
    requests: list[str] = field(default_factory=list)

    def __enter__(self) -> LocalWeb:
        certificate, key = self_signed(self.folder)
        server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_context.load_cert_chain(certificate, key)
        self.trusting = ssl.create_default_context(cafile=str(certificate))  # what a client passes to trust it
        self._https = self._serve(self.routes)
        self._https.socket = server_context.wrap_socket(self._https.socket, server_side=True)
        self._http = self._serve(self.plain_routes)
        for server in (self._https, self._http):
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        for server in (self._https, self._http):
            server.shutdown()
            server.server_close()

    @property
    def https_url(self) -> str:
        return f"https://localhost:{self._https.server_address[1]}"

    @property
    def http_port(self) -> int:
        return int(self._http.server_address[1])

    def _serve(self, routes: dict[str, Route]) -> http.server.ThreadingHTTPServer:
        requests = self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                requests.append(self.path)
                status, headers = routes.get(self.path, routes.get("*", (404, {})))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        return http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
