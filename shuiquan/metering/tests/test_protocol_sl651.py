"""SL 651-2014 codec tests.

Test vectors come from outside this code base, and each one's CRC-16 was checked
independently:

* BLOG_*: the worked examples of "SL651-2014全协议解析(HEX编码格式)", reproduced at
  https://www.toymoban.com/news/detail-686475.html and
  https://e-com-net.com/article/1736683930196697088.htm. The article gives the
  decoded values: 0.5 mm, 0.5 mm, 0.127 m, 11.15 V; 4 mm, 4 mm, 10.49 m.
* FUJIAN_*: "福建省水文监测数据接入规定 V1.0 示例报文", as collected in
  github.com/wainshine/SL651 sl651-toolkit/examples/fujian_messages.txt. Several lines
  there carry one stray trailing byte 7E after the CRC (the next frame's start).
  We drop it, and test it separately as trailing garbage.
* BEIJING_*: frames captured from the Beijing water-affairs IoT platform, same
  repository, examples/beijing_messages.txt. They use vendor FFxx identifiers.

Where no published frame exists (negative values, ASCII mode, M3), frames are
built from byte layouts written out by hand in the test, not only by the encoder.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shuiquan.metering.protocols import ChecksumError, FormatError, FrameError, sl651
from shuiquan.metering.protocols.common import crc16_modbus

D = Decimal
h = bytes.fromhex

BLOG_LINK_2F = h("7E7E01001234567812342F0008020003591011155111036BCA")
BLOG_TEST_30 = h(
    "7E7E010012345678123430002B020003591011154947F1F1001234567848F0F05910111549"
    "20190000052619000005392300000127381211150320FA"
)
BLOG_TEST_30_ACK = h("7E7E00123456780112343080080200035910111549471B75D4")
BLOG_TIMED_32 = h(
    "7E7E05001122334403E832002B020034170718110016F1F1001122334448F0F01707181100"
    "201900004026190000403923000104903812109903A421"
)
BLOG_TIMED_32_ACK = h("7E7E00112233440503E83280080200341707181100161BE5D4")
FUJIAN_HOURLY_34 = h(
    "7E7E0110000000060000340068022F7B221202131525F1F1100000000648"
    "F0F02212021220F460000000000000000000000000"
    "F0F022120213152619003196"
    "F0F02212021220F55C0A2D0A2D0A2D0A2D0A2D0A2D0A2D0A2D0A2D0A2D0AEC0AEC"
    "F0F0221202131539230002896020190000003812131603329C"
)
FUJIAN_UNIFORM_31 = h(
    "7E7E011000000006000031004E022F7E221205110019F1F1100000000648F0F02212051005"
    "04180000053923" + "00028960" * 12 + "035B94"
)
FUJIAN_QUERY_37 = h(
    "7E7E001000000006000037002B02013D221206100758F1F1100000000648F0F02212061007"
    "201900000026190000003923FFFFFFFF3812114303C7CD"
)
FUJIAN_QUERY_38 = h(
    "7E7E001000000006000038002A020146221206121045F1F1100000000648F0F02212061205"
    "0418000000F460FFFFFFFFFFFFFFFFFFFFFFFF031457"
)
BEIJING_TIMED_VENDOR = h(
    "7E7E010030746200001232002F024465260701060036F1F1003074620048F0F02607010600"
    "261900311345200060048138121287FF090820FF3311020503B042"
)
BEIJING_TIMED_FLOW = h(
    "7E7E0100305037680000320033020A02260701060114F1F1003050376848F0F02607010600"
    "392300033660361B000110272B0000004320FF221B00011038121230032B97"
)
PUBLISHED = [BLOG_LINK_2F, BLOG_TEST_30, BLOG_TEST_30_ACK, BLOG_TIMED_32, BLOG_TIMED_32_ACK, FUJIAN_HOURLY_34,
             FUJIAN_UNIFORM_31, FUJIAN_QUERY_37, FUJIAN_QUERY_38, BEIJING_TIMED_VENDOR, BEIJING_TIMED_FLOW]


def values(observation: sl651.Observation) -> dict[str, Decimal | None]:
    return {code: element.value for code, element in observation.elements.items()}


# ----------------------------------------------------------------------------- checksum


def test_crc16_is_crc16_modbus_with_the_standard_check_value():
    assert crc16_modbus(b"123456789") == 0x4B37


@pytest.mark.parametrize("frame", PUBLISHED, ids=lambda f: f[:14].hex())
def test_every_published_frame_passes_the_crc_check(frame):
    sl651.decode(frame)


# ----------------------------------------------------------------------------- HEX/BCD decoding


def test_published_test_report_decodes_header_and_exact_decimal_values():
    frame = sl651.decode(BLOG_TEST_30)
    assert (frame.encoding, frame.upstream, frame.center_address) == (sl651.Encoding.HEX, True, 0x01)
    assert (frame.station_address, frame.password, frame.function_code) == ("0012345678", 0x1234, 0x30)
    assert (frame.start_char, frame.end_char, frame.packet) == (sl651.STX, sl651.ETX, None)
    assert (frame.serial, frame.send_time) == (3, datetime(2059, 10, 11, 15, 49, 47))
    [obs] = frame.observations
    assert (obs.time, obs.station_address, obs.station_category) == (datetime(2059, 10, 11, 15, 49), "0012345678", "H")
    assert values(obs) == {"20": D("0.5"), "26": D("0.5"), "39": D("0.127"), "38": D("11.15")}
    water_level = obs.elements["39"]
    assert (water_level.name, water_level.unit, water_level.raw) == ("water_level", "m", h("00000127"))
    assert all(type(v) is Decimal for v in values(obs).values())


def test_published_timed_report_decodes_water_level_to_the_centimetre():
    [obs] = sl651.decode(BLOG_TIMED_32).observations
    assert values(obs) == {"20": D("4.0"), "26": D("4.0"), "39": D("10.490"), "38": D("10.99")}


def test_link_keepalive_carries_only_serial_and_send_time():
    frame = sl651.decode(BLOG_LINK_2F)
    assert (frame.function_code, frame.serial, frame.send_time) == (0x2F, 3, datetime(2059, 10, 11, 15, 51, 11))
    assert frame.observations == ()


def test_instantaneous_flow_and_velocity_decode_with_units():
    [obs] = sl651.decode(BEIJING_TIMED_FLOW).observations
    assert obs.elements["27"].value == D("4.320") and obs.elements["27"].unit == "m3/s"
    assert obs.elements["36"].value == D("0.110") and obs.elements["36"].unit == "m/s"
    assert obs.elements["39"].value == D("33.660")


def test_missing_value_filler_decodes_to_none_not_zero():
    [obs] = sl651.decode(FUJIAN_QUERY_37).observations
    assert obs.elements["39"].raw == b"\xff\xff\xff\xff"
    assert obs.elements["39"].value is None
    assert obs.elements["20"].value == D("0.0")  # a real zero stays a zero
    assert obs.elements["38"].value == D("11.43")


def test_missing_points_inside_a_five_minute_series_decode_to_none():
    [obs] = sl651.decode(FUJIAN_QUERY_38).observations
    assert obs.elements["04"].value == D(0)  # time step 000000: DRP/DRZ combination follows (table C.1 note g)
    assert obs.elements["F4"].series == (None,) * 12


def test_several_observation_time_groups_in_one_frame_are_returned_in_order():
    frame = sl651.decode(FUJIAN_HOURLY_34)
    times = [obs.time for obs in frame.observations]
    assert times == [datetime(2022, 12, 2, 12, 20), datetime(2022, 12, 2, 13, 15),
                     datetime(2022, 12, 2, 12, 20), datetime(2022, 12, 2, 13, 15)]
    rain, accumulated, levels, current = frame.observations
    assert rain.elements["F4"].series == (D("0.0"),) * 12
    assert rain.elements["F4"].interval == timedelta(minutes=5)
    assert values(accumulated) == {"26": D("319.6")}
    assert levels.elements["F5"].series == (D("26.05"),) * 10 + (D("27.96"),) * 2
    assert values(current) == {"39": D("28.960"), "20": D("0.0"), "38": D("13.16")}
    assert {obs.station_address for obs in frame.observations} == {"1000000006"}


def test_evenly_timed_report_yields_a_series_at_the_time_step():
    [obs] = sl651.decode(FUJIAN_UNIFORM_31).observations
    assert obs.time == datetime(2022, 12, 5, 10, 5)
    assert obs.time_step == timedelta(minutes=5)
    level = obs.elements["39"]
    assert level.value is None
    assert level.series == (D("28.960"),) * 12
    assert level.interval == timedelta(minutes=5)


def test_station_status_word_splits_into_table_58_flags():
    [obs] = sl651.decode(BEIJING_TIMED_VENDOR).observations
    word = obs.elements["45"].value
    assert word == D(0x00600481)
    flags = sl651.status_flags(word)
    assert flags["ac_power_failure"] and flags["cabinet_door_closed"] and flags["pump_stopped"]
    assert not flags["battery_voltage_low"] and not flags["flow_alarm"]


# ----------------------------------------------------------------------------- vendor identifiers FFxx


def test_unmapped_vendor_identifiers_are_kept_not_dropped():
    [obs] = sl651.decode(BEIJING_TIMED_VENDOR).observations
    assert obs.elements["FF09"].name == "vendor_ff09"
    assert obs.elements["FF09"].value == D(20)
    assert obs.elements["FF33"].raw == h("0205") and obs.elements["FF33"].value == D("20.5")


def test_vendor_identifiers_are_named_by_the_per_model_map():
    frame = BEIJING_TIMED_VENDOR
    model_a = sl651.decode(frame, vendor_map={"ff33": ("water_temperature", "degC")})
    model_b = sl651.decode(frame, vendor_map={"FF33": ("pipe_pressure", "kPa"), "FF09": ("signal_quality", "")})
    a, b = model_a.observations[0].elements, model_b.observations[0].elements
    assert (a["FF33"].name, a["FF33"].unit, a["FF33"].value) == ("water_temperature", "degC", D("20.5"))
    assert a["FF09"].name == "vendor_ff09"
    assert (b["FF33"].name, b["FF33"].unit) == ("pipe_pressure", "kPa")
    assert b["FF09"].name == "signal_quality"


def test_vendor_accumulated_volume_is_read_from_hand_written_bytes():
    # FF 02 | definition 0x50 = 10 bytes, 0 decimals | 00000000000000123456 (BCD)
    body = (h("0001") + h("240101120000") + h("F1F1") + h("4113020001") + b"I" + h("F0F0") + h("2401011200")
            + h("FF02") + bytes([10 << 3 | 0]) + h("00000000000000123456"))
    frame = sl651.encode_frame(function_code=0x32, station_address="4113020001", body=body)
    [obs] = sl651.decode(frame, vendor_map={"FF02": ("accumulated_volume", "m3")}).observations
    volume = obs.elements["FF02"]
    assert (volume.name, volume.unit, volume.value) == ("accumulated_volume", "m3", D(123456))
    assert obs.station_category == "I"  # intake station (appendix A)


def test_unmapped_vendor_payload_that_is_not_bcd_keeps_raw_and_no_value():
    body = (h("0001240101120000F1F10012345678H".replace("H", "48")) + h("F0F02401011200")
            + h("FF7A") + bytes([2 << 3]) + h("ABCD"))
    frame = sl651.decode(sl651.encode_frame(function_code=0x32, station_address="0012345678", body=body))
    element = frame.observations[0].elements["FF7A"]
    assert (element.raw, element.value) == (h("ABCD"), None)


def test_a_standard_element_with_non_bcd_digits_is_a_format_error():
    body = h("0001240101120000F1F1001234567848F0F02401011200") + h("3923") + h("00A00127")
    with pytest.raises(FormatError):
        sl651.decode(sl651.encode_frame(function_code=0x32, station_address="0012345678", body=body))


# ----------------------------------------------------------------------------- negative values (6.6.3.3 a)


def test_negative_values_use_the_ff_prefix_of_6_6_3_3():
    # Odd digit count, N(3,1) air temperature -12.3: FF + 0123 ("FF0" + digits); 3 bytes incl. sign, 1 decimal.
    # Even digit count, 4 digits: -12.34 m water level written FF 1234; 3 bytes, 2 decimals.
    body = (h("0001240101120000F1F1001234567848F0F02401011200")
            + h("02") + bytes([3 << 3 | 1]) + h("FF0123")
            + h("39") + bytes([3 << 3 | 2]) + h("FF1234"))
    frame = sl651.decode(sl651.encode_frame(function_code=0x32, station_address="0012345678", body=body))
    assert values(frame.observations[0]) == {"02": D("-12.3"), "39": D("-12.34")}


def test_encoder_writes_negative_numbers_with_a_sign_byte_counted_in_the_length():
    frame = sl651.encode_upstream(station_address="0012345678", function_code=0x32, serial=1,
                                  send_time=datetime(2024, 1, 1, 12), station_category="H",
                                  observations=[(datetime(2024, 1, 1, 12), {"02": D("-12.3"), "39": D("-1.250")})])
    # 02: N(3,1) -> 2 BCD bytes + FF = 3 bytes (0x19); 39: N(7,3) -> 4 + 1 = 5 bytes (0x2B).
    assert h("0219FF0123") in frame
    assert h("392BFF00001250") in frame
    assert values(sl651.decode(frame).observations[0]) == {"02": D("-12.3"), "39": D("-1.250")}


# ----------------------------------------------------------------------------- encoder against published bytes


def test_encoder_reproduces_the_published_test_report_byte_for_byte():
    frame = sl651.encode_upstream(
        station_address="0012345678", center_address=1, password=0x1234, function_code=0x30, serial=3,
        send_time=datetime(2059, 10, 11, 15, 49, 47), station_category="H",
        observations=[(datetime(2059, 10, 11, 15, 49),
                       {"20": D("0.5"), "26": D("0.5"), "39": D("0.127"), "38": D("11.15")})])
    assert frame == BLOG_TEST_30


def test_encoder_reproduces_the_published_link_keepalive():
    frame = sl651.encode_upstream(station_address="0012345678", password=0x1234, function_code=0x2F, serial=3,
                                  send_time=datetime(2059, 10, 11, 15, 51, 11))
    assert frame == BLOG_LINK_2F


def test_encoder_reproduces_the_published_evenly_timed_report():
    frame = sl651.encode_upstream(
        station_address="1000000006", center_address=1, password=0, function_code=0x31, serial=0x2F7E,
        send_time=datetime(2022, 12, 5, 11, 0, 19), time_step=timedelta(minutes=5),
        observations=[(datetime(2022, 12, 5, 10, 5), {"39": [D("28.960")] * 12})])
    assert frame == FUJIAN_UNIFORM_31


# ----------------------------------------------------------------------------- downlink acknowledgement


@pytest.mark.parametrize("report, published_ack", [(BLOG_TEST_30, BLOG_TEST_30_ACK),
                                                   (BLOG_TIMED_32, BLOG_TIMED_32_ACK)])
def test_ack_reproduces_the_published_downlink_confirmation(report, published_ack):
    assert sl651.encode_ack(sl651.decode(report)) == published_ack


def test_ack_is_downlink_with_same_function_serial_and_send_time():
    ack = sl651.decode(BLOG_TEST_30_ACK)
    assert (ack.upstream, ack.function_code, ack.serial) == (False, 0x30, 3)
    assert ack.send_time == datetime(2059, 10, 11, 15, 49, 47)
    assert (ack.station_address, ack.center_address, ack.end_char) == ("0012345678", 0x01, sl651.ESC)
    # Downlink header order is station address then central address (table 21).
    assert BLOG_TEST_30_ACK[2:7] == h("0012345678") and BLOG_TEST_30_ACK[7] == 0x01
    assert BLOG_TEST_30_ACK[11] >> 4 == 0x8


def test_ack_end_char_follows_table_10():
    report = sl651.decode(BLOG_TEST_30)
    assert sl651.decode(sl651.encode_ack(report, keep_online=False)).end_char == sl651.EOT
    more = sl651.decode(sl651.encode_upstream(station_address="0012345678", function_code=0x32, serial=9,
                                              send_time=datetime(2024, 1, 1), end_char=sl651.ETB))
    assert sl651.decode(sl651.encode_ack(more)).end_char == sl651.ACK


def test_ack_can_carry_the_central_clock():
    now = datetime(2024, 5, 6, 7, 8, 9)
    ack = sl651.decode(sl651.encode_ack(sl651.decode(BLOG_TEST_30), send_time=now))
    assert (ack.serial, ack.send_time) == (3, now)


def test_link_keepalive_and_downlink_frames_are_not_acknowledged():
    with pytest.raises(ValueError):
        sl651.encode_ack(sl651.decode(BLOG_LINK_2F))
    with pytest.raises(ValueError):
        sl651.encode_ack(sl651.decode(BLOG_TEST_30_ACK))


# ----------------------------------------------------------------------------- corruption and framing errors


@pytest.mark.parametrize("position", [2, 5, 9, 10, 13, 14, 15, 20, 25, 30, 40, 50, 56, 57, 58, 59])
def test_one_corrupted_byte_is_rejected_by_the_crc(position):
    corrupted = bytearray(BLOG_TEST_30)
    corrupted[position] ^= 0x5A
    with pytest.raises(ChecksumError):
        sl651.decode(bytes(corrupted))


def test_a_corrupted_byte_anywhere_never_yields_a_frame():
    for frame in (BLOG_TEST_30, FUJIAN_HOURLY_34, BEIJING_TIMED_VENDOR):
        for position in range(len(frame)):
            for flip in (0x01, 0x80, 0xFF):
                corrupted = bytearray(frame)
                corrupted[position] ^= flip
                with pytest.raises(FrameError):
                    sl651.decode(bytes(corrupted))


@pytest.mark.parametrize("position", [0, 1, 12])
def test_corrupted_start_or_length_is_a_format_error(position):
    corrupted = bytearray(BLOG_TEST_30)
    corrupted[position] ^= 0x01
    with pytest.raises(FormatError):
        sl651.decode(bytes(corrupted))


def test_trailing_garbage_after_the_crc_is_a_format_error():
    with pytest.raises(FormatError):
        sl651.decode(FUJIAN_HOURLY_34 + b"\x7e")


def test_truncated_frames_are_format_errors():
    for cut in (0, 5, 16, len(BLOG_TEST_30) - 1):
        with pytest.raises(FormatError):
            sl651.decode(BLOG_TEST_30[:cut])


def test_unknown_end_char_is_a_format_error_even_with_a_valid_crc():
    frame = bytearray(BLOG_TEST_30[:-2])
    frame[-1] = 0x99
    frame += crc16_modbus(bytes(frame)).to_bytes(2, "big")
    with pytest.raises(FormatError):
        sl651.decode(bytes(frame))


def test_element_before_any_observation_time_is_a_format_error():
    body = h("0001240101120000F1F1001234567848") + h("3923") + h("00000127")
    with pytest.raises(FormatError):
        sl651.decode(sl651.encode_frame(function_code=0x32, station_address="0012345678", body=body))


def test_impossible_date_is_a_format_error():
    body = h("0001241301120000F1F1001234567848F0F02413011200")  # month 13
    with pytest.raises(FormatError):
        sl651.decode(sl651.encode_frame(function_code=0x32, station_address="0012345678", body=body))


# ----------------------------------------------------------------------------- ASCII mode (6.4, 6.6.2)


def test_ascii_frame_layout_matches_a_hand_written_frame():
    body = "0001240109160128ST 0012345678 H TT 2401091600 PJ 3.5 Z 12.340 VT 12.10 "
    head = "\x01" + "01" + "0012345678" + "1234" + "32" + "0" + f"{len(body):03X}" + "\x02"
    unsigned = (head + body + "\x03").encode("ascii")
    expected = unsigned + f"{crc16_modbus(unsigned):04X}".encode("ascii")
    built = sl651.encode_upstream(
        station_address="0012345678", password=0x1234, function_code=0x32, serial=1,
        send_time=datetime(2024, 1, 9, 16, 1, 28), encoding=sl651.Encoding.ASCII,
        observations=[(datetime(2024, 1, 9, 16, 0), {"20": D("3.5"), "39": D("12.34"), "38": D("12.1")})])
    assert built == expected

    frame = sl651.decode(expected)
    assert (frame.encoding, frame.function_code, frame.serial) == (sl651.Encoding.ASCII, 0x32, 1)
    assert frame.send_time == datetime(2024, 1, 9, 16, 1, 28)
    [obs] = frame.observations
    assert (obs.station_address, obs.station_category, obs.time) == ("0012345678", "H", datetime(2024, 1, 9, 16))
    assert values(obs) == {"20": D("3.5"), "39": D("12.340"), "38": D("12.10")}


def test_ascii_negative_missing_and_status_values():
    body = b"0002240109160128ST 0012345678 H TT 2401091600 AI -3.5 Z M ZT 00000481 "
    frame = sl651.decode(sl651.encode_frame(function_code=0x32, station_address="0012345678", body=body,
                                            encoding=sl651.Encoding.ASCII))
    assert values(frame.observations[0]) == {"02": D("-3.5"), "39": None, "45": D(0x481)}


def test_ascii_several_observation_groups_and_vendor_mnemonics():
    body = (b"0003240109160128ST 0012345678 K TT 2401091500 ZU 101.25 "
            b"TT 2401091600 ZU 101.30 LJLL 123456 ")
    frame = sl651.decode(sl651.encode_frame(function_code=0x32, station_address="0012345678", body=body,
                                            encoding=sl651.Encoding.ASCII),
                         vendor_map={"LJLL": ("accumulated_volume", "m3")})
    first, second = frame.observations
    assert (first.time, values(first)) == (datetime(2024, 1, 9, 15), {"3B": D("101.25")})
    assert second.elements["LJLL"].name == "accumulated_volume"
    assert second.elements["LJLL"].value == D(123456)


def test_ascii_evenly_timed_report_with_two_elements():
    body = b"0004240109160128ST 0012345678 H TT 2401091500 DRN30 Z VT 10.10 12.5 10.20 M "
    frame = sl651.decode(sl651.encode_frame(function_code=0x31, station_address="0012345678", body=body,
                                            encoding=sl651.Encoding.ASCII))
    [obs] = frame.observations
    assert obs.time_step == timedelta(minutes=30)
    assert obs.elements["39"].series == (D("10.10"), D("10.20"))
    assert obs.elements["38"].series == (D("12.5"), None)


def test_ascii_ack_is_ascii_and_echoes_serial_and_time():
    report = sl651.decode(sl651.encode_upstream(
        station_address="0012345678", function_code=0x33, serial=0x1A2B, send_time=datetime(2024, 1, 9, 16, 1, 28),
        encoding=sl651.Encoding.ASCII, observations=[(datetime(2024, 1, 9, 16), {"39": D("1.5")})]))
    ack = sl651.encode_ack(report)
    assert ack.startswith(b"\x01" + b"0012345678" + b"01" + b"0000" + b"33" + b"8010" + b"\x02")
    assert ack[24:40] == b"1A2B240109160128" and ack[40] == sl651.ESC
    decoded = sl651.decode(ack)
    assert (decoded.upstream, decoded.serial, decoded.send_time) == (False, 0x1A2B, datetime(2024, 1, 9, 16, 1, 28))


@pytest.mark.parametrize("position", [3, 12, 18, 30, 45, 60])
def test_ascii_corrupted_byte_is_rejected_by_the_crc(position):
    frame = bytearray(sl651.encode_upstream(
        station_address="0012345678", function_code=0x32, serial=1, send_time=datetime(2024, 1, 9, 16, 1, 28),
        encoding=sl651.Encoding.ASCII, observations=[(datetime(2024, 1, 9, 16), {"39": D("12.345")})]))
    frame[position] ^= 0x01
    with pytest.raises(ChecksumError):
        sl651.decode(bytes(frame))


# ----------------------------------------------------------------------------- multi-packet M3 (SYN)


def test_m3_packets_carry_counter_and_only_the_first_has_serial_and_time():
    body = h("0007240101120000F1F1001234567848F0F02401011200") + h("392300001250")
    first = sl651.encode_frame(function_code=0x31, station_address="0012345678", start_char=sl651.SYN,
                               packet=(2, 1), body=body[:12], end_char=sl651.ETB)
    second = sl651.encode_frame(function_code=0x31, station_address="0012345678", start_char=sl651.SYN,
                                packet=(2, 2), body=body[12:], end_char=sl651.ETX)
    assert first[13] == sl651.SYN and first[14:17] == h("002001")  # 12 bits total, 12 bits sequence
    p1, p2 = sl651.decode(first), sl651.decode(second)
    assert (p1.packet, p1.serial, p1.send_time) == ((2, 1), 7, datetime(2024, 1, 1, 12))
    assert (p2.packet, p2.serial, p2.observations) == ((2, 2), None, ())
    serial, _, observations = sl651.decode_body(0x32, p1.body + p2.body)
    assert serial == 7 and values(observations[0]) == {"39": D("1.250")}

    with pytest.raises(ValueError):
        sl651.encode_ack(p1)  # M3 confirms once, after the last packet
    ack = sl651.decode(sl651.encode_ack(p2, serial=p1.serial, send_time=p1.send_time))
    assert (ack.packet, ack.end_char, ack.serial) == ((2, 2), sl651.ESC, 7)


# ----------------------------------------------------------------------------- round-trip properties

# Elements with their N(D,d) from table C.1, restricted to values that fit.
_ELEMENT_CODES = ["20", "26", "27", "38", "39", "3B", "02", "0E", "60", "68"]


@st.composite
def element_values(draw):
    chosen = draw(st.lists(st.sampled_from(_ELEMENT_CODES), min_size=1, max_size=6, unique=True))
    out: dict[str, Decimal | None] = {}
    for code in chosen:
        definition = sl651.ELEMENTS[code]
        limit = 10**definition.digits - 1
        n = draw(st.one_of(st.none(), st.integers(-limit, limit)))
        out[code] = None if n is None else D(n).scaleb(-definition.decimals)
    return out


observation_times = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)).map(
    lambda t: t.replace(second=0, microsecond=0))


@settings(max_examples=150, deadline=None)
@given(
    station=st.text(alphabet="0123456789ABCDEF", min_size=10, max_size=10),
    serial=st.integers(1, 0xFFFF),
    send_time=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)).map(
        lambda t: t.replace(microsecond=0)),
    groups=st.lists(st.tuples(observation_times, element_values()), min_size=1, max_size=3),
    encoding=st.sampled_from(list(sl651.Encoding)),
    category=st.sampled_from(sorted(sl651.STATION_CATEGORIES)),
)
def test_encode_then_decode_returns_the_input(station, serial, send_time, groups, encoding, category):
    frame = sl651.decode(sl651.encode_upstream(
        station_address=station, function_code=0x32, serial=serial, send_time=send_time, observations=groups,
        encoding=encoding, station_category=category))
    assert (frame.station_address, frame.serial, frame.send_time) == (station, serial, send_time)
    assert [(obs.time, values(obs)) for obs in frame.observations] == groups
    assert {obs.station_category for obs in frame.observations} == {category}


@settings(max_examples=50, deadline=None)
@given(points=st.lists(st.one_of(st.none(), st.integers(-9999999, 9999999)), min_size=1, max_size=24),
       step=st.sampled_from([timedelta(minutes=5), timedelta(hours=1), timedelta(days=1)]),
       encoding=st.sampled_from(list(sl651.Encoding)))
def test_evenly_timed_series_round_trip(points, step, encoding):
    series = [None if n is None else D(n).scaleb(-3) for n in points]
    frame = sl651.decode(sl651.encode_upstream(
        station_address="0012345678", function_code=0x31, serial=1, send_time=datetime(2024, 1, 1),
        time_step=step, encoding=encoding, observations=[(datetime(2024, 1, 1), {"39": series})]))
    [obs] = frame.observations
    assert obs.time_step == step
    assert list(obs.elements["39"].series) == series


@pytest.mark.parametrize("encoding", list(sl651.Encoding))
def test_hourly_report_five_minute_series_round_trip(encoding):
    rain = [D("0.5")] * 6 + [None] + [D("25.4")] * 5
    level = [D("4.28")] * 11 + [None]
    frame = sl651.decode(sl651.encode_upstream(
        station_address="0030700300", function_code=0x34, serial=2, send_time=datetime(2026, 7, 1, 6, 0, 0),
        encoding=encoding, observations=[(datetime(2026, 7, 1, 5, 5), {"F4": rain, "F5": level, "39": D("4.280")})]))
    [obs] = frame.observations
    assert list(obs.elements["F4"].series) == rain and list(obs.elements["F5"].series) == level
    assert obs.elements["39"].value == D("4.280")


@pytest.mark.parametrize("encoding", list(sl651.Encoding))
def test_vendor_code_written_with_an_explicit_format_round_trips(encoding):
    code = "FF02" if encoding is sl651.Encoding.HEX else "LJSL"
    frame = sl651.encode_upstream(
        station_address="4113020001", function_code=0x32, serial=5, send_time=datetime(2024, 6, 1, 8),
        station_category="I", encoding=encoding, formats={code: (10, 0)},
        observations=[(datetime(2024, 6, 1, 8), {code: D(1234567890), "27": D("0.250")})])
    if encoding is sl651.Encoding.HEX:
        assert h("FF0228" + "1234567890") in frame  # N(10,0): 5 BCD bytes, definition 5 << 3 | 0 = 0x28
    [obs] = sl651.decode(frame, vendor_map={code: ("accumulated_volume", "m3")}).observations
    assert (obs.elements[code].name, obs.elements[code].value) == ("accumulated_volume", D(1234567890))
    assert obs.elements["27"].value == D("0.250")
