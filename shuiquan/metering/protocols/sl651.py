"""SL 651-2014 水文监测数据通信规约: frame codec, HEX/BCD and ASCII modes.

Section numbers below refer to SL 651-2014. The field-by-field description is in
``README.md`` next to this module.

* :func:`decode` turns a frame (bytes) into a :class:`SL651Frame`, or raises a
  :class:`~.common.FrameError`. It never returns a partial result.
* :func:`encode_upstream` builds a station's report (tests, RTU simulator).
* :func:`encode_ack` builds the central station's confirmation (table 10, 6.3.1.2).
* :func:`encode_frame` and :func:`decode_body` are the lower-level pieces.

Times are naive datetimes in the station's clock (Beijing time); "YY" means 20YY.
"""

from __future__ import annotations

import enum
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Mapping, NamedTuple, Sequence, Union

from .common import (
    ChecksumError,
    Element,
    FormatError,
    bcd_decode,
    bcd_encode,
    crc16_modbus,
    scaled,
    unscaled,
)

__all__ = [
    "ACK",
    "ELEMENTS",
    "ENQ",
    "EOT",
    "ESC",
    "ETB",
    "ETX",
    "NAK",
    "STATION_CATEGORIES",
    "STX",
    "SYN",
    "ElementDef",
    "Encoding",
    "Observation",
    "SL651Frame",
    "decode",
    "decode_body",
    "encode_ack",
    "encode_frame",
    "encode_upstream",
    "status_flags",
]

# Control characters, table 10 (6.2.2).
SOH_ASCII = 0x01
SOH_HEX = b"\x7e\x7e"
STX = 0x02  # start of message body
SYN = 0x16  # start of body, multi-packet (M3)
ETX = 0x03  # end, nothing follows
ETB = 0x17  # end, more packets follow
ENQ = 0x05  # end of a downlink query/command
EOT = 0x04  # end of a confirmation: station may hang up
ACK = 0x06  # end of a confirmation: keep sending
NAK = 0x15  # end of a negative confirmation: resend
ESC = 0x1B  # end of a confirmation: station stays online (10 min)
END_CHARS = frozenset({ETX, ETB, ENQ, EOT, ACK, NAK, ESC})

#: Function codes whose upstream body is "station group, observation-time groups, elements"
#: (tables 28, 30, 32, 34, 36, 43, 45, 49, 55).
REPORT_FUNCTIONS = frozenset({0x30, 0x31, 0x32, 0x33, 0x34, 0x37, 0x38, 0x3A, 0x44})
LINK_KEEPALIVE = 0x2F  # 6.6.4.2: body is serial + send time; never acknowledged.
_UNIFORM_FUNCTIONS = frozenset({0x31, 0x38})  # 6.6.4.4: one identifier, then n data

#: Appendix A, table A.1: station category code (HEX byte = ASCII letter).
STATION_CATEGORIES = {
    "P": "rainfall",
    "H": "river",
    "K": "reservoir",
    "Z": "sluice",
    "D": "pumping_station",
    "T": "tidal",
    "M": "soil_moisture",
    "G": "groundwater",
    "Q": "water_quality",
    "I": "intake",
    "O": "outfall",
}


class Encoding(enum.Enum):
    HEX = "hex"  # 6.5: start 7E7E, binary fields
    ASCII = "ascii"  # 6.4: start SOH, fields as ASCII text


class ElementDef(NamedTuple):
    """A row of appendix C table C.1. ``digits``/``decimals`` are N(D,d)."""

    code: str
    mnemonic: str
    name: str
    unit: str
    digits: int
    decimals: int


