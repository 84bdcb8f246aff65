"""SZY206-2016 / SL/T 427-2021 水资源监测数据传输规约: frame codec.

Frame (SL/T 427-2021 table 3; GB/T 18657.3 style)::

    68 | L | 68 | C [DIVS] | A (5) | AFN | D ... | Tp (0, 5 or 7) | CS | 16

``L`` counts the user data area (C through Tp). ``CS`` is :func:`~.common.crc8_e5`
over that area. Values are packed BCD, **low byte first**. Section and table
numbers refer to SL/T 427-2021 unless noted. Where SZY206-2016 differs, and
where the sources disagree, the choices are explained in ``README.md``.

* :func:`decode` turns one frame into a :class:`Szy206Frame`, or raises a
  :class:`~.common.FrameError` (``ChecksumError`` / ``FormatError``).
* :func:`encode_report` builds a terminal's self-report (tests, simulator).
* :func:`encode_ack` builds the central station's confirmation.
"""

from __future__ import annotations

import calendar
import enum
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple, Sequence

from .common import ChecksumError, Element, FormatError, bcd_decode, bcd_encode, crc8_e5, scaled, unscaled

__all__ = [
    "ALARM_BITS",
    "Address",
    "Control",
    "Szy206Frame",
    "TimeLabel",
    "TimeLabelFormat",
    "alarm_flags",
    "decode",
    "encode_ack",
    "encode_frame",
    "encode_report",
    "encode_value",
    "status_flags",
]

START, END = 0x68, 0x16
AFN_LINK = 0x02  # link check: login F0 / logout F1 / keep-alive F2
AFN_QUERY_REALTIME = 0xB0  # response to "query real-time values"
AFN_SELF_REPORT = 0xC0  # self-report of real-time data (table B.100)
AFN_ALARM_REPORT = 0x81  # random self-report of alarm data
_REPORT_AFNS = frozenset({AFN_SELF_REPORT, AFN_ALARM_REPORT, AFN_QUERY_REALTIME})

#: Control field function code ("命令与类型码"), upstream meaning (table 6).
FUNCTIONS = {
    0: "confirm",
    1: "rainfall",
    2: "water_level",
    3: "flow",
    4: "velocity",
    5: "gate_position",
    6: "power",
    7: "weather",
    8: "electricity",
    9: "water_temperature",
    10: "water_quality",
    11: "soil_moisture",
    12: "evaporation",
    13: "alarm_status",
    14: "statistics",
    15: "water_pressure",
}
FLOW = 3


class _Spec(NamedTuple):
    """One measured value: ``size`` bytes of low-byte-first BCD with ``decimals`` places.
    ``signed`` means the high nibble of the last byte is the sign (0H +, FH -)."""

    name: str
    size: int
    decimals: int
    unit: str
    signed: bool = False
    single: bool = False  # exactly one value per frame (no instrument count N)


#: Table 33-46 data formats, by upstream function code. Flow (3) is special-cased.
SPECS = {
    1: _Spec("rainfall", 3, 1, "mm", single=True),  # table 33, 0~99999.9
    2: _Spec("water_level", 4, 3, "m", signed=True),  # table 34, -9999.999~+9999.999
    4: _Spec("velocity", 3, 3, "m/s", signed=True),  # table 37, -99.999~+99.999
    5: _Spec("gate_position", 3, 2, "m"),  # table 38, 0~999.99
    6: _Spec("power", 3, 0, "kW"),  # table 39, 0~999999
    9: _Spec("water_temperature", 2, 1, "degC"),  # table 41, 0~99.9
    12: _Spec("evaporation", 3, 1, "mm"),  # table 43, 0~9999.9
    13: _Spec("voltage", 2, 2, "V", single=True),  # table 46, terminal input voltage
    15: _Spec("water_pressure", 4, 2, "kPa"),  # table 44, 0~999999.99
}
_FLOW_SPEC = _Spec("instantaneous_flow", 5, 3, "m3/s", signed=True)  # table 35
_VOLUME_SPEC = _Spec("accumulated_volume", 5, 0, "m3")  # table 36
_FLOW_UNITS = {0b00: "m3/s", 0b11: "m3/h"}

#: Terminal alarm word, first 2 data bytes after the values (7.3.14), bit -> 1 means alarm.
ALARM_BITS = (
    "ac_power_failure",
    "battery_voltage_alarm",
    "water_level_alarm",
    "flow_alarm",
    "water_quality_alarm",
    "flow_meter_fault",
    "pump_state_alarm",
    "water_level_meter_fault",
    "water_pressure_alarm",
    "temperature_alarm",
    "ic_card_alarm",
    "setpoint_control_alarm",
    "remaining_volume_low_alarm",
    "cabinet_door_alarm",
)


