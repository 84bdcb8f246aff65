"""SZY206-2016 / SL/T 427-2021 codec tests.

Test vectors; the CS of each was checked independently with CRC-8 (0xE5, init 0):

* JETLINKS_FLOW_TP5: a SZY206-2016 flow/volume self-report from a terminal in
  division 530381, from github.com/hm1212/szy206-protocol
  src/test/java/jetlinks/szy206/protocol/Szy206ProtocolApplicationTests.java (test01).
  Their test03 confirms the volume bytes 8261100000. The frame carries the
  5-byte time label.
* JETLINKS_VOLUME_ONLY: same file (test23, commented data1+data2). The flow is the
  "AAAAAAAAAA" filler (meter measures volume only, table 36 note), and there is
  no time label.
* TOOLKIT_VELOCITY_TP7: the example of github.com/wainshine/SL651
  sl651-toolkit/sl427/README.md (SL/T 427-2021, 7-byte time label).

Negative values and both time-label forms are also built from byte layouts
written out by hand here (tables 34, 35, 10).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shuiquan.metering.protocols import ChecksumError, FormatError, FrameError, szy206
from shuiquan.metering.protocols.common import crc8_e5
from shuiquan.metering.protocols.szy206 import Address, Control, TimeLabel, TimeLabelFormat

D = Decimal
h = bytes.fromhex

JETLINKS_FLOW_TP5 = h("681A68B35303810D00C00059000000826110000001106000004508090A3516")
JETLINKS_VOLUME_ONLY = h("681568B34406070001C0AAAAAAAAAA004040000000000101E516")
TOOLKIT_VELOCITY_TP7 = h("681568B40102030405C05545040020700030151412052600AD16")
NANYANG = Address.from_division("411302", 13)  # 南阳市宛城区, terminal 13


def frame_with_cs(user_data: bytes) -> bytes:
    """68 L 68 + user data + CS + 16, assembled by hand."""
    return bytes([0x68, len(user_data), 0x68]) + user_data + bytes([crc8_e5(user_data), 0x16])


# ----------------------------------------------------------------------------- checksum


@pytest.mark.parametrize("frame", [JETLINKS_FLOW_TP5, JETLINKS_VOLUME_ONLY, TOOLKIT_VELOCITY_TP7])
def test_published_frames_check_out_with_crc8_e5_over_the_user_data_area(frame):
    assert crc8_e5(frame[3:-2]) == frame[-2]


# ----------------------------------------------------------------------------- decoding published frames


def test_flow_self_report_decodes_exact_flow_volume_words_and_5_byte_time_label():
    frame = szy206.decode(JETLINKS_FLOW_TP5)
    assert frame.control == Control(upstream=True, function=3, fcb=3)
    assert (frame.address.division_code, frame.address.terminal, str(frame.address)) == ("530381", 13, "530381-00013")
    assert frame.afn == 0xC0
    flow, volume = frame.elements["flow_1"], frame.elements["accumulated_volume_1"]
    assert (flow.value, flow.unit, flow.raw) == (D("5.900"), "m3/s", h("0059000000"))
    assert (volume.value, volume.unit, volume.raw) == (D(106182), "m3", h("8261100000"))
    assert type(flow.value) is Decimal and type(volume.value) is Decimal
    assert frame.alarm == 0x1001 and frame.status == 0x0060  # both words low byte first
    assert szy206.alarm_flags(frame.alarm)["ac_power_failure"]
    assert szy206.alarm_flags(frame.alarm)["remaining_volume_low_alarm"]
    status = szy206.status_flags(frame.status)
    assert status["cabinet_door_closed"] and status["on_battery"] and status["work_mode"] == 0
    assert frame.time_label == TimeLabel(second=0, minute=45, hour=8, day=9, delay_minutes=10)
    assert frame.time_label.length == 5 and frame.time_label.datetime is None


def test_five_byte_time_label_resolves_month_and_year_from_a_reference():
    label = szy206.decode(JETLINKS_FLOW_TP5).time_label
    assert label.resolve(datetime(2024, 3, 9, 8, 47)) == datetime(2024, 3, 9, 8, 45)
    assert label.resolve(datetime(2024, 4, 2, 0, 0)) == datetime(2024, 4, 9, 8, 45)
    end_of_month = TimeLabel(second=0, minute=59, hour=23, day=31)
    assert end_of_month.resolve(datetime(2024, 4, 1, 0, 1)) == datetime(2024, 3, 31, 23, 59)


def test_missing_flow_filler_decodes_to_none_not_zero():
    frame = szy206.decode(JETLINKS_VOLUME_ONLY)
    assert frame.elements["flow_1"].raw == b"\xaa" * 5
    assert frame.elements["flow_1"].value is None
    assert frame.elements["accumulated_volume_1"].value == D(404000)
    assert frame.time_label is None
    assert (frame.alarm, frame.status) == (0, 0x0101)


def test_seven_byte_time_label_gives_the_full_timestamp():
    frame = szy206.decode(TOOLKIT_VELOCITY_TP7)
    assert frame.control.function == 4
    assert frame.elements["velocity_1"].value == D("44.555")
    assert frame.time_label.length == 7
    assert frame.time_label.datetime == datetime(2026, 5, 12, 14, 15, 30)
    assert frame.address.terminal == 0x0504


def test_explicit_time_label_format_must_match_the_frame():
    assert szy206.decode(JETLINKS_FLOW_TP5, time_label=TimeLabelFormat.TP5).time_label.day == 9
    with pytest.raises(FormatError):
        szy206.decode(JETLINKS_FLOW_TP5, time_label=TimeLabelFormat.TP7)
    with pytest.raises(FormatError):
        szy206.decode(JETLINKS_FLOW_TP5, time_label=TimeLabelFormat.NONE)


def test_ambiguous_layout_requires_an_explicit_time_label_format():
    # Two 2-byte water temperatures: 2x2+4+5 = 13 = 4x2+4+... fits TP5 with 2 values and TP7 with 1.
    frame = szy206.encode_report(NANYANG, 9, [D("12.5"), D("13.0")],
                                 time_label=TimeLabel.from_datetime(datetime(2024, 1, 1), short=True))
    with pytest.raises(FormatError):
        szy206.decode(frame)
    decoded = szy206.decode(frame, time_label=TimeLabelFormat.TP5)
    assert [e.value for e in decoded.elements.values()] == [D("12.5"), D("13.0")]


# ----------------------------------------------------------------------------- hand-written layouts


def test_flow_report_layout_matches_a_hand_written_frame():
    # 68 L 68 | C=B3 (DIR=1, FCB=3, function 3) | A | AFN C0 | flow 123.456 m3/s | volume 98765432 m3 |
    # alarm 0004 | status 0020 | Tp 30 15 14 12 05 26 05 | CS | 16
    user = (h("B3") + h("4113020D00") + h("C0")
            + h("5634120000")  # 123.456: digits 000123456 low byte first, byte 5 = sign/unit 0 + 10^5 digit 0
            + h("3254769800")  # 98765432: 32 54 76 98, byte 5 = 0
            + h("0400") + h("2000") + h("30151412052605"))
    expected = frame_with_cs(user)
    built = szy206.encode_report(NANYANG, 3, [(D("123.456"), D(98765432))], alarm=0x0004, status=0x0020,
                                 time_label=TimeLabel.from_datetime(datetime(2026, 5, 12, 14, 15, 30), delay_minutes=5))
    assert built == expected
    frame = szy206.decode(expected)
    assert frame.elements["flow_1"].value == D("123.456")
    assert frame.elements["accumulated_volume_1"].value == D(98765432)
    assert frame.time_label.datetime == datetime(2026, 5, 12, 14, 15, 30) and frame.time_label.delay_minutes == 5
    assert szy206.alarm_flags(frame.alarm)["water_level_alarm"]


def test_negative_water_level_uses_the_sign_nibble_of_table_34():
    raw = szy206.encode_value("water_level", D("-12.345"))
    assert raw == h("452301F0")  # 00012345 low byte first, high nibble of byte 4 = F (negative)
    user = h("B2") + NANYANG.raw + h("C0") + raw + h("452301") + h("00") + h("00000000")
    frame = szy206.decode(frame_with_cs(user))
    assert frame.elements["water_level_1"].value == D("-12.345")
    assert frame.elements["water_level_2"].value == D("12.345")  # 45 23 01 00 -> +12.345


def test_negative_flow_in_cubic_metres_per_hour_uses_table_35_sign_and_unit_bits():
    raw = szy206.encode_value("flow", D("-1.5"), unit="m3/h")
    assert raw == h("00150000F0")  # sign 11B, unit 11B in the high nibble of byte 5
    frame = szy206.decode(szy206.encode_report(NANYANG, 3, [(D("-1.5"), D(0))], flow_unit="m3/h"))
    flow = frame.elements["flow_1"]
    assert (flow.value, flow.unit) == (D("-1.500"), "m3/h")


def test_one_bit_flow_sign_is_accepted_and_bad_sign_bits_rejected():
    def report(flow_raw: bytes) -> bytes:
        return frame_with_cs(h("B3") + NANYANG.raw + h("C0") + flow_raw + h("0100000000") + h("00000000"))

    assert szy206.decode(report(h("0015000080"))).elements["flow_1"].value == D("-1.500")
    with pytest.raises(FormatError):
        szy206.decode(report(h("0015000040")))  # sign bits 01
    with pytest.raises(FormatError):
        szy206.decode(report(h("0015000010")))  # unit bits 01


def test_accumulated_volume_uses_the_ten_digit_layout_of_table_36():
    raw = szy206.encode_value("accumulated_volume", D(7123456789))
    assert raw == h("8967452371")  # byte 5: D6-D4 = 10^9 digit 7, low nibble = 10^8 digit 1
    with pytest.raises(ValueError):
        szy206.encode_value("accumulated_volume", D(8000000000))


def test_address_forms_of_tables_7_and_8():
    assert NANYANG.raw == h("4113020D00")
    assert (NANYANG.division_code, NANYANG.terminal, NANYANG.station_code) == ("411302", 13, None)
    code = Address.from_station_code("4130A1B2")
    assert code.raw == h("004130A1B2") and code.station_code == "4130A1B2" and code.terminal is None


def test_split_frame_control_field_has_a_second_byte():
    frame = szy206.encode_frame(Control(True, 2, 3, div=True, divs=1), NANYANG, 0xC0,
                                szy206.encode_value("water_level", D("3.2")) + h("00000000"))
    assert frame[3:5] == h("F201")  # DIR=1 DIV=1 FCB=3 function 2, DIVS=1
    decoded = szy206.decode(frame)
    assert decoded.control.divs == 1 and decoded.elements["water_level_1"].value == D("3.200")


def test_link_check_frame_decodes_its_code_and_is_echoed_in_the_ack():
    frame = szy206.decode(szy206.encode_frame(Control(True, 0), NANYANG, 0x02, h("F2")))
    assert frame.link_code == 0xF2
    ack = szy206.decode(szy206.encode_ack(frame))
    assert (ack.afn, ack.link_code, ack.control.upstream) == (0x02, 0xF2, False)


# ----------------------------------------------------------------------------- downlink confirmation


def test_ack_layout_is_downlink_confirm_with_echoed_address_and_afn():
    ack = szy206.encode_ack(szy206.decode(JETLINKS_FLOW_TP5))
    assert ack == frame_with_cs(h("30") + h("5303810D00") + h("C0") + h("00"))  # C: DIR=0, FCB=3, function 0
    decoded = szy206.decode(ack)
    assert (decoded.control.upstream, decoded.control.function, decoded.work_mode) == (False, 0, 0)


def test_ack_with_central_clock_uses_the_reports_time_label_form():
    now = datetime(2024, 3, 9, 8, 46, 1)
    short = szy206.decode(szy206.encode_ack(szy206.decode(JETLINKS_FLOW_TP5), now=now, work_mode=1))
    assert short.time_label == TimeLabel(second=1, minute=46, hour=8, day=9) and short.work_mode == 1
    full = szy206.decode(szy206.encode_ack(szy206.decode(TOOLKIT_VELOCITY_TP7), now=now))
    assert full.time_label.datetime == now


def test_downlink_frames_are_not_acknowledged():
    ack = szy206.decode(szy206.encode_ack(szy206.decode(JETLINKS_FLOW_TP5)))
    with pytest.raises(ValueError):
        szy206.encode_ack(ack)


# ----------------------------------------------------------------------------- corruption and framing errors


@pytest.mark.parametrize("position", [3, 4, 7, 9, 10, 12, 15, 18, 20, 22, 25, 27, 28, 29])
def test_one_corrupted_byte_in_the_user_data_or_cs_is_rejected_by_the_checksum(position):
    corrupted = bytearray(JETLINKS_FLOW_TP5)
    corrupted[position] ^= 0x5A
    with pytest.raises(ChecksumError):
        szy206.decode(bytes(corrupted))


def test_a_corrupted_byte_anywhere_never_yields_a_frame():
    for frame in (JETLINKS_FLOW_TP5, JETLINKS_VOLUME_ONLY, TOOLKIT_VELOCITY_TP7):
        for position in range(len(frame)):
            for flip in (0x01, 0x10, 0xFF):
                corrupted = bytearray(frame)
                corrupted[position] ^= flip
                with pytest.raises(FrameError):
                    szy206.decode(bytes(corrupted))


def test_wrong_end_byte_is_a_format_error():
    with pytest.raises(FormatError):
        szy206.decode(JETLINKS_FLOW_TP5[:-1] + b"\x17")


@pytest.mark.parametrize("position", [0, 1, 2])
def test_wrong_start_bytes_or_length_are_format_errors(position):
    corrupted = bytearray(JETLINKS_FLOW_TP5)
    corrupted[position] ^= 0x01
    with pytest.raises(FormatError):
        szy206.decode(bytes(corrupted))


def test_truncated_or_padded_frames_are_format_errors():
    for frame in (JETLINKS_FLOW_TP5[:-1], JETLINKS_FLOW_TP5[:8], JETLINKS_FLOW_TP5 + b"\x00", b""):
        with pytest.raises(FormatError):
            szy206.decode(frame)


def test_non_bcd_digits_and_bad_sign_nibbles_are_format_errors():
    bad_digit = h("B3") + NANYANG.raw + h("C0") + h("005B000000") + h("0100000000") + h("00000000")
    bad_sign = h("B2") + NANYANG.raw + h("C0") + h("45230150") + h("00000000")
    for user in (bad_digit, bad_sign):
        with pytest.raises(FormatError):
            szy206.decode(frame_with_cs(user))


def test_invalid_time_label_is_a_format_error():
    user = h("B3") + NANYANG.raw + h("C0") + h("0059000000826110000000000000") + h("00456109") + h("00")
    with pytest.raises(FormatError):  # minute 45, hour 61
        szy206.decode(frame_with_cs(user))


# ----------------------------------------------------------------------------- round-trip properties

flows = st.one_of(st.none(), st.integers(-999999999, 999999999).map(lambda n: D(n).scaleb(-3)))
volumes = st.one_of(st.none(), st.integers(0, 7999999999).map(D))
labels = st.one_of(
    st.none(),
    st.builds(lambda t, d, short: TimeLabel.from_datetime(t, delay_minutes=d, short=short),
              st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)).map(
                  lambda t: t.replace(microsecond=0)),
              st.integers(0, 255), st.booleans()),
)


@settings(max_examples=200, deadline=None)
@given(readings=st.lists(st.tuples(flows, volumes), min_size=1, max_size=8), label=labels,
       unit=st.sampled_from(["m3/s", "m3/h"]), alarm=st.integers(0, 0xFFFF), status=st.integers(0, 0xFFFF),
       division=st.from_regex(r"[1-8][0-9]{5}", fullmatch=True), terminal=st.integers(1, 65535))
def test_flow_report_encode_then_decode_returns_the_input(readings, label, unit, alarm, status, division, terminal):
    address = Address.from_division(division, terminal)
    frame = szy206.decode(szy206.encode_report(address, 3, readings, alarm=alarm, status=status, time_label=label,
                                               flow_unit=unit))
    assert frame.address == address and (frame.alarm, frame.status) == (alarm, status)
    assert frame.time_label == label
    for k, (flow, volume) in enumerate(readings, start=1):
        assert frame.elements[f"flow_{k}"].value == flow
        assert frame.elements[f"accumulated_volume_{k}"].value == volume
        if flow is not None:
            assert frame.elements[f"flow_{k}"].unit == unit


@settings(max_examples=100, deadline=None)
@given(levels=st.lists(st.one_of(st.none(), st.integers(-9999999, 9999999).map(lambda n: D(n).scaleb(-3))),
                       min_size=1, max_size=10),
       label=labels)
def test_water_level_report_round_trip(levels, label):
    frame = szy206.decode(szy206.encode_report(NANYANG, 2, levels, time_label=label))
    assert [frame.elements[f"water_level_{k}"].value for k in range(1, len(levels) + 1)] == levels