def _element_table() -> dict[str, ElementDef]:
    rows: list[tuple[int, str, str, str, int, int]] = [
        (0x01, "AC", "section_area", "m2", 8, 2),
        (0x02, "AI", "air_temperature", "degC", 3, 1),
        (0x03, "C", "water_temperature", "degC", 3, 1),
        (0x04, "DR", "time_step", "min", 6, 0),  # special: 3 BCD bytes d h m
        (0x05, "DT", "period_length", "HH.mm", 4, 2),
        (0x06, "ED", "daily_evaporation", "mm", 5, 1),
        (0x07, "EJ", "current_evaporation", "mm", 5, 1),
        (0x08, "FL", "air_pressure", "hPa", 5, 0),
        (0x09, "GH", "gate_opening_height", "m", 5, 2),
        (0x0A, "GN", "gate_number", "", 3, 0),
        (0x0B, "GS", "gate_type", "", 1, 0),
        (0x0C, "GT", "gate_open_count", "", 3, 0),
        (0x0D, "GTP", "ground_temperature", "degC", 3, 1),
        (0x0E, "H", "groundwater_depth", "m", 6, 2),
        (0x0F, "HW", "wave_height", "m", 5, 2),
    ]
    for i, depth in enumerate((10, 20, 30, 40, 50, 60, 80, 100)):
        rows.append((0x10 + i, f"M{depth}", f"soil_moisture_{depth}cm", "%", 4, 1))
    rows += [
        (0x18, "MST", "humidity", "%", 4, 1),
        (0x19, "NS", "running_units", "", 2, 0),
        (0x1A, "P1", "rainfall_1h", "mm", 5, 1),
        (0x1B, "P2", "rainfall_2h", "mm", 5, 1),
        (0x1C, "P3", "rainfall_3h", "mm", 5, 1),
        (0x1D, "P6", "rainfall_6h", "mm", 5, 1),
        (0x1E, "P12", "rainfall_12h", "mm", 5, 1),
        (0x1F, "PD", "daily_rainfall", "mm", 5, 1),
        (0x20, "PJ", "current_rainfall", "mm", 5, 1),
        (0x21, "PN01", "rainfall_1min", "mm", 5, 1),
        (0x22, "PN05", "rainfall_5min", "mm", 5, 1),
        (0x23, "PN10", "rainfall_10min", "mm", 5, 1),
        (0x24, "PN30", "rainfall_30min", "mm", 5, 1),
        (0x25, "PR", "storm_rainfall", "mm", 5, 1),
        (0x26, "PT", "cumulative_rainfall", "mm", 6, 1),
        (0x27, "Q", "instantaneous_flow", "m3/s", 9, 3),
    ]
    rows += [(0x28 + i, f"Q{i + 1}", f"intake_flow_{i + 1}", "m3/s", 9, 3) for i in range(8)]
    rows += [
        (0x30, "QA", "total_outflow", "m3/s", 9, 3),
        (0x31, "QZ", "gate_flow", "m3/s", 9, 3),
        (0x32, "SW", "sediment_discharge", "1e4 t", 11, 3),
        (0x33, "UC", "wind_direction", "", 2, 0),
        (0x34, "UE", "wind_force", "", 2, 0),
        (0x35, "US", "wind_speed", "m/s", 4, 1),
        (0x36, "VA", "mean_velocity", "m/s", 5, 3),
        (0x37, "VJ", "instantaneous_velocity", "m/s", 5, 3),
        (0x38, "VT", "battery_voltage", "V", 4, 2),
        (0x39, "Z", "water_level", "m", 7, 3),
        (0x3A, "ZB", "downstream_water_level", "m", 7, 3),
        (0x3B, "ZU", "upstream_water_level", "m", 7, 3),
    ]
    rows += [(0x3C + i, f"Z{i + 1}", f"intake_water_level_{i + 1}", "m", 7, 3) for i in range(8)]
    rows += [
        (0x44, "SQ", "sediment_concentration", "kg/m3", 9, 3),
        (0x45, "ZT", "station_status", "", 8, 0),  # special: 4 HEX bytes, table 58
        (0x46, "pH", "ph", "", 4, 2),
        (0x47, "DO", "dissolved_oxygen", "mg/L", 4, 1),
        (0x48, "COND", "conductivity", "uS/cm", 5, 0),
        (0x49, "TURB", "turbidity", "degree", 3, 0),
        (0x4A, "CODMN", "permanganate_index", "mg/L", 4, 1),
        (0x4B, "REDOX", "redox_potential", "mV", 5, 1),
        (0x4C, "NH4N", "ammonia_nitrogen", "mg/L", 6, 2),
        (0x4D, "TP", "total_phosphorus", "mg/L", 5, 3),
        (0x4E, "TN", "total_nitrogen", "mg/L", 5, 2),
        (0x4F, "TOC", "total_organic_carbon", "mg/L", 4, 2),
        (0x50, "CU", "copper", "mg/L", 7, 4),
        (0x51, "ZN", "zinc", "mg/L", 6, 4),
        (0x52, "SE", "selenium", "mg/L", 7, 5),
        (0x53, "AS", "arsenic", "mg/L", 7, 5),
        (0x54, "THG", "mercury", "mg/L", 7, 5),
        (0x55, "CD", "cadmium", "mg/L", 7, 5),
        (0x56, "PB", "lead", "mg/L", 7, 5),
        (0x57, "CHLA", "chlorophyll_a", "mg/L", 4, 2),
    ]
    rows += [(0x58 + i, f"WP{i + 1}", f"water_pressure_{i + 1}", "kPa", 5, 2) for i in range(8)]
    rows += [(0x60 + i, f"SYL{i + 1}", f"meter_{i + 1}_remaining_volume", "m3", 11, 3) for i in range(8)]
    rows += [(0x68 + i, f"SBL{i + 1}", f"meter_{i + 1}_hourly_volume", "m3/h", 10, 2) for i in range(8)]
    for i, phase in enumerate("ABC"):
        rows.append((0x70 + i, f"VT{phase}", f"ac_voltage_{phase.lower()}", "V", 4, 1))
        rows.append((0x73 + i, f"VI{phase}", f"ac_current_{phase.lower()}", "A", 4, 1))
    # F0..FD: fixed-layout identifiers (table C.1 rows 1-14 and its footnotes).
    rows += [
        (0xF0, "TT", "observation_time", "", 10, 0),
        (0xF1, "ST", "station_address", "", 10, 0),
        (0xF2, "RGZS", "manual_data", "", 0, 0),
        (0xF3, "PIC", "picture", "", 0, 0),
        (0xF4, "DRP", "rainfall_5min_series", "mm", 0, 1),
    ]
    rows += [(0xF5 + i, f"DRZ{i + 1}", f"relative_water_level_{i + 1}_5min_series", "m", 0, 2) for i in range(8)]
    rows.append((0xFD, "DATA", "velocity_batch", "", 0, 0))
    return {f"{c:02X}": ElementDef(f"{c:02X}", m, n, u, d, dd) for c, m, n, u, d, dd in rows}


#: Appendix C table C.1, keyed by the identifier as upper-case hex ("39", "F4").
ELEMENTS: dict[str, ElementDef] = _element_table()
_BY_MNEMONIC = {d.mnemonic: d for d in ELEMENTS.values()}
_SERIES_CODES = {f"{c:02X}" for c in range(0xF4, 0xFD)}  # DRP, DRZ1..DRZ8
_RAW_TAIL_CODES = {"F2", "F3", "FD"}  # data runs to the end of the body (table C.1 notes c, d, f)
_FIVE_MIN = timedelta(minutes=5)

#: Table 58, status and alarm word of identifier 45H (bit -> meaning of a 1).
STATUS_BITS = (
    "ac_power_failure",
    "battery_voltage_low",
    "water_level_alarm",
    "flow_alarm",
    "water_quality_alarm",
    "flow_meter_fault",
    "water_level_meter_fault",
    "cabinet_door_closed",
    "memory_fault",
    "ic_card_enabled",
    "pump_stopped",
    "remaining_volume_alarm",
)