def alarm_flags(word: int) -> dict[str, bool]:
    """Split the 16-bit alarm word (D14, D15 reserved)."""
    return {name: bool(word >> bit & 1) for bit, name in enumerate(ALARM_BITS)}


def status_flags(word: int) -> dict[str, int | bool]:
    """Split the 16-bit terminal status word (7.3.14).

    ``work_mode``: 0 self-report/telemetry, 1 self-report with confirmation,
    2 telemetry (query/response), 3 debugging/maintenance.
    """
    return {
        "work_mode": word & 0b11,
        "ic_card_enabled": bool(word >> 2 & 1),
        "setpoint_control_on": bool(word >> 3 & 1),
        "pump_stopped": bool(word >> 4 & 1),
        "cabinet_door_closed": bool(word >> 5 & 1),
        "on_battery": bool(word >> 6 & 1),
    }


class TimeLabelFormat(enum.Enum):
    """Which time label a frame carries.

    ``TP7`` (SL/T 427-2021 table 10): ss mm hh DD MM YY (BCD) + delay (BIN, minutes).
    ``TP5`` (SZY206-2016 terminals): ss mm hh DD (BCD) + delay. It has no month or year.
    ``NONE``: no time label. Some terminals omit it.
    ``AUTO``: infer from the data length. This works when the value size
    leaves only one possibility. Otherwise pass the device's form explicitly.
    """

    AUTO = "auto"
    NONE = 0
    TP5 = 5
    TP7 = 7


@dataclass(frozen=True)
class TimeLabel:
    """Time label Tp (6.3.3.8). ``month``/``year`` are None in the 5-byte form."""

    second: int
    minute: int
    hour: int
    day: int
    month: int | None = None
    year: int | None = None  # full year, 20YY
    delay_minutes: int = 0  # allowed transmission delay; 0 = do not check

    @classmethod
    def from_datetime(cls, moment: datetime, *, delay_minutes: int = 0, short: bool = False) -> TimeLabel:
        if short:
            return cls(moment.second, moment.minute, moment.hour, moment.day, None, None, delay_minutes)
        return cls(moment.second, moment.minute, moment.hour, moment.day, moment.month, moment.year, delay_minutes)

    @classmethod
    def parse(cls, raw: bytes) -> TimeLabel:
        if len(raw) not in (5, 7):
            raise FormatError(f"a time label has 5 or 7 bytes, got {len(raw)}")
        parts = [bcd_decode(raw[i : i + 1]) for i in range(len(raw) - 1)]
        second, minute, hour, day = parts[:4]
        month, year = (parts[4], 2000 + parts[5]) if len(raw) == 7 else (None, None)
        label = cls(second, minute, hour, day, month, year, raw[-1])
        clock_ok = second < 60 and minute < 60 and hour < 24 and 1 <= day <= 31
        if not clock_ok or (month is not None and not 1 <= month <= 12):
            raise FormatError(f"invalid time label {raw.hex().upper()}")
        if label.datetime is None and month is not None:
            raise FormatError(f"invalid date in time label {raw.hex().upper()}")
        return label

    def to_bytes(self) -> bytes:
        if not 0 <= self.delay_minutes <= 255:
            raise ValueError("delay must be 0..255 minutes")
        parts = [self.second, self.minute, self.hour, self.day]
        if self.month is not None:
            parts += [self.month, (self.year or 2000) - 2000]
        return b"".join(bcd_encode(p, 1) for p in parts) + bytes([self.delay_minutes])

    @property
    def length(self) -> int:
        return 5 if self.month is None else 7

    @property
    def datetime(self) -> datetime | None:
        """The full timestamp (7-byte form); None for the 5-byte form, see :meth:`resolve`."""
        if self.month is None or self.year is None:
            return None
        try:
            return datetime(self.year, self.month, self.day, self.hour, self.minute, self.second)
        except ValueError:
            return None

    def resolve(self, reference: datetime) -> datetime:
        """Full timestamp. The 5-byte form gets the month and year of ``reference``
        (e.g. the receive time), whichever of previous/current/next month is nearest."""
        exact = self.datetime
        if exact is not None:
            return exact
        best = None
        for shift in (-1, 0, 1):
            month_index = reference.year * 12 + reference.month - 1 + shift
            year, month = divmod(month_index, 12)
            if self.day > calendar.monthrange(year, month + 1)[1]:
                continue
            candidate = datetime(year, month + 1, self.day, self.hour, self.minute, self.second)
            if best is None or abs(candidate - reference) < abs(best - reference):
                best = candidate
        if best is None:  # pragma: no cover - day <= 31 always fits one of three months
            raise ValueError("no month around the reference has this day")
        return best


