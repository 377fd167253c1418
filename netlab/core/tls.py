"""TLS contexts for NetLab's servers and clients, and a self-signed certificate on request."""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
import tempfile

from netlab.core.errors import NetLabError
from netlab.tcp.config import TcpClientConfig, TlsServerSettings


class TlsSetupError(NetLabError):
    """A certificate, key or CA file could not be used."""


def make_self_signed(host: str, folder: str | None = None) -> tuple[str, str]:
    """Write a fresh self-signed certificate and key for `host` (plus localhost); return their paths."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName("localhost")]
    for candidate in {host, "127.0.0.1", "::1"}:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(candidate)))
        except ValueError:
            names.append(x509.DNSName(candidate))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"NetLab self-signed ({host})")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(key, hashes.SHA256())
    )
    folder = folder or tempfile.mkdtemp(prefix="netlab-tls-")
    cert_path = os.path.join(folder, "netlab-self-signed.crt")
    key_path = os.path.join(folder, "netlab-self-signed.key")
    with open(cert_path, "wb") as out:
        out.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as out:
        os.chmod(key_path, 0o600)
        out.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return cert_path, key_path


def _require_file(path: str, what: str, hint: str) -> None:
    if not os.path.isfile(path):
        raise TlsSetupError(f"The {what} file {path} does not exist on this machine: {hint}")


def server_context(settings: TlsServerSettings, host: str) -> tuple[ssl.SSLContext, str]:
    """A server context and the certificate file it uses."""
    if not settings.self_signed:
        # Checked here, not in the config, so a lab written on another machine still loads.
        for path, what in ((settings.cert_file, "certificate"), (settings.key_file, "private key")):
            _require_file(path, what, "pick one, or tick 'Self-signed'")
    cert, key = make_self_signed(host) if settings.self_signed else (settings.cert_file, settings.key_file)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise TlsSetupError(
            f"The certificate {cert} and key {key} could not be loaded ({exc}): "
            "pick a PEM certificate and the private key that belongs to it"
        ) from None
    return context, cert


def client_context(config: TcpClientConfig) -> ssl.SSLContext:
    """Verifies the server by default; tls_verify=False accepts self-signed certificates."""
    context = ssl.create_default_context()
    if config.ca_file:
        _require_file(config.ca_file, "CA", "pick the certificate of the CA that signed the server's")
        try:
            context.load_verify_locations(config.ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise TlsSetupError(
                f"The CA file {config.ca_file} could not be loaded ({exc}): pick a PEM certificate"
            ) from None
    if not config.tls_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