def status_flags(word: int | Decimal) -> dict[str, bool]:
    """Split the 45H status word into named flags (table 58; bits 12-31 are reserved)."""
    word = int(word)
    return {name: bool(word >> bit & 1) for bit, name in enumerate(STATUS_BITS)}


@dataclass(frozen=True)
class Observation:
    """One observation-time group (6.6.2.8 e): the elements observed at ``time``.

    ``station_address``/``station_category`` come from the F1F1 group in front of it
    (6.6.2.7: one message may carry several stations). ``time_step`` is set when
    the group has a time step code 04H (evenly-timed reports 6.6.4.4).
    """

    time: datetime
    elements: dict[str, Element]
    station_address: str | None = None
    station_category: str | None = None
    time_step: timedelta | None = None


@dataclass(frozen=True)
class SL651Frame:
    """A decoded SL 651 frame (tables 11/12 header, table 24/25 body).

    ``station_address`` is the header's 5 bytes as 10 hex digits (BCD for
    hydrological stations, 6.2.3.2 a; division code + HEX for others, b).
    ``packet`` is ``(total, sequence)`` for SYN (M3) frames. Only the first packet
    carries serial and send time (6.6.2.4). Observations are decoded for STX
    frames only: reassemble M3 bodies and use :func:`decode_body`.
    ``body`` is the message body (after the packet counter, before the end char).
    """

    encoding: Encoding
    upstream: bool
    center_address: int
    station_address: str
    password: int
    function_code: int
    start_char: int
    packet: tuple[int, int] | None
    end_char: int
    body: bytes
    serial: int | None
    send_time: datetime | None
    observations: tuple[Observation, ...] = ()


VendorMap = Mapping[str, tuple[str, str]]


# --------------------------------------------------------------------------- decoding


def decode(data: bytes, *, vendor_map: VendorMap | None = None) -> SL651Frame:
    """Decode one complete SL 651 frame, HEX/BCD (7E7E) or ASCII (SOH).

    ``vendor_map`` maps user-defined identifiers FFxx (table C.1 row 133), or
    custom ASCII mnemonics, to ``(name, unit)`` for this device model, for
    example ``{"FF02": ("accumulated_volume", "m3")}``. Unmapped FFxx elements
    are kept with the name ``vendor_ffxx``. Their value is decoded when it is valid
    BCD and is None otherwise. They are never dropped.

    Raises :class:`ChecksumError` on a CRC mismatch and :class:`FormatError` on
    any layout violation.
    """
    data = bytes(data)
    vendors = {k.upper(): v for k, v in (vendor_map or {}).items()}
    if data[:2] == SOH_HEX:
        return _decode_hex_frame(data, vendors)
    if data[:1] == bytes([SOH_ASCII]):
        return _decode_ascii_frame(data, vendors)
    raise FormatError("an SL 651 frame starts with 7E7E (HEX/BCD) or 01 SOH (ASCII)")


def _decode_hex_frame(data: bytes, vendors: VendorMap) -> SL651Frame:
    # Table 20/21: 7E7E, addresses(6), password(2), function(1), flag+length(2), STX/SYN,
    # body, end char, CRC(2, high byte first).
    if len(data) < 17:
        raise FormatError(f"HEX frame too short: {len(data)} bytes")
    length = int.from_bytes(data[11:13], "big") & 0x0FFF
    end_pos = 14 + length
    if len(data) != end_pos + 3:
        raise FormatError(f"length field says {length} body bytes, so {end_pos + 3} frame bytes; got {len(data)}")
    expected = crc16_modbus(data[: end_pos + 1])
    received = int.from_bytes(data[end_pos + 1 :], "big")
    if expected != received:
        raise ChecksumError(f"CRC-16 mismatch: frame says {received:04X}, content gives {expected:04X}")
    direction = data[11] >> 4
    if direction not in (0x0, 0x8):
        raise FormatError(f"up/down flag must be 0 or 8, got {direction:X}")
    upstream = direction == 0
    if upstream:
        center, station = data[2], data[3:8]
    else:
        station, center = data[2:7], data[7]
    content = data[14:end_pos]
    start, end = data[13], data[end_pos]
    packet, content = _split_packet(start, content, Encoding.HEX)
    return _frame(Encoding.HEX, upstream, center, station.hex().upper(), int.from_bytes(data[8:10], "big"),
                  data[10], start, packet, end, content, vendors)


def _decode_ascii_frame(data: bytes, vendors: VendorMap) -> SL651Frame:
    # Tables 16-19: SOH, addresses(12 chars), password(4), function(2), flag+length(4), STX/SYN,
    # body, end char, CRC as 4 ASCII hex chars.
    if len(data) < 29:
        raise FormatError(f"ASCII frame too short: {len(data)} bytes")
    length = _hex_field(data[20:23], "length")
    end_pos = 24 + length
    if len(data) != end_pos + 5:
        raise FormatError(f"length field says {length} body bytes, so {end_pos + 5} frame bytes; got {len(data)}")
    received = _hex_field(data[end_pos + 1 :], "CRC")
    expected = crc16_modbus(data[: end_pos + 1])
    if expected != received:
        raise ChecksumError(f"CRC-16 mismatch: frame says {received:04X}, content gives {expected:04X}")
    flag = data[19:20]
    if flag not in (b"0", b"8"):
        raise FormatError(f"up/down flag must be '0' or '8', got {flag!r}")
    upstream = flag == b"0"
    if upstream:
        center, station = data[1:3], data[3:13]
    else:
        station, center = data[1:11], data[11:13]
    _hex_field(station, "station address")
    content = data[24:end_pos]
    start, end = data[23], data[end_pos]
    packet, content = _split_packet(start, content, Encoding.ASCII)
    return _frame(Encoding.ASCII, upstream, _hex_field(center, "center address"), station.decode().upper(),
                  _hex_field(data[13:17], "password"), _hex_field(data[17:19], "function code"),
                  start, packet, end, content, vendors)


