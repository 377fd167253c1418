"""Raw HTTP config: the one source of truth for the Raw HTTP tab, its engine, the CLI and lab files."""

from __future__ import annotations

from dataclasses import dataclass

from netlab.core.config import FieldProblem, host_problems, port_problems, raise_if, range_problems

DEFAULT_CAP = 100 * 1024 * 1024  # bytes of response kept in memory; past it bytes are counted, not kept
DEFAULT_REQUEST = "GET / HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nConnection: close\r\n\r\n"


@dataclass(frozen=True)
class RawHttpConfig:
    """Where the request goes, how it is secured, the request's text and how it is turned into bytes."""

    host: str = "127.0.0.1"
    port: int = 8000
    tls: bool = False
    verify: bool = True  # check the server's certificate (only with tls)
    sni: str = ""  # the name sent in the TLS handshake; "": the host when it is a name
    ca_file: str = ""  # an extra CA to trust (PEM), besides the system's: a lab's own CA
    request: str = DEFAULT_REQUEST
    crlf: bool = True  # convert every line end to CRLF before sending
    auto_length: bool = True  # keep Content-Length equal to the body's length
    keep_open: bool = False  # leave the connection open for the next request
    timeout: float = 10.0  # seconds to wait for the next bytes of the response
    cap: int = DEFAULT_CAP

    def __post_init__(self) -> None:
        problems: list[FieldProblem] = []
        problems += host_problems(self.host)
        problems += port_problems(self.port, allow_zero=False)
        if self.sni:
            problems += host_problems(self.sni, field="sni")
        problems += range_problems(self.timeout, 0.1, 3600, "timeout", "Timeout")
        problems += range_problems(self.cap, 1024, 2**34, "cap", "Response cap")
        if not self.request.strip():
            problems.append(
                FieldProblem("request", "The request is empty", "pick a template or type GET / HTTP/1.1")
            )
        raise_if(problems)
