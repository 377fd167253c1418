"""The file server's settings: one frozen config, checked when built (no sockets, cheap to import)."""

from __future__ import annotations

from dataclasses import dataclass

from netlab.core.config import (
    FieldProblem,
    host_problems,
    port_problems,
    raise_if,
    range_problems,
    secret,
)


@dataclass(frozen=True)
class FileServerConfig:
    root: str = "."
    host: str = "127.0.0.1"
    port: int = 8000
    upload: bool = False
    max_upload_mb: int = 100
    auth: str = secret()  # "user:password"; empty: no password
    show_hidden: bool = False
    idle_timeout: float = 15.0

    def __post_init__(self) -> None:
        problems = host_problems(self.host)
        problems += port_problems(self.port)
        problems += range_problems(self.max_upload_mb, 1, 1_000_000, "max_upload_mb", "Upload limit (MB)")
        problems += range_problems(self.idle_timeout, 0.1, 3600, "idle_timeout", "Idle timeout")
        if self.auth and (":" not in self.auth or not self.auth.partition(":")[0]):
            problems.append(FieldProblem("auth", "The login must be user:password", "e.g. student:secret"))
        raise_if(problems)