def _hex_field(raw: bytes, what: str) -> int:
    if not raw or not re.fullmatch(rb"[0-9A-Fa-f]+", raw):
        raise FormatError(f"{what} must be ASCII hex digits, got {raw!r}")
    return int(raw, 16)


def _split_packet(start: int, content: bytes, encoding: Encoding) -> tuple[tuple[int, int] | None, bytes]:
    """Table 22/18: after SYN comes the packet counter (total, sequence), 12 bits each."""
    if start == STX:
        return None, content
    if start != SYN:
        raise FormatError(f"start of body must be STX 02 or SYN 16, got {start:02X}")
    if encoding is Encoding.HEX:
        if len(content) < 3:
            raise FormatError("SYN frame without its 3-byte packet counter")
        counter = int.from_bytes(content[:3], "big")
        return (counter >> 12, counter & 0xFFF), content[3:]
    if len(content) < 6:
        raise FormatError("SYN frame without its 6-character packet counter")
    return (_hex_field(content[:3], "packet total"), _hex_field(content[3:6], "packet sequence")), content[6:]


def _frame(encoding: Encoding, upstream: bool, center: int, station: str, password: int, function: int,
           start: int, packet: tuple[int, int] | None, end: int, content: bytes, vendors: VendorMap) -> SL651Frame:
    if end not in END_CHARS:
        raise FormatError(f"unknown end char {end:02X}")
    serial = send_time = None
    observations: tuple[Observation, ...] = ()
    if packet is None:
        serial, send_time, observations = decode_body(
            function, content, encoding=encoding, upstream=upstream, vendor_map=vendors)
    elif packet[1] == 1 or not upstream:
        # 6.6.2.4: of an upstream M3 transmission only the first packet carries serial and
        # send time; a downlink M3 confirmation (table 23) is a single frame that does.
        serial, send_time = _serial_and_time(content, encoding)
    return SL651Frame(encoding, upstream, center, station, password, function, start, packet, end,
                      content, serial, send_time, observations)


def decode_body(
    function_code: int,
    body: bytes,
    *,
    encoding: Encoding = Encoding.HEX,
    upstream: bool = True,
    vendor_map: VendorMap | None = None,
) -> tuple[int, datetime, tuple[Observation, ...]]:
    """Decode a complete message body (6.6): serial number, send time, observations.

    Observations are decoded for upstream bodies of :data:`REPORT_FUNCTIONS`. For
    other function codes only serial number and send time are decoded. Use this
    function directly on the reassembled body of an M3 (SYN) transmission.
    """
    vendors = {k.upper(): v for k, v in (vendor_map or {}).items()}
    serial, send_time = _serial_and_time(body, encoding)
    if not upstream or function_code not in REPORT_FUNCTIONS:
        return serial, send_time, ()
    if encoding is Encoding.HEX:
        return serial, send_time, _hex_observations(function_code, body[8:], vendors)
    try:
        text = body[16:].decode("ascii")
    except UnicodeDecodeError as exc:
        raise FormatError("ASCII body contains non-ASCII bytes") from exc
    return serial, send_time, _ascii_observations(function_code, text, vendors)


def _serial_and_time(body: bytes, encoding: Encoding) -> tuple[int, datetime]:
    """Table 24: serial number (2 bytes HEX / 4 chars) + send time YYMMDDHHmmSS (6 BCD / 12 chars)."""
    if encoding is Encoding.HEX:
        if len(body) < 8:
            raise FormatError("body shorter than serial number + send time (8 bytes)")
        return int.from_bytes(body[:2], "big"), _time_from_digits(body[2:8].hex())
    if len(body) < 16:
        raise FormatError("body shorter than serial number + send time (16 chars)")
    return _hex_field(body[:4], "serial number"), _time_from_digits(body[4:16].decode("ascii", "replace"))


def _time_from_digits(digits: str) -> datetime:
    """YYMMDDHHmm[SS] (6.6.2.5, 6.6.2.8) -> datetime in 20YY."""
    if not digits.isdigit() or len(digits) not in (10, 12):
        raise FormatError(f"time must be 10 or 12 decimal digits, got {digits!r}")
    parts = [int(digits[i : i + 2]) for i in range(0, len(digits), 2)]
    try:
        return datetime(2000 + parts[0], *parts[1:])
    except ValueError as exc:
        raise FormatError(f"invalid date/time {digits}: {exc}") from exc


class _Groups:
    """Collects observation-time groups as the body is walked."""

    def __init__(self) -> None:
        self.done: list[Observation] = []
        self.station: str | None = None
        self.category: str | None = None
        self.time: datetime | None = None
        self.step: timedelta | None = None
        self.elements: dict[str, Element] = {}

    def close(self) -> None:
        if self.time is not None:
            self.done.append(Observation(self.time, self.elements, self.station, self.category, self.step))
        self.elements = {}

    def set_station(self, address: str, category: str) -> None:
        if not (len(category) == 1 and "A" <= category <= "Z"):
            raise FormatError(f"station category must be a letter A-Z (appendix A), got {category!r}")
        self.close()
        self.station, self.category, self.time, self.step = address, category, None, None

    def set_time(self, time: datetime) -> None:
        self.close()
        self.time, self.step = time, None

    def add(self, element: Element) -> None:
        if self.time is None:
            raise FormatError(f"element {element.code} before any observation time (6.6.2.11)")
        if element.code in self.elements:
            # The same identifier twice in one group (e.g. several gates, E.3.1.2):
            # start a new group at the same time rather than overwrite.
            time, step = self.time, self.step
            self.close()
            self.time, self.step = time, step
        self.elements[element.code] = element