@dataclass(frozen=True)
class Address:
    """Address field A, 5 bytes (6.3.3.4, tables 7/8).

    Form 1: administrative division code A1 (3 bytes BCD, GB/T 2260, written
    province first) + terminal number A2 (2 bytes BIN, low byte first; 1-60000
    stations, 60001-65534 relays, 65535 broadcast). Form 2: 00H + 8-digit HEX
    station code (SL 502).
    """

    raw: bytes

    def __post_init__(self) -> None:
        if len(self.raw) != 5:
            raise ValueError("the address field has 5 bytes")

    @classmethod
    def from_division(cls, division_code: str, terminal: int) -> Address:
        if not re.fullmatch(r"[1-9]\d{5}", division_code) or not 0 <= terminal <= 0xFFFF:
            raise ValueError("division code is 6 digits (GB/T 2260), terminal 0..65535")
        return cls(bytes.fromhex(division_code) + terminal.to_bytes(2, "little"))

    @classmethod
    def from_station_code(cls, code: str) -> Address:
        if not re.fullmatch(r"[0-9A-Fa-f]{8}", code):
            raise ValueError("form-2 station code is 8 hex digits")
        return cls(b"\x00" + bytes.fromhex(code))

    @property
    def division_code(self) -> str | None:
        return None if self.raw[0] == 0 else self.raw[:3].hex()

    @property
    def terminal(self) -> int | None:
        return None if self.raw[0] == 0 else int.from_bytes(self.raw[3:], "little")

    @property
    def station_code(self) -> str | None:
        return self.raw[1:].hex().upper() if self.raw[0] == 0 else None

    def __str__(self) -> str:
        code = self.station_code
        return code if code is not None else f"{self.division_code}-{self.terminal:05d}"


@dataclass(frozen=True)
class Control:
    """Control field C (table 4): D7 DIR (1 = upstream), D6 DIV, D5-D4 FCB, D3-D0 function.
    With DIV=1 a second byte DIVS counts the split frames down to 1."""

    upstream: bool
    function: int
    fcb: int = 3
    div: bool = False
    divs: int | None = None

    def to_bytes(self) -> bytes:
        if not 0 <= self.function <= 15 or not 0 <= self.fcb <= 3 or self.div != (self.divs is not None):
            raise ValueError("invalid control field")
        first = self.upstream << 7 | self.div << 6 | self.fcb << 4 | self.function
        return bytes([first]) if self.divs is None else bytes([first, self.divs])


@dataclass(frozen=True)
class Szy206Frame:
    """A decoded frame.

    ``data`` is the data field D without the time label. For value reports
    (AFN C0H/81H/B0H) ``elements`` holds the values: ``flow_1``,
    ``accumulated_volume_1``, ``water_level_1``, and so on. ``alarm`` and ``status``
    hold the two trailing 16-bit words. ``link_code`` is set for AFN 02H. ``work_mode``
    is set for a downlink confirmation.
    """

    control: Control
    address: Address
    afn: int
    data: bytes
    time_label: TimeLabel | None = None
    elements: dict[str, Element] = field(default_factory=dict)
    alarm: int | None = None
    status: int | None = None
    link_code: int | None = None
    work_mode: int | None = None


# --------------------------------------------------------------------------- decoding


