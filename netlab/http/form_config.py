"""HTTP form config: the one source of truth for the HTTP form tab, its client, its code views and lab files.

Query parameters live in the URL itself (the tab's query table is a view of it), so there is one
place to read them from and the URL shown is the URL sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from netlab.core.config import FieldProblem, coerce_enum, raise_if, range_problems, secret

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
DEFAULT_URL = "http://127.0.0.1:8000/get"
DEFAULT_CAP = 50 * 1024 * 1024  # bytes of body kept in memory; a larger body is offered "save to file"


class Backend(str, Enum):
    """Which library sends the request."""

    URLLIB = "urllib"
    REQUESTS = "requests"


class BodyKind(str, Enum):
    NONE = "none"
    RAW = "raw"
    JSON = "json"
    FORM = "form"  # application/x-www-form-urlencoded
    MULTIPART = "multipart"  # multipart/form-data, with files


class AuthKind(str, Enum):
    NONE = "none"
    BASIC = "basic"
    DIGEST = "digest"
    BEARER = "bearer"


@dataclass(frozen=True)
class NameValue:
    """One row of a headers or form table."""

    name: str
    value: str = ""


@dataclass(frozen=True)
class Upload:
    """A file sent in a multipart body under a form field's name."""

    field: str
    path: str
    content_type: str = "application/octet-stream"


@dataclass(frozen=True)
class HttpFormConfig:
    """One request as the form describes it, and how the chosen library should send it."""

    backend: Backend = Backend.REQUESTS
    method: str = "GET"
    url: str = DEFAULT_URL
    headers: tuple[NameValue, ...] = ()
    body_kind: BodyKind = BodyKind.NONE
    body: str = ""  # the raw text or the JSON text
    fields: tuple[NameValue, ...] = ()  # form-urlencoded or multipart fields
    files: tuple[Upload, ...] = ()  # multipart only
    auth: AuthKind = AuthKind.NONE
    user: str = ""
    password: str = secret()
    token: str = secret()  # bearer
    timeout: float = 10.0
    follow_redirects: bool = True
    verify: bool = True  # check the server's certificate (https)
    ca_file: str = ""  # trust this CA instead of the system's
    proxy: str = ""  # e.g. http://127.0.0.1:3128
    retries: int = 0  # extra tries after a connection failure or a 500/502/503/504
    backoff: float = 0.5  # seconds; the n-th retry waits backoff * 2**(n-1)
    cap: int = DEFAULT_CAP

    def __post_init__(self) -> None:
        from netlab.http.form import header_problems, json_problems, url_problems

        problems: list[FieldProblem] = []
        coerce_enum(self, "backend", Backend, problems)
        coerce_enum(self, "body_kind", BodyKind, problems)
        coerce_enum(self, "auth", AuthKind, problems)
        if self.method not in METHODS:
            problems.append(
                FieldProblem(
                    "method", f"'{self.method}' is not an HTTP method", "choose " + ", ".join(METHODS)
                )
            )
        problems += url_problems(self.url)
        problems += header_problems(self.headers)
        if self.body_kind == BodyKind.JSON:
            problems += json_problems(self.body)
        if self.body_kind == BodyKind.MULTIPART:
            for upload in self.files:
                if not upload.field.strip() or not upload.path.strip():
                    problems.append(
                        FieldProblem(
                            "files", "A file row needs a field name and a file", "fill both, or remove it"
                        )
                    )
        if self.auth in (AuthKind.BASIC, AuthKind.DIGEST) and not self.user:
            problems.append(
                FieldProblem("user", "The user name is empty", "type the user name, or choose no auth")
            )
        if self.proxy:
            problems += url_problems(self.proxy, field="proxy", what="proxy")
        problems += range_problems(self.timeout, 0.1, 3600, "timeout", "Timeout")
        problems += range_problems(self.retries, 0, 10, "retries", "Retries")
        problems += range_problems(self.backoff, 0, 60, "backoff", "Back-off")
        problems += range_problems(self.cap, 1024, 2**34, "cap", "Memory cap")
        raise_if(problems)

    def sending_problems(self) -> list[FieldProblem]:
        """What must be filled in before sending. Not a config error: a lab saved without its secrets
        leaves the token empty, and must still open."""
        if self.auth == AuthKind.BEARER and not self.token.strip():
            return [FieldProblem("token", "The bearer token is empty", "paste the token, or choose no auth")]
        return []