def _describe(code: str, vendors: VendorMap) -> tuple[str, str, bool]:
    """(name, unit, known) for an identifier; FFxx / custom codes go through the vendor map."""
    if code in vendors:
        name, unit = vendors[code]
        return name, unit, True
    definition = ELEMENTS.get(code)
    if definition is not None:
        return definition.name, definition.unit, True
    reserved = re.fullmatch(r"[0-9A-F]{2}", code) is not None  # 76H-EFH: reserved by table C.1
    return f"{'reserved' if reserved else 'vendor'}_{code.lower()}", "", False


def _number(raw: bytes, decimals: int) -> Decimal | None:
    """6.6.3.3 a): BCD; a leading FF byte marks a negative number; all FF is the missing filler."""
    if all(b == 0xFF for b in raw):
        return None
    if raw[0] == 0xFF:
        return -scaled(bcd_decode(raw[1:]), decimals)
    return scaled(bcd_decode(raw), decimals)


def _five_minute_series(code: str, raw: bytes) -> tuple[Decimal | None, ...]:
    """Table C.1 rows 5-13: F4 = 12 x 1 byte HEX (0.1 mm, FF invalid);
    F5..FC = 12 x 2 bytes HEX, high byte first (0.01 m, FFFF invalid)."""
    if code == "F4":
        return tuple(None if b == 0xFF else scaled(b, 1) for b in raw)
    points = (int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2))
    return tuple(None if p == 0xFFFF else scaled(p, 2) for p in points)


def _time_step(days: int, hours: int, minutes: int) -> timedelta | None:
    step = timedelta(days=days, hours=hours, minutes=minutes)
    return step or None


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    @property
    def remaining(self) -> int:
        return len(self.data) - self.pos

    def take(self, n: int) -> bytes:
        if n > self.remaining:
            raise FormatError(f"body truncated: {n} bytes needed at offset {self.pos}, {self.remaining} left")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def byte(self) -> int:
        return self.take(1)[0]


def _hex_observations(function_code: int, data: bytes, vendors: VendorMap) -> tuple[Observation, ...]:
    """6.6.3: identifier groups without separators. 2-byte identifier = guide byte + data
    definition (high 5 bits byte count incl. sign byte, low 3 bits decimals, table 26)."""
    groups = _Groups()
    r = _Reader(data)
    while r.remaining:
        guide = r.byte()
        if guide in (0xF0, 0xF1):
            if r.byte() != guide:
                raise FormatError(f"identifier {guide:02X} must be doubled ({guide:02X}{guide:02X})")
            if guide == 0xF1:
                address = r.take(5).hex().upper()
                groups.set_station(address, chr(r.byte()))
            else:
                groups.set_time(_time_from_digits(r.take(5).hex()))
            continue
        code = f"FF{r.byte():02X}" if guide == 0xFF else f"{guide:02X}"
        definition = r.byte()
        name, unit, known = _describe(code, vendors)
        if code in _SERIES_CODES:  # fixed sizes, whatever the second byte says
            raw = r.take(12 if code == "F4" else 24)
            groups.add(Element(code, name, raw, None, unit, _five_minute_series(code, raw), _FIVE_MIN))
        elif code in _RAW_TAIL_CODES:
            groups.add(Element(code, name, r.take(r.remaining), None, unit))
        elif code == "04":  # time step code, table C.3: d h m, one BCD byte each
            raw = r.take(definition >> 3)
            if len(raw) != 3:
                raise FormatError("time step code 04H must carry 3 bytes (definition 18H)")
            d, h, m = (bcd_decode(raw[i : i + 1]) for i in range(3))
            groups.add(Element(code, name, raw, Decimal(d * 1440 + h * 60 + m), unit))
            groups.step = _time_step(d, h, m)
            if groups.step and function_code in _UNIFORM_FUNCTIONS:
                groups.add(_uniform_series(r, vendors, groups.step))
        elif code == "45":  # status word, 4 bytes HEX (table 58)
            raw = r.take(definition >> 3)
            groups.add(Element(code, name, raw, Decimal(int.from_bytes(raw, "big")), unit))
        else:
            raw = r.take(definition >> 3)
            try:
                value = _number(raw, definition & 0x07) if raw else None
            except FormatError:
                if known:
                    raise
                value = None  # unknown vendor payload: keep raw, do not guess
            groups.add(Element(code, name, raw, value, unit))
    groups.close()
    return tuple(groups.done)


def _uniform_series(r: _Reader, vendors: VendorMap, step: timedelta) -> Element:
    """6.6.4.4 b)-d): HEX evenly-timed reports carry ONE identifier, then n data of equal
    length up to the end of the body; missing points are all-F."""
    guide = r.byte()
    code = f"FF{r.byte():02X}" if guide == 0xFF else f"{guide:02X}"
    definition = r.byte()
    size, decimals = definition >> 3, definition & 0x07
    if size == 0 or r.remaining % size:
        raise FormatError(f"evenly-timed data of {r.remaining} bytes is not a multiple of {size}")
    raw = r.take(r.remaining)
    series = tuple(_number(raw[i : i + size], decimals) for i in range(0, len(raw), size))
    name, unit, _ = _describe(code, vendors)
    return Element(code, name, raw, None, unit, series, step)


_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")
_STEP = re.compile(r"DR([DHN])(\d{2})")


def _is_value_token(token: str) -> bool:
    return token == "M" or bool(_NUMBER.fullmatch(token))


def _ascii_value(code: str, token: str) -> Decimal | None:
    """6.6.2.2: decimal text; "M" is the missing-data mark (6.6.4.4 d)."""
    if token == "M":
        return None
    if code == "45":
        return Decimal(_hex_field(token.encode(), "status word"))
    if not _NUMBER.fullmatch(token):
        raise FormatError(f"value of {code} must be a decimal number or M, got {token!r}")
    return Decimal(token)


