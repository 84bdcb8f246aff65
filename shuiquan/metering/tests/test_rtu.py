"""The RTU TCP server end to end: a real socket client sends SL 651 and SZY206 frames (built with
the protocol encoders from the standards' layouts), receives the acknowledgements, and the
readings are stored; a corrupted frame is rejected by its checksum, logged, never stored, never
acknowledged; a retransmitted frame stores nothing twice."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import threading
from decimal import Decimal

import pytest

from shuiquan.metering.choices import Source
from shuiquan.metering.models import DeviceModelProfile, IngestionBatch, Reading, RejectedFrame
from shuiquan.metering.protocols import sl651, szy206
from shuiquan.metering.rtu import Garbage, RtuServer, frame_length, sl651_records, szy206_records
from shuiquan.registry.choices import MeterProtocol

SEND = dt.datetime(2026, 11, 28, 8, 5)


def sl651_report(station, serial, when, elements, **kw):
    return sl651.encode_upstream(station_address=station, function_code=0x32, serial=serial, send_time=SEND,
                                 observations=[(when, elements)], formats={"FF02": (10, 0)}, **kw)


class Running:
    def __init__(self):
        self.server = RtuServer("127.0.0.1", 0, idle_timeout=30)
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        assert self.ready.wait(10)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        ready = asyncio.Event()

        async def main():
            task = asyncio.create_task(self.server.serve(ready))
            await ready.wait()
            self.ready.set()
            try:
                await task
            except asyncio.CancelledError:
                pass

        self.loop.run_until_complete(main())
        # let the connection handlers finish (they close their batches)
        pending = asyncio.all_tasks(self.loop)
        self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self.loop.close()

    def stop(self):
        def cancel():
            self.server.server.close()
            for t in asyncio.all_tasks(self.loop):
                if t.get_coro().__name__ == "main":
                    t.cancel()
        self.loop.call_soon_threadsafe(cancel)
        self.thread.join(10)
        self.server.close()


@pytest.fixture
def rtu_server(seeded_transactional_db):
    running = Running()
    yield running.server
    running.stop()


@pytest.fixture
def devices(seeded_transactional_db):
    from shuiquan.core.models import User

    from .conftest import Factory

    f = Factory(User.objects.get(username="city_admin"))
    sl = f.device(station="0013259001", model="RTU-651-TEST", protocol=MeterProtocol.SL651_HEX)
    DeviceModelProfile.objects.create(model="RTU-651-TEST", element_map={"FF02": "volume_m3"})
    zy = f.device(station="411325-09002", model="WMS-206-TEST", protocol=MeterProtocol.SZY206)
    return sl, zy


def exchange(port, frames, expect_replies, timeout=10.0):
    """Send frames on one connection; return the bytes received (until expect_replies frames)."""
    replies = []
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        for f in frames:
            s.sendall(f)
        buf = b""
        s.settimeout(timeout if expect_replies else 1.0)
        while len(replies) < expect_replies:
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
            while True:
                try:
                    head = frame_length(buf)
                except Garbage:
                    raise AssertionError(f"garbage from the server: {buf.hex()}") from None
                if head is None or len(buf) < head[1]:
                    break
                replies.append(buf[: head[1]])
                buf = buf[head[1]:]
        if not expect_replies:
            try:
                extra = s.recv(4096)
            except TimeoutError:
                extra = b""
            assert extra == b"", "no acknowledgement expected"
    return replies


def wait_for(predicate, timeout=10.0):
    import time

    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end
        time.sleep(0.05)


def test_sl651_rtu_gets_its_acknowledgement_and_the_readings_are_stored(rtu_server, devices):
    sl, _zy = devices
    frame = sl651_report(sl.station_address, 17, dt.datetime(2026, 11, 28, 8, 0),
                         {"39": Decimal("12.345"), "38": Decimal("3.61"), "27": Decimal("-0.125"), "FF02": Decimal("123456")})
    [ack] = exchange(rtu_server.port, [frame], 1)
    reply = sl651.decode(ack)
    assert not reply.upstream and reply.serial == 17 and reply.station_address == "0013259001" and reply.function_code == 0x32
    assert ack == sl651.encode_ack(sl651.decode(frame))
    wait_for(lambda: rtu_server.stats.readings_accepted == 1)
    r = Reading.objects.get(device=sl)
    assert r.observed_at == dt.datetime(2026, 11, 28, 0, 0, tzinfo=dt.UTC)  # 08:00 Beijing time
    assert (r.volume_m3, r.level_m, r.battery_v, r.flow_m3s) == (123456, Decimal("12.345"), Decimal("3.61"), Decimal("-0.125"))
    assert r.raw["frame"] == frame.hex().upper()
    # the RTU retransmits (it did not see the ACK): acknowledged again, nothing stored twice
    [again] = exchange(rtu_server.port, [frame], 1)
    assert sl651.decode(again).serial == 17
    wait_for(lambda: IngestionBatch.objects.filter(source=Source.SL651, duplicates=1).exists())
    assert Reading.objects.filter(device=sl).count() == 1


def test_corrupted_frames_garbage_and_unknown_stations_are_rejected_logged_and_not_acknowledged(rtu_server, devices):
    sl, _zy = devices
    good = sl651_report(sl.station_address, 18, dt.datetime(2026, 11, 28, 9, 0), {"39": Decimal("12.5"), "FF02": Decimal("123500")})
    bad = bytearray(good)
    bad[30] ^= 0x01  # one byte inside the body
    exchange(rtu_server.port, [bytes(bad)], 0)
    wait_for(lambda: RejectedFrame.objects.filter(code="bad_checksum").exists())
    rejected = RejectedFrame.objects.get(code="bad_checksum")
    assert rejected.frame_hex == bytes(bad).hex().upper() and rejected.protocol == "sl651"
    assert not Reading.objects.filter(device=sl).exists()
    # garbage and then a good frame on the same connection: the good one still gets through
    [ack] = exchange(rtu_server.port, [b"\x00\x13junk" + good], 1)
    assert sl651.decode(ack).serial == 18
    wait_for(lambda: Reading.objects.filter(device=sl).exists())
    assert RejectedFrame.objects.filter(code="garbage").exists()
    # a valid frame from a station nobody registered: rejected, not stored, not acknowledged
    stranger = sl651_report("0099999999", 1, dt.datetime(2026, 11, 28, 8, 0), {"39": Decimal("1.0")})
    exchange(rtu_server.port, [stranger], 0)
    wait_for(lambda: RejectedFrame.objects.filter(code="unknown_station").exists())
    assert RejectedFrame.objects.get(code="unknown_station").station_address == "0099999999"
    # one packet of a multi-packet (M3, SYN) report: not reassembled, so refused rather than acknowledged
    packet = sl651.encode_frame(function_code=0x36, station_address=sl.station_address, body=bytes(range(16)),
                                start_char=sl651.SYN, packet=(2, 1), end_char=sl651.ETB)
    exchange(rtu_server.port, [packet], 0)
    wait_for(lambda: RejectedFrame.objects.filter(code="multipacket_unsupported").exists())


def test_szy206_terminal_report_is_stored_and_confirmed(rtu_server, devices):
    _sl, zy = devices
    address = szy206.Address.from_division("411325", 9002)
    label = szy206.TimeLabel.from_datetime(dt.datetime(2026, 11, 28, 10, 0))
    frame = szy206.encode_report(address, 3, [(Decimal("450.000"), Decimal("7654321"))], time_label=label, flow_unit="m3/h")
    [ack] = exchange(rtu_server.port, [frame], 1)
    reply = szy206.decode(ack)
    assert not reply.control.upstream and str(reply.address) == "411325-09002" and reply.afn == 0xC0
    wait_for(lambda: Reading.objects.filter(device=zy).exists())
    r = Reading.objects.get(device=zy)
    assert r.volume_m3 == 7654321 and r.flow_m3s == Decimal("0.1250")  # 450 m³/h
    assert r.observed_at == dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.UTC)


def test_mapping_of_decoded_frames_to_records():
    # missing-value fillers stay missing; evenly-timed reports give one reading per step
    frame = sl651.decode(sl651.encode_upstream(
        station_address="0013259001", function_code=0x32, serial=2, send_time=SEND,
        observations=[(dt.datetime(2026, 11, 28, 8, 0), {"39": None, "38": Decimal("3.5")})]))
    [rec] = sl651_records(frame, {}, "")
    assert rec["level_m"] is None and rec["battery_v"] == Decimal("3.5")
    uniform = sl651.decode(sl651.encode_upstream(
        station_address="0013259001", function_code=0x31, serial=3, send_time=SEND, time_step=dt.timedelta(hours=1),
        observations=[(dt.datetime(2026, 11, 28, 0, 0), {"39": [Decimal("1.1"), None, Decimal("1.3")]})]))
    recs = sl651_records(uniform, {}, "")
    assert [r["observed_at"][11:16] for r in recs] == ["00:00", "01:00", "02:00"]
    assert [r["level_m"] for r in recs] == [Decimal("1.1"), None, Decimal("1.3")]
    z = szy206.decode(szy206.encode_report(szy206.Address.from_division("411325", 1), 3, [(None, Decimal("5"))]))
    [zr] = szy206_records(z, {}, "", dt.datetime(2026, 11, 28, 1, 2, 3, tzinfo=dt.UTC))
    assert zr["flow_m3s"] is None and zr["volume_m3"] == Decimal("5") and zr["time_source"] == "received"
