"""Checksums: each algorithm against its published check value, byte order, covered range, verify."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netlab.core.checksum import (
    CHECK_VALUES,
    Algorithm,
    ByteOrder,
    Checksum,
    Verdict,
    checksum,
)
from netlab.core.config import ConfigError

CHECK = b"123456789"


@pytest.mark.parametrize(
    ("algorithm", "value"),
    [
        (Algorithm.SUM8, 0xDD),
        (Algorithm.XOR8, 0x31),
        (Algorithm.CRC16_MODBUS, 0x4B37),
        (Algorithm.CRC16_IBM_3740, 0x29B1),
        (Algorithm.CRC16_XMODEM, 0x31C3),
        (Algorithm.CRC32, 0xCBF43926),
    ],
)
def test_each_algorithm_gives_its_catalogue_check_value(algorithm: Algorithm, value: int) -> None:
    assert checksum(algorithm, CHECK) == value
    assert CHECK_VALUES[algorithm] == value


@pytest.mark.parametrize(
    ("algorithm", "data", "value"),
    [
        (Algorithm.SUM8, b"", 0),
        (Algorithm.SUM8, b"\xff\x02", 0x01),
        (Algorithm.XOR8, b"", 0),
        (Algorithm.XOR8, b"\x0f\xf0\x01", 0xFE),
        (Algorithm.CRC16_MODBUS, b"", 0xFFFF),
        # A MODBUS RTU request (read holding registers): the CRC on the wire is 84 0a, low byte first.
        (Algorithm.CRC16_MODBUS, bytes.fromhex("010300000001"), 0x0A84),
        (Algorithm.CRC16_IBM_3740, b"", 0xFFFF),
        (Algorithm.CRC16_XMODEM, b"", 0),
        (Algorithm.CRC32, b"", 0),
    ],
)
def test_more_known_values(algorithm: Algorithm, data: bytes, value: int) -> None:
    assert checksum(algorithm, data) == value


@pytest.mark.parametrize(
    ("algorithm", "width"),
    [
        (Algorithm.SUM8, 1),
        (Algorithm.XOR8, 1),
        (Algorithm.CRC16_MODBUS, 2),
        (Algorithm.CRC16_IBM_3740, 2),
        (Algorithm.CRC16_XMODEM, 2),
        (Algorithm.CRC32, 4),
    ],
)
def test_widths_and_labels(algorithm: Algorithm, width: int) -> None:
    assert algorithm.width == width
    assert len(Checksum(algorithm).of(CHECK)) == width
    assert algorithm.label


def test_labels_use_the_catalogue_names() -> None:
    assert Algorithm.CRC16_IBM_3740.label == "CRC-16/IBM-3740 (CCITT-FALSE)"
    assert Algorithm.CRC16_MODBUS.label == "CRC-16/MODBUS"
    assert Algorithm.CRC16_XMODEM.label == "CRC-16/XMODEM"
    assert Algorithm.CRC32.label.startswith("CRC-32")


def test_byte_order() -> None:
    assert Checksum(Algorithm.CRC16_MODBUS, ByteOrder.BIG).of(CHECK) == b"\x4b\x37"
    assert Checksum(Algorithm.CRC16_MODBUS, ByteOrder.LITTLE).of(CHECK) == b"\x37\x4b"
    assert Checksum(Algorithm.CRC32, ByteOrder.LITTLE).of(CHECK) == bytes.fromhex("2639f4cb")
    assert Checksum(Algorithm.CRC32).of(CHECK) == bytes.fromhex("cbf43926")


def test_covered_range_skips_first_and_last_bytes() -> None:
    framed = b"\x02" + CHECK + b"\r\n"
    spec = Checksum(Algorithm.CRC16_XMODEM, skip_first=1, skip_last=2)
    assert spec.of(framed) == b"\x31\xc3"
    assert spec.appended(framed) == framed + b"\x31\xc3"
    assert Checksum(Algorithm.SUM8, skip_first=9).of(CHECK) == b"\x00"
    assert Checksum(Algorithm.SUM8, skip_last=8).of(CHECK) == b"1"


def test_append_off_leaves_the_bytes_alone() -> None:
    assert Checksum(Algorithm.SUM8, append=False).appended(CHECK) == CHECK
    assert Checksum(Algorithm.SUM8).appended(CHECK) == CHECK + b"\xdd"


def test_verify_a_trailing_checksum() -> None:
    spec = Checksum(Algorithm.CRC16_MODBUS, ByteOrder.LITTLE)
    assert spec.check(CHECK + b"\x37\x4b") == Verdict(True, b"\x37\x4b", b"\x37\x4b")
    bad = spec.check(CHECK + b"\x4b\x37")
    assert bad == Verdict(False, b"\x4b\x37", b"\x37\x4b")
    assert bad is not None
    assert bad.describe(Algorithm.CRC16_MODBUS) == (
        "CRC-16/MODBUS checksum BAD: the message ends in 4b 37, its bytes give 37 4b"
    )
    good = spec.check(CHECK + b"\x37\x4b")
    assert good is not None
    assert good.describe(Algorithm.CRC16_MODBUS) == "CRC-16/MODBUS checksum OK: 37 4b"


def test_verify_with_a_range_and_too_short_messages() -> None:
    spec = Checksum(Algorithm.SUM8, skip_first=1, skip_last=1)
    assert spec.check(b"\x02ab\x03" + bytes([(ord("a") + ord("b")) & 0xFF])) is not None
    verdict = spec.check(b"\x02ab\x03\xc3")
    assert verdict is not None and verdict.ok
    assert spec.check(b"\x02\x03\x00") == Verdict(True, b"\x00", b"\x00")  # nothing covered: sum 0
    assert spec.check(b"\x02\x03") is None  # too short for a start byte, an end byte and the sum
    assert Checksum(Algorithm.CRC32).check(b"abc") is None
    assert Checksum(Algorithm.CRC32).check(b"") is None
    assert Checksum(Algorithm.SUM8).check(b"\x00") == Verdict(True, b"\x00", b"\x00")


@given(st.binary(max_size=64), st.sampled_from(Algorithm), st.sampled_from(ByteOrder))
def test_what_is_appended_verifies(data: bytes, algorithm: Algorithm, order: ByteOrder) -> None:
    spec = Checksum(algorithm, order)
    verdict = spec.check(spec.appended(data))
    assert verdict is not None and verdict.ok


@given(st.binary(min_size=1, max_size=64), st.integers(0, 63))
def test_a_flipped_bit_fails_crc32(data: bytes, bit: int) -> None:
    spec = Checksum(Algorithm.CRC32)
    sent = bytearray(spec.appended(data))
    sent[(bit // 8) % len(data)] ^= 1 << (bit % 8)
    verdict = spec.check(bytes(sent))
    assert verdict is not None and not verdict.ok


def test_config_problems_name_the_fields() -> None:
    with pytest.raises(ConfigError) as caught:
        Checksum(skip_first=-1, skip_last=70_000)
    assert [str(p) for p in caught.value.problems] == [
        "Skip first -1 is out of range: use 0 to 65535",
        "Skip last 70000 is out of range: use 0 to 65535",
    ]
    with pytest.raises(ConfigError) as caught:
        Checksum(skip_first=65_536, skip_last=65_536)
    assert [p.field for p in caught.value.problems] == ["skip_first", "skip_last"]
    with pytest.raises(ConfigError) as caught:
        Checksum(byte_order="middle")  # type: ignore[arg-type]
    assert [p.field for p in caught.value.problems] == ["byte_order"]
    with pytest.raises(ConfigError) as caught:
        Checksum(algorithm="crc99")  # type: ignore[arg-type]
    assert caught.value.problems[0].field == "algorithm"
    assert Checksum(algorithm="crc32", byte_order="little").byte_order is ByteOrder.LITTLE  # type: ignore[arg-type]
    assert Checksum(skip_first=65_535, skip_last=65_535).skip_last == 65_535