def _ascii_observations(function_code: int, text: str, vendors: VendorMap) -> tuple[Observation, ...]:
    """6.6.2.1: "identifier SP data SP" groups; identifiers are the ASCII mnemonics of table C.1."""
    tokens = text.split()
    groups = _Groups()
    i = 0

    def need(k: int, what: str) -> str:
        if i + k >= len(tokens):
            raise FormatError(f"ASCII body ends where {what} was expected")
        return tokens[i + k]

    while i < len(tokens):
        token = tokens[i]
        if token == "ST":
            groups.set_station(need(1, "station address").upper(), need(2, "station category"))
            i += 3
        elif token == "TT":
            groups.set_time(_time_from_digits(need(1, "observation time")))
            i += 2
        elif step_match := _STEP.fullmatch(token):
            unit, count = step_match[1], int(step_match[2])
            days, hours, minutes = (count if unit == u else 0 for u in "DHN")
            groups.add(Element("04", "time_step", token.encode(), Decimal(days * 1440 + hours * 60 + minutes), "min"))
            groups.step = _time_step(days, hours, minutes)
            i += 1
            if groups.step and function_code in _UNIFORM_FUNCTIONS:
                for element in _ascii_uniform(tokens[i:], vendors, groups.step):
                    groups.add(element)
                i = len(tokens)
        else:
            definition = _BY_MNEMONIC.get(token)
            code = definition.code if definition else token.upper()
            name, unit, _ = _describe(code, vendors)
            value_token = need(1, f"the value of {token}")
            raw = value_token.encode()
            if code in _SERIES_CODES:
                data = bytes.fromhex(value_token) if re.fullmatch(r"[0-9A-Fa-f]*", value_token) else b""
                if len(data) != (12 if code == "F4" else 24):
                    raise FormatError(f"{token} needs {24 if code == 'F4' else 48} hex characters")
                groups.add(Element(code, name, raw, None, unit, _five_minute_series(code, data), _FIVE_MIN))
            else:
                groups.add(Element(code, name, raw, _ascii_value(code, value_token), unit))
            i += 2
    groups.close()
    return tuple(groups.done)


def _ascii_uniform(tokens: list[str], vendors: VendorMap, step: timedelta) -> list[Element]:
    """6.6.4.4 b)-c): ASCII evenly-timed reports list several identifiers, then the data
    grouped by time (v1.1 v2.1 ... v1.2 v2.2 ...)."""
    split = next((k for k, t in enumerate(tokens) if _is_value_token(t)), len(tokens))
    identifiers, values = tokens[:split], tokens[split:]
    if not identifiers or len(values) % len(identifiers) or not all(map(_is_value_token, values)):
        raise FormatError("evenly-timed ASCII data do not match its identifier list")
    out = []
    for k, token in enumerate(identifiers):
        definition = _BY_MNEMONIC.get(token)
        code = definition.code if definition else token.upper()
        name, unit, _ = _describe(code, vendors)
        column = values[k :: len(identifiers)]
        series = tuple(_ascii_value(code, v) for v in column)
        out.append(Element(code, name, " ".join(column).encode(), None, unit, series, step))
    return out


# --------------------------------------------------------------------------- encoding


def encode_frame(
    *,
    function_code: int,
    station_address: str,
    body: bytes,
    center_address: int = 1,
    password: int = 0,
    upstream: bool = True,
    encoding: Encoding = Encoding.HEX,
    start_char: int = STX,
    packet: tuple[int, int] | None = None,
    end_char: int = ETX,
) -> bytes:
    """Wrap an already-encoded body in the header, end char and CRC (tables 16-23)."""
    station = _station_text(station_address)
    if not 0 <= center_address <= 0xFF or not 0 <= password <= 0xFFFF or not 0 <= function_code <= 0xFF:
        raise ValueError("center address, password or function code out of range")
    if (start_char == SYN) != (packet is not None):
        raise ValueError("a packet counter goes with SYN, and only with SYN")
    if end_char not in END_CHARS:
        raise ValueError(f"unknown end char {end_char:02X}")
    if encoding is Encoding.HEX:
        counter = b"" if packet is None else (packet[0] << 12 | packet[1]).to_bytes(3, "big")
        length = len(counter) + len(body)
        if length > 0xFFF:
            raise ValueError(f"body of {length} bytes exceeds 4095")
        station_bytes = bytes.fromhex(station)
        addresses = bytes([center_address]) + station_bytes if upstream else station_bytes + bytes([center_address])
        frame = (SOH_HEX + addresses + password.to_bytes(2, "big") + bytes([function_code])
                 + ((0 if upstream else 0x8000) | length).to_bytes(2, "big") + bytes([start_char])
                 + counter + body + bytes([end_char]))
        return frame + crc16_modbus(frame).to_bytes(2, "big")
    counter_text = b"" if packet is None else f"{packet[0]:03X}{packet[1]:03X}".encode()
    length = len(counter_text) + len(body)
    if length > 0xFFF:
        raise ValueError(f"body of {length} bytes exceeds 4095")
    center = f"{center_address:02X}"
    addresses = center + station if upstream else station + center
    header = f"{addresses}{password:04X}{function_code:02X}{0 if upstream else 8}{length:03X}"
    frame = bytes([SOH_ASCII]) + header.encode() + bytes([start_char]) + counter_text + body + bytes([end_char])
    return frame + f"{crc16_modbus(frame):04X}".encode()


def _station_text(address: str) -> str:
    text = address.upper()
    if not re.fullmatch(r"[0-9A-F]{10}", text):
        raise ValueError(f"station address must be 10 hex digits, got {address!r}")
    return text


ElementValue = Union[Decimal, None, Sequence[Union[Decimal, None]]]


