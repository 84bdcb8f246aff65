"""Helpers shared by the telemetry protocol codecs (stdlib only, no Django).

* the error hierarchy every decoder raises (never a partial result);
* the two checksums: CRC-16/MODBUS (SL 651-2014) and the CRC-8 with generator
  0xE5 (SZY206-2016 / SL/T 427-2021);
* packed-BCD conversion, in both byte orders;
* :class:`Element`, one decoded measurement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

__all__ = [
    "ChecksumError",
    "Element",
    "FormatError",
    "FrameError",
    "bcd_decode",
    "bcd_encode",
    "crc8_e5",
    "crc16_modbus",
    "scaled",
    "unscaled",
]


class FrameError(ValueError):
    """The bytes are not a valid frame of the protocol; nothing was decoded."""


class ChecksumError(FrameError):
    """The frame is well delimited but its CRC does not match its content."""


class FormatError(FrameError):
    """The frame violates the layout of the standard: start/end bytes, length, field contents."""


def crc16_modbus(data: bytes) -> int:
    """CRC-16/MODBUS: reflected poly 0xA001 (x^16+x^15+x^2+1), init 0xFFFF, no final XOR.

    SL 651-2014 table 11 and appendix H.3.2 (the six-step algorithm).
    Check value: ``crc16_modbus(b"123456789") == 0x4B37``.
    """
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def crc8_e5(data: bytes) -> int:
    """CRC-8 with generator byte 0xE5, MSB first, init 0x00, no reflection, no final XOR.

    The standards write the generator as X^7+X^6+X^5+X^2+1 (SL/T 427-2021 6.3.3.5).
    Implementations use 0xE5 (bits 7,6,5,2,0) with the implicit x^8 term.
    Real SZY206 frames check out with this definition (see the tests).
    """
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0xE5) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def bcd_decode(data: bytes, *, little_endian: bool = False) -> int:
    """Packed BCD to int: two decimal digits per byte, high nibble first.

    ``little_endian`` puts the least significant byte first (SZY206 data fields).
    A nibble above 9 raises :class:`FormatError`.
    """
    ordered = reversed(data) if little_endian else data
    value = 0
    for byte in ordered:
        high, low = byte >> 4, byte & 0x0F
        if high > 9 or low > 9:
            raise FormatError(f"invalid BCD byte 0x{byte:02X} in {data.hex().upper()}")
        value = value * 100 + high * 10 + low
    return value


def bcd_encode(value: int, length: int, *, little_endian: bool = False) -> bytes:
    """Non-negative int to ``length`` bytes of packed BCD (zero padded on the left)."""
    if value < 0 or value >= 10 ** (2 * length):
        raise ValueError(f"{value} does not fit in {length} BCD bytes")
    digits = f"{value:0{2 * length}d}"
    out = bytes(int(digits[i : i + 2], 16) for i in range(0, 2 * length, 2))
    return out[::-1] if little_endian else out


def scaled(integer: int, decimals: int) -> Decimal:
    """``integer / 10**decimals`` as an exact Decimal with ``decimals`` places."""
    return Decimal(integer).scaleb(-decimals)


def unscaled(value: Decimal, decimals: int) -> int:
    """Inverse of :func:`scaled`. Raises ValueError if ``value`` has more than ``decimals`` places."""
    shifted = Decimal(value).scaleb(decimals)
    if shifted != shifted.to_integral_value():
        raise ValueError(f"{value} has more than {decimals} decimal places")
    return int(shifted)


@dataclass(frozen=True)
class Element:
    """One decoded measurement.

    ``value`` is a Decimal, or None when the station sent the "missing" filler
    (never 0). Values that are series, such as SL 651 F4..FC or an evenly-timed
    report, have ``value=None``. Their points are in ``series`` (each Decimal or
    None), one every ``interval``, starting at the observation time.
    ``raw`` holds the value bytes exactly as received.
    """

    code: str
    name: str
    raw: bytes
    value: Decimal | None
    unit: str = ""
    series: tuple[Decimal | None, ...] | None = None
    interval: timedelta | None = None