def decode(data: bytes, *, time_label: TimeLabelFormat = TimeLabelFormat.AUTO) -> Szy206Frame:
    """Decode one complete frame.

    Framing errors (start bytes, length L, end byte 16H) raise :class:`FormatError`.
    A CS mismatch raises :class:`ChecksumError`. Contents that break tables 33-46
    (non-BCD digits, bad sign nibble) raise :class:`FormatError`. Missing-value
    fillers (all ``AA``, the "AAAAAAAAA" of table 36, or all ``FF``) decode to None.
    """
    data = bytes(data)
    if len(data) < 12:
        raise FormatError(f"frame too short: {len(data)} bytes")
    if data[0] != START or data[2] != START:
        raise FormatError("a frame starts with 68H L 68H")
    length = data[1]
    if len(data) != length + 5:
        raise FormatError(f"L={length} means {length + 5} frame bytes; got {len(data)}")
    if data[-1] != END:
        raise FormatError(f"a frame ends with 16H, got {data[-1]:02X}")
    user = data[3:-2]
    if crc8_e5(user) != data[-2]:
        raise ChecksumError(f"CS mismatch: frame says {data[-2]:02X}, content gives {crc8_e5(user):02X}")

    c = user[0]
    div = bool(c >> 6 & 1)
    control = Control(bool(c >> 7), c & 0x0F, c >> 4 & 0x3, div, user[1] if div else None)
    pos = 2 if div else 1
    if len(user) < pos + 6:
        raise FormatError("user data area shorter than control + address + AFN")
    address = Address(user[pos : pos + 5])
    if address.raw[0] != 0:
        bcd_decode(address.raw[:3])  # form 1: A1 must be BCD
    afn = user[pos + 5]
    pos += 6
    if afn == 0xFF:  # user-defined AFN: FFH + one more byte (6.3.3.6)
        if len(user) <= pos:
            raise FormatError("user-defined AFN FFH without its second byte")
        afn, pos = 0xFF00 | user[pos], pos + 1
    body = user[pos:]

    if control.upstream and afn in _REPORT_AFNS:
        return _decode_report(control, address, afn, body, time_label)
    if afn == AFN_LINK or (not control.upstream and afn in (AFN_SELF_REPORT, AFN_ALARM_REPORT)):
        if not body:
            raise FormatError(f"AFN {afn:02X} needs a 1-byte data field")
        label = _trailing_label(body[1:], time_label)
        head = body[:1]
        extra = {"link_code": head[0]} if afn == AFN_LINK else {"work_mode": head[0]}
        return Szy206Frame(control, address, afn, head, label, **extra)
    return Szy206Frame(control, address, afn, body)


def _tp_length(fmt: TimeLabelFormat) -> int:
    return 0 if fmt is TimeLabelFormat.NONE else fmt.value  # type: ignore[return-value]


def _trailing_label(rest: bytes, fmt: TimeLabelFormat) -> TimeLabel | None:
    if fmt is TimeLabelFormat.AUTO:
        if len(rest) not in (0, 5, 7):
            raise FormatError(f"{len(rest)} bytes after the data field are no time label")
    elif len(rest) != _tp_length(fmt):
        raise FormatError(f"expected a {fmt.name} time label, found {len(rest)} bytes")
    return TimeLabel.parse(rest) if rest else None


def _items_fit(function: int, size: int) -> bool:
    if size < 0:
        return False
    if function == FLOW:
        return size > 0 and size % 10 == 0
    spec = SPECS.get(function)
    if spec is None:
        return True
    return size == spec.size if spec.single else size > 0 and size % spec.size == 0


def _decode_report(control: Control, address: Address, afn: int, body: bytes, fmt: TimeLabelFormat) -> Szy206Frame:
    """Values + alarm word (2) + status word (2) + time label (table B.100, 7.3.14)."""
    function = control.function
    if fmt is TimeLabelFormat.AUTO:
        if function != FLOW and function not in SPECS:
            raise FormatError(f"cannot infer the time label for function {function}: pass time_label=")
        options = [f for f in (TimeLabelFormat.NONE, TimeLabelFormat.TP5, TimeLabelFormat.TP7)
                   if _items_fit(function, len(body) - 4 - _tp_length(f))]
        if len(options) != 1:
            detail = "fits no layout" if not options else "is ambiguous: " + " or ".join(o.name for o in options)
            raise FormatError(f"a {len(body)}-byte data field of function {function} {detail}; pass time_label=")
        fmt = options[0]
    tp = _tp_length(fmt)
    items_end = len(body) - 4 - tp
    if not _items_fit(function, items_end):
        raise FormatError(f"{len(body)} data bytes do not fit function {function} with a {fmt.name} time label")
    items = body[:items_end]
    label = TimeLabel.parse(body[len(body) - tp :]) if tp else None
    alarm = int.from_bytes(body[items_end : items_end + 2], "little")
    status = int.from_bytes(body[items_end + 2 : items_end + 4], "little")
    return Szy206Frame(control, address, afn, body[: len(body) - tp], label, _decode_items(function, items),
                       alarm, status)