def encode_upstream(
    *,
    station_address: str,
    function_code: int,
    serial: int,
    send_time: datetime,
    observations: Sequence[tuple[datetime, Mapping[str, ElementValue]]] = (),
    station_category: str = "H",
    center_address: int = 1,
    password: int = 0,
    encoding: Encoding = Encoding.HEX,
    end_char: int = ETX,
    formats: Mapping[str, tuple[int, int]] | None = None,
    time_step: timedelta | None = None,
) -> bytes:
    """Build an upstream report (single packet, STX).

    ``observations`` is a list of ``(observation time, {code: value})``. Codes are
    identifiers as upper-case hex ("39", "FF02"). In ASCII mode a non-hex custom
    mnemonic is also accepted. A value is a Decimal, or None (the missing filler:
    all FF / "M"). For F4..FC it is a sequence of 12 values. For 45H it is the status
    word as an integer Decimal. Sizes come from table C.1 N(D,d). ``formats`` gives
    ``(digits, decimals)`` for vendor codes or overrides. With ``time_step`` (evenly
    timed report 6.6.4.4), the step code goes after the first observation time, and
    each element value is the sequence of its data.
    """
    if not 1 <= serial <= 0xFFFF:
        raise ValueError("serial number must be 1..65535 (table 24)")
    if function_code != LINK_KEEPALIVE and function_code not in REPORT_FUNCTIONS:
        raise ValueError(f"function {function_code:02X} is not a report this encoder builds")
    if not re.fullmatch(r"[A-Z]", station_category):
        raise ValueError("station category must be one letter A-Z")
    if time_step is not None and (len(observations) != 1 or not all(
            isinstance(v, (list, tuple)) for v in observations[0][1].values())):
        raise ValueError("an evenly-timed report has one observation time (that of its first data, 6.6.2.8 d) "
                         "and a sequence of data per element")
    station = _station_text(station_address)
    fmt = {k.upper(): v for k, v in (formats or {}).items()}
    if encoding is Encoding.HEX:
        body = serial.to_bytes(2, "big") + bytes.fromhex(_time_digits(send_time))
        if function_code != LINK_KEEPALIVE:
            body += b"\xf1\xf1" + bytes.fromhex(station) + station_category.encode()
            for k, (time, elements) in enumerate(observations):
                body += b"\xf0\xf0" + bytes.fromhex(_time_digits(time, seconds=False))
                if time_step is not None and k == 0:
                    if len(elements) != 1:
                        raise ValueError("a HEX evenly-timed report carries exactly one element (6.6.4.4 b)")
                    body += b"\x04\x18" + _step_dhm(time_step)
                for code, value in elements.items():
                    body += _hex_element(code.upper(), value, fmt, uniform=time_step is not None)
    else:
        text = f"{serial:04X}{_time_digits(send_time)}"
        if function_code != LINK_KEEPALIVE:
            text += f"ST {station} {station_category} "
            for k, (time, elements) in enumerate(observations):
                text += f"TT {_time_digits(time, seconds=False)} "
                if time_step is not None and k == 0:
                    text += _ascii_uniform_text(time_step, elements, fmt)
                    continue
                for code, value in elements.items():
                    text += _ascii_element(code, value, fmt)
        body = text.encode("ascii")
    return encode_frame(function_code=function_code, station_address=station, body=body,
                        center_address=center_address, password=password, encoding=encoding,
                        end_char=end_char)


def _time_digits(moment: datetime, *, seconds: bool = True) -> str:
    """YYMMDDHHmm[SS] (6.6.2.5); the two-digit year means 2000-2099."""
    if not 2000 <= moment.year <= 2099:
        raise ValueError(f"{moment} is outside 2000-2099, which YY can express")
    return moment.strftime("%y%m%d%H%M%S" if seconds else "%y%m%d%H%M")


