"""TLS contexts for NetLab's servers and clients, a self-signed certificate on request, and what a
certificate says (for the log when nobody verified it). Plain parameters: any protocol can use it."""

from __future__ import annotations

import ipaddress
import os
import shutil
import tempfile
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netlab.core.problem import NetLabError

if TYPE_CHECKING:
    import ssl  # imported where a context is made: the window opens without it (issue 8)


class TlsSetupError(NetLabError):
    """A certificate, key or CA file could not be used."""


def make_self_signed(host: str, folder: str | None = None) -> tuple[str, str]:
    """Write a fresh self-signed certificate and key for `host` (plus localhost); return their paths."""
    import datetime  # here, with cryptography: the window opens without them

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


@dataclass(frozen=True)
class ServerTls:
    """A server's TLS context, the certificate file it shows, and the temp folder to remove at stop."""

    context: ssl.SSLContext
    cert_file: str
    temp_folder: str = ""

    def cleanup(self) -> None:
        """Remove the self-signed certificate's folder (the key must not outlive the server)."""
        if self.temp_folder:
            shutil.rmtree(self.temp_folder, ignore_errors=True)


def server_context(cert_file: str, key_file: str, *, self_signed: bool, host: str) -> ServerTls:
    """A server context; with self_signed, a fresh certificate for host in a temp folder of its own."""
    import ssl

    if not self_signed:
        # Checked here, not in the config, so a lab written on another machine still loads.
        for path, what in ((cert_file, "certificate"), (key_file, "private key")):
            _require_file(path, what, "pick one, or tick 'Self-signed'")
    folder = tempfile.mkdtemp(prefix="netlab-tls-") if self_signed else ""
    try:
        cert, key = make_self_signed(host, folder) if self_signed else (cert_file, key_file)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        try:
            context.load_cert_chain(cert, key)
        except (OSError, ssl.SSLError) as exc:
            raise TlsSetupError(
                f"The certificate {cert} and key {key} could not be loaded ({exc}): "
                "pick a PEM certificate and the private key that belongs to it"
            ) from None
    except BaseException:
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    return ServerTls(context, cert, folder)


def client_context(ca_file: str = "", *, verify: bool = True) -> ssl.SSLContext:
    import ssl

    """Verifies the server (against the system's CAs and ca_file) unless verify is False.

    verify=False turns all verification off (CERT_NONE): any certificate, for any name, is accepted.
    """
    context = ssl.create_default_context()
    if ca_file:
        _require_file(ca_file, "CA", "pick the certificate of the CA that signed the server's")
        try:
            context.load_verify_locations(ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise TlsSetupError(
                f"The CA file {ca_file} could not be loaded ({exc}): pick a PEM certificate"
            ) from None
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def describe_certificate(der: bytes) -> str:
    """What a certificate says, in one line: subject, issuer, expiry and SHA-256 fingerprint."""
    import hashlib

    from cryptography import x509

    fingerprint = hashlib.sha256(der).hexdigest().upper()
    pairs = ":".join(fingerprint[i : i + 2] for i in range(0, len(fingerprint), 2))
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        return f"an unreadable certificate, SHA-256 {pairs}"
    expires = cert.not_valid_after_utc.strftime("%Y-%m-%d %H:%M UTC")
    subject = cert.subject.rfc4514_string() or "(empty)"
    issuer = cert.issuer.rfc4514_string() or "(empty)"
    return f"subject {subject}, issuer {issuer}, expires {expires}, SHA-256 {pairs}"
