"""The one shape of "something went wrong": a plain message and a hint, for every field, codec and error;
and the base of NetLab's own exceptions."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """What went wrong, in plain words, and what the user can do about it.

    A bad field (config.FieldProblem) is a Problem that also names the field; a codec failure
    (codec.CodecError) carries one; errors.explain() makes one from any expected exception.
    """

    message: str
    hint: str

    def __str__(self) -> str:
        return f"{self.message}: {self.hint}" if self.hint else self.message


class NetLabError(Exception):
    """Base of NetLab's own exceptions; str() is fit to show to a user. (errors.py maps them to events.)"""