def _step_dhm(step: timedelta) -> bytes:
    """Table C.3: d0000 / 00h00 / 0000m, exactly one non-zero byte."""
    minutes = int(step.total_seconds()) // 60
    if minutes * 60 != step.total_seconds() or minutes <= 0:
        raise ValueError("time step must be a positive whole number of minutes")
    if minutes % 1440 == 0 and minutes // 1440 <= 31:
        return bcd_encode(minutes // 1440, 1) + b"\x00\x00"
    if minutes % 60 == 0 and minutes // 60 <= 23:
        return b"\x00" + bcd_encode(minutes // 60, 1) + b"\x00"
    if minutes <= 59:
        return b"\x00\x00" + bcd_encode(minutes, 1)
    raise ValueError(f"time step {step} is not expressible as days, hours or minutes (table C.3)")


def _format_of(code: str, fmt: Mapping[str, tuple[int, int]]) -> tuple[int, int]:
    if code in fmt:
        return fmt[code]
    definition = ELEMENTS.get(code)
    if definition is None or definition.digits == 0 or code in ("04", "F0", "F1"):
        raise ValueError(f"no data definition for element {code}: pass formats={{{code!r}: (digits, decimals)}}")
    return definition.digits, definition.decimals


def _bcd_number(value: Decimal | None, digits: int, decimals: int) -> bytes:
    """6.6.3.3 a): ceil(D/2) BCD bytes; negative numbers get a leading FF byte
    (with the "FF0" nibble padding for an odd digit count); None -> all FF."""
    size = math.ceil(digits / 2)
    if value is None:
        return b"\xff" * size
    n = unscaled(value, decimals)
    if abs(n) >= 10**digits:
        raise ValueError(f"{value} does not fit N({digits},{decimals})")
    return (b"\xff" if n < 0 else b"") + bcd_encode(abs(n), size)


def _series_bytes(code: str, values: Sequence[Decimal | None]) -> bytes:
    if len(values) != 12:
        raise ValueError(f"{code} carries exactly 12 five-minute values")
    if code == "F4":
        return bytes(0xFF if v is None else _checked(unscaled(v, 1), 0xFE) for v in values)
    return b"".join(b"\xff\xff" if v is None else _checked(unscaled(v, 2), 0xFFFE).to_bytes(2, "big") for v in values)


def _checked(n: int, maximum: int) -> int:
    if not 0 <= n <= maximum:
        raise ValueError(f"{n} out of range 0..{maximum}")
    return n


def _hex_element(code: str, value: ElementValue, fmt: Mapping[str, tuple[int, int]], *, uniform: bool) -> bytes:
    ident = bytes.fromhex(code)
    if code in _SERIES_CODES:
        return ident + (b"\x60" if code == "F4" else b"\xc0") + _series_bytes(code, value)  # type: ignore[arg-type]
    if code == "45":
        raw = b"\xff" * 4 if value is None else int(value).to_bytes(4, "big")  # type: ignore[arg-type]
        return ident + b"\x20" + raw
    digits, decimals = _format_of(code, fmt)
    if uniform:
        # One definition byte for all data (6.6.4.4 d): if any point is negative, every
        # point gets the sign byte's width; positives are padded with a 00 byte.
        points = list(value)  # type: ignore[arg-type]
        size = math.ceil(digits / 2) + any(v is not None and v < 0 for v in points)
        data = b"".join(b"\xff" * size if v is None else _bcd_number(v, digits, decimals).rjust(size, b"\x00")
                        for v in points)
        return ident + bytes([size << 3 | decimals]) + data
    data = _bcd_number(value, digits, decimals)  # type: ignore[arg-type]
    if len(data) > 31 or decimals > 7:
        raise ValueError("data definition allows at most 31 bytes and 7 decimals (table 26)")
    return ident + bytes([len(data) << 3 | decimals]) + data


def _ascii_text(code: str, value: Decimal | None, fmt: Mapping[str, tuple[int, int]]) -> str:
    if value is None:
        return "M"
    if code == "45":
        return f"{int(value):08X}"
    if code in fmt or code in ELEMENTS:
        digits, decimals = _format_of(code, fmt)
        if abs(unscaled(value, decimals)) >= 10**digits:  # also refuses extra decimal places
            raise ValueError(f"{value} does not fit N({digits},{decimals})")
    else:  # custom ASCII mnemonic without a format: keep the value's own places
        decimals = max(0, -int(Decimal(value).as_tuple().exponent))
    return f"{Decimal(value):.{decimals}f}"


def _mnemonic(code: str) -> str:
    definition = ELEMENTS.get(code.upper())
    if definition is not None:
        return definition.mnemonic
    if code.upper().startswith("FF") or not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", code):
        raise ValueError(f"{code}: ASCII mode needs a mnemonic identifier (table C.1), not a HEX code")
    return code


def _ascii_element(code: str, value: ElementValue, fmt: Mapping[str, tuple[int, int]]) -> str:
    key = code.upper()
    if key in _SERIES_CODES:
        return f"{_mnemonic(key)} {_series_bytes(key, value).hex().upper()} "  # type: ignore[arg-type]
    return f"{_mnemonic(code)} {_ascii_text(key, value, fmt)} "  # type: ignore[arg-type]


def _ascii_uniform_text(step: timedelta, elements: Mapping[str, ElementValue],
                        fmt: Mapping[str, tuple[int, int]]) -> str:
    dhm = _step_dhm(step)
    unit, count = next((u, bcd_decode(dhm[k : k + 1])) for k, u in enumerate("DHN") if dhm[k])
    columns = [list(v) for v in elements.values()]  # type: ignore[arg-type]
    if not columns or len({len(c) for c in columns}) != 1:
        raise ValueError("every element of an evenly-timed report needs the same number of data")
    text = f"DR{unit}{count:02d} " + "".join(f"{_mnemonic(code)} " for code in elements)
    for row in zip(*columns):
        text += "".join(f"{_ascii_text(code.upper(), v, fmt)} " for code, v in zip(elements, row))
    return text


def encode_ack(
    frame: SL651Frame,
    *,
    keep_online: bool = True,
    send_time: datetime | None = None,
    serial: int | None = None,
) -> bytes:
    """The central station's confirmation of an upstream frame (6.3.1.2 b/c, table 10).

    Same encoding, addresses (in downlink order), password, function code and
    serial number. Body = serial + send time (tables 29, 31, 33...). By default
    the send time echoes the report's; pass ``send_time`` to send the central
    clock instead. The end char is ACK when the station announced more frames (ETB).
    Otherwise it is ESC (stay online, 6.3.2.4) or EOT with ``keep_online=False``.
    For M3 (SYN) the confirmation repeats the packet total and numbers itself as
    the last packet (table 23, note a). ``serial`` is then needed when
    the frame is not the first packet. Link keep-alive reports (2FH) have no
    downlink (6.6.4.2) and raise ValueError.
    """
    if not frame.upstream:
        raise ValueError("only upstream frames are acknowledged")
    if frame.function_code == LINK_KEEPALIVE:
        raise ValueError("link keep-alive reports (2FH) have no downlink message (6.6.4.2)")
    serial = frame.serial if serial is None else serial
    send_time = send_time or frame.send_time
    if serial is None or send_time is None:
        raise ValueError("serial number and send time are unknown for this packet: pass them explicitly")
    packet = None
    end = ESC if keep_online else EOT
    if frame.start_char == SYN:
        if frame.end_char == ETB:
            raise ValueError("M3: confirm once, after the last packet (6.3.1.2 c)")
        packet = (frame.packet[0], frame.packet[0])  # type: ignore[index]
    elif frame.end_char == ETB:
        end = ACK
    if frame.encoding is Encoding.HEX:
        body = serial.to_bytes(2, "big") + bytes.fromhex(_time_digits(send_time))
    else:
        body = f"{serial:04X}{_time_digits(send_time)}".encode()
    return encode_frame(function_code=frame.function_code, station_address=frame.station_address, body=body,
                        center_address=frame.center_address, password=frame.password, upstream=False,
                        encoding=frame.encoding, start_char=frame.start_char, packet=packet, end_char=end)
