"""Shared test set-up: headless Qt, and helpers to run engines on real loopback sockets."""

from __future__ import annotations

import os

# Before anything can import Qt: the suite runs with no display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