def _decode_items(function: int, items: bytes) -> dict[str, Element]:
    elements: dict[str, Element] = {}
    if function == FLOW:  # table 35/36: flow 1, volume 1, flow 2, volume 2, ...
        for k in range(len(items) // 10):
            flow_raw, volume_raw = items[10 * k : 10 * k + 5], items[10 * k + 5 : 10 * k + 10]
            value, unit = _decode_flow(flow_raw)
            elements[f"flow_{k + 1}"] = Element(f"flow_{k + 1}", _FLOW_SPEC.name, flow_raw, value, unit)
            elements[f"accumulated_volume_{k + 1}"] = Element(
                f"accumulated_volume_{k + 1}", _VOLUME_SPEC.name, volume_raw, _decode_volume(volume_raw), "m3")
        return elements
    spec = SPECS.get(function)
    if spec is None:  # weather, electricity, water quality, soil, statistics: values kept raw in frame.data
        return elements
    for k in range(len(items) // spec.size):
        raw = items[spec.size * k : spec.size * (k + 1)]
        code = f"{spec.name}_{k + 1}"
        elements[code] = Element(code, spec.name, raw, _decode_plain(spec, raw), spec.unit)
    return elements


def _is_filler(raw: bytes) -> bool:
    """Missing value: "AAAA..." (tables 36, 40) or all FF."""
    return all(b == 0xAA for b in raw) or all(b == 0xFF for b in raw)


def _decode_plain(spec: _Spec, raw: bytes) -> Decimal | None:
    if _is_filler(raw):
        return None
    if not spec.signed:
        return scaled(bcd_decode(raw, little_endian=True), spec.decimals)
    sign = raw[-1] >> 4  # tables 34, 37: high nibble of the last byte, 0H positive, FH negative
    if sign not in (0x0, 0xF):
        raise FormatError(f"sign nibble must be 0 or F, got {sign:X} in {raw.hex().upper()}")
    value = scaled(bcd_decode(raw[:-1] + bytes([raw[-1] & 0x0F]), little_endian=True), spec.decimals)
    return -value if sign == 0xF else value


def _decode_flow(raw: bytes) -> tuple[Decimal | None, str]:
    """Table 35: 9 BCD digits with 3 decimals, low byte first. In byte 5 the
    high nibble holds the sign (D7-D6: 00 +, 11 -) and the unit (D5-D4: 00 m3/s,
    11 m3/h). The low nibble is the 10^5 digit. A lone D7 is accepted as a
    1-bit sign, as some SZY206-2016 terminals send it."""
    if _is_filler(raw):
        return None, "m3/s"
    top = raw[4]
    sign, unit_bits = top >> 6, top >> 4 & 0b11
    if sign == 0b01 or unit_bits not in _FLOW_UNITS:
        raise FormatError(f"invalid sign/unit bits {top >> 4:04b} in flow {raw.hex().upper()}")
    value = scaled(bcd_decode(raw[:4] + bytes([top & 0x0F]), little_endian=True), 3)
    return (-value if sign else value), _FLOW_UNITS[unit_bits]


def _decode_volume(raw: bytes) -> Decimal | None:
    """Table 36: accumulated volume, m3, integer, low byte first. Byte 5 holds the
    10^8 digit (low nibble), the 10^9 digit 0-7 (D6-D4) and the sign (D7, 0 for
    a volume)."""
    if _is_filler(raw):
        return None
    top = raw[4]
    if top & 0x0F > 9:
        raise FormatError(f"invalid BCD digit in volume {raw.hex().upper()}")
    n = bcd_decode(raw[:4], little_endian=True) + (top & 0x0F) * 10**8 + (top >> 4 & 0x7) * 10**9
    return Decimal(-n if top & 0x80 else n)


# --------------------------------------------------------------------------- encoding


def encode_value(name: str, value: Decimal | None, *, unit: str = "m3/s") -> bytes:
    """Encode one value in the table 33-46 format of ``name`` (a :data:`SPECS` name,
    ``"flow"`` or ``"accumulated_volume"``). None gives the AA filler."""
    if name == "flow":
        if value is None:
            return b"\xaa" * 5
        n = unscaled(abs(value), 3)
        if n >= 10**9:
            raise ValueError(f"flow {value} outside -999999.999..+999999.999")
        unit_bits = {v: k for k, v in _FLOW_UNITS.items()}.get(unit)
        if unit_bits is None:
            raise ValueError(f"flow unit must be m3/s or m3/h, got {unit}")
        raw = bytearray(bcd_encode(n, 5, little_endian=True))
        raw[4] |= (0xC0 if value < 0 else 0) | unit_bits << 4
        return bytes(raw)
    if name == "accumulated_volume":
        if value is None:
            return b"\xaa" * 5
        n = unscaled(abs(value), 0)
        if n >= 8 * 10**9:
            raise ValueError(f"volume {value} outside 0..7999999999")
        raw = bytearray(bcd_encode(n, 5, little_endian=True))
        raw[4] |= 0x80 if value < 0 else 0
        return bytes(raw)
    spec = next((s for s in SPECS.values() if s.name == name), None)
    if spec is None:
        raise ValueError(f"unknown value kind {name}")
    if value is None:
        return b"\xaa" * spec.size
    n = unscaled(abs(value), spec.decimals)
    if n >= 10 ** (2 * spec.size - spec.signed):
        raise ValueError(f"{value} does not fit {name}")
    if value < 0 and not spec.signed:
        raise ValueError(f"{name} cannot be negative")
    raw = bytearray(bcd_encode(n, spec.size, little_endian=True))
    if value < 0:
        raw[-1] |= 0xF0
    return bytes(raw)


def encode_frame(control: Control, address: Address, afn: int, data: bytes = b"",
                 time_label: TimeLabel | None = None) -> bytes:
    """68 L 68 + user data (C, A, AFN, D, Tp) + CS + 16."""
    afn_bytes = afn.to_bytes(2, "big") if afn > 0xFF else bytes([afn])
    user = control.to_bytes() + address.raw + afn_bytes + data + (time_label.to_bytes() if time_label else b"")
    if len(user) > 255:
        raise ValueError(f"user data area of {len(user)} bytes exceeds L=255: split the frame (DIV)")
    return bytes([START, len(user), START]) + user + bytes([crc8_e5(user), END])


def encode_report(
    address: Address,
    function: int,
    values: Sequence[Decimal | None] | Sequence[tuple[Decimal | None, Decimal | None]],
    *,
    alarm: int = 0,
    status: int = 0,
    time_label: TimeLabel | None = None,
    afn: int = AFN_SELF_REPORT,
    fcb: int = 3,
    flow_unit: str = "m3/s",
) -> bytes:
    """A terminal's report (table B.100): values + alarm word + status word + Tp.

    For ``function=3`` each value is a ``(flow, accumulated_volume)`` pair.
    Otherwise it is one Decimal (or None) per instrument.
    """
    if function == FLOW:
        items = b"".join(encode_value("flow", f, unit=flow_unit) + encode_value("accumulated_volume", v)
                         for f, v in values)  # type: ignore[misc]
    elif function in SPECS:
        spec = SPECS[function]
        if spec.single and len(values) != 1:
            raise ValueError(f"{spec.name} reports exactly one value")
        items = b"".join(encode_value(spec.name, v) for v in values)  # type: ignore[arg-type]
    else:
        raise ValueError(f"no value format for function {function}")
    words = alarm.to_bytes(2, "little") + status.to_bytes(2, "little")
    return encode_frame(Control(True, function, fcb), address, afn, items + words, time_label)


def encode_ack(frame: Szy206Frame, *, now: datetime | None = None, work_mode: int = 0,
               delay_minutes: int = 0) -> bytes:
    """The central station's confirmation of an upstream frame (table B.101, 7.2).

    Control: DIR=0, function 0000 ("send/confirm"), the frame's FCB (6.3.3.3 c),
    and the frame's DIV/DIVS. Address and AFN are echoed. The data byte is the
    terminal work mode (00 compatible, 01 self-report, 02 query/response,
    03 maintenance). For a link check (AFN 02H) the data byte echoes the link code.
    The terminal sets its clock from the confirmation's Tp. Pass ``now`` (central
    clock) to include one, in the same 5/7-byte form as the frame's. Without
    ``now`` no Tp is sent, which keeps this function pure.
    """
    if not frame.control.upstream:
        raise ValueError("only upstream frames are confirmed")
    if not 0 <= work_mode <= 3:
        raise ValueError("work mode is 0..3")
    data = bytes([frame.link_code if frame.afn == AFN_LINK and frame.link_code is not None else work_mode])
    label = None
    if now is not None:
        short = frame.time_label is not None and frame.time_label.length == 5
        label = TimeLabel.from_datetime(now, delay_minutes=delay_minutes, short=short)
    control = Control(False, 0, frame.control.fcb, frame.control.div, frame.control.divs)
    return encode_frame(control, frame.address, frame.afn, data, label)
