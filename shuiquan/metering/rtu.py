"""The TCP server for RTUs (``manage.py rtu_server``): SL 651-2014 and SZY206-2016 / SL/T 427-2021.

Per connection the server splits the byte stream into frames by their start bytes — ``7E 7E``
(SL 651 HEX/BCD), ``01`` SOH (SL 651 ASCII), ``68`` (SZY206) — and the length each header gives,
decodes each frame with ``shuiquan.metering.protocols`` (pure functions), maps the station address
to a registered ``MeteringDevice.station_address``, turns the decoded elements into reading
records and stores them through the same ingestion service as every other path (one batch per
connection, rotated every ``window`` seconds). Only after the readings are committed does it send
the protocol's acknowledgement, so an RTU retransmits whatever was not stored (and a retransmitted
frame stores nothing twice).

A frame whose checksum fails, or that breaks the standard's layout, or comes from an unregistered
station, or is one packet of a multi-packet report (SL 651 M3 / SZY206 DIV, not reassembled), is
logged and kept in ``RejectedFrame`` (never stored as readings) and not acknowledged.
Bytes that start no frame are skipped up to the next start byte and logged the same way.

Element mapping (docs/metering.md):

* SL 651: ``39`` water level (else ``3C`` intake level 1) → level_m; ``27`` instantaneous flow (else
  ``28`` intake flow 1) → flow_m3s; ``38`` supply voltage → battery_v. SL 651 has no accumulated
  volume element: meters send it as a vendor identifier ``FFxx``, mapped per device model in
  ``DeviceModelProfile.element_map`` (e.g. ``{"FF02": "volume_m3"}``), which may also override the
  standard choices. Evenly-timed reports (31H) become one reading per step.
* SZY206: ``accumulated_volume_1`` → volume_m3, ``flow_1`` (m³/s, or m³/h divided by 3600) →
  flow_m3s, ``water_level_1`` → level_m, ``voltage_1`` → battery_v; the observation time is the
  frame's time label (a 5-byte label is resolved against the receive time; no label → receive
  time). Profiles may map other meters (``{"accumulated_volume_2": "volume_m3"}``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import DatabaseError, close_old_connections, connections
from django.utils import timezone

from .choices import Source
from .ingestion import TZ
from .protocols import ChecksumError, FormatError, FrameError, sl651, szy206

log = logging.getLogger("shuiquan.metering.rtu")

SL651_HEX, SL651_ASCII, SZY206 = "sl651", "sl651_ascii", "szy206"
MAX_FRAME = 8192

SL651_DEFAULTS = {"39": "level_m", "3C": "level_m", "27": "flow_m3s", "28": "flow_m3s", "38": "battery_v"}
SL651_PREFERENCE = {"level_m": ["39", "3C"], "flow_m3s": ["27", "28"], "battery_v": ["38"]}
SZY206_DEFAULTS = {"accumulated_volume_1": "volume_m3", "flow_1": "flow_m3s", "water_level_1": "level_m", "voltage_1": "battery_v"}
FIELDS = ("volume_m3", "flow_m3s", "level_m", "battery_v")


# ---------------------------------------------------------------------------------------------
# Framing (pure)
# ---------------------------------------------------------------------------------------------


class Garbage(Exception):
    """Bytes at the head of the buffer that cannot start a frame (``skip`` of them)."""

    def __init__(self, skip: int):
        super().__init__(skip)
        self.skip = skip


def _next_start(buf: bytes, begin: int = 1) -> int:
    candidates = [i for i in (buf.find(b"\x7e\x7e", begin), buf.find(b"\x01", begin), buf.find(b"\x68", begin)) if i >= 0]
    return min(candidates) if candidates else len(buf)


def frame_length(buf: bytes) -> tuple[str, int] | None:
    """(protocol, length) of the frame at the head of ``buf``; None if more bytes are needed.
    Raises ``Garbage`` if the head cannot be a frame."""
    if not buf:
        return None
    if buf[0] == 0x7E:
        if len(buf) < 2:
            return None
        if buf[1] != 0x7E:
            raise Garbage(_next_start(buf))
        if len(buf) < 13:
            return None
        body = int.from_bytes(buf[11:13], "big") & 0x0FFF
        return SL651_HEX, 13 + 1 + body + 1 + 2
    if buf[0] == 0x01:
        if len(buf) < 23:
            return None
        try:
            body = int(buf[19:23].decode("ascii"), 16) & 0x0FFF
        except (UnicodeDecodeError, ValueError):
            raise Garbage(_next_start(buf)) from None
        return SL651_ASCII, 23 + 1 + body + 1 + 4
    if buf[0] == 0x68:
        if len(buf) < 3:
            return None
        if buf[2] != 0x68 or buf[1] == 0:
            raise Garbage(_next_start(buf))
        return SZY206, buf[1] + 5
    raise Garbage(_next_start(buf, 0) or 1)


# ---------------------------------------------------------------------------------------------
# Decoded frame → reading records (pure)
# ---------------------------------------------------------------------------------------------


def _aware(naive: dt.datetime) -> dt.datetime:
    return naive.replace(tzinfo=TZ) if naive.tzinfo is None else naive


def sl651_records(frame: sl651.SL651Frame, mapping: dict[str, str], frame_hex: str) -> list[dict[str, Any]]:
    """One record per observation group (per step for evenly-timed series)."""
    out: list[dict[str, Any]] = []
    custom = {code.upper(): name for code, name in mapping.items() if name in FIELDS}
    for obs in frame.observations:
        station = obs.station_address or frame.station_address
        chosen: dict[str, str] = {}
        for name, codes in SL651_PREFERENCE.items():
            code = next((c for c in codes if c in obs.elements), None)
            if code:
                chosen[name] = code
        for code, name in custom.items():
            if code in obs.elements:
                chosen[name] = code
        if not chosen:
            continue
        series = {name: obs.elements[code] for name, code in chosen.items() if obs.elements[code].series is not None}
        base = {"station": station, "protocol": "SL651", "function": f"{frame.function_code:02X}", "serial": frame.serial,
                "frame": frame_hex, "elements": {code: str(obs.elements[code].value) if obs.elements[code].value is not None else None
                                                  for code in chosen.values()}}
        if series:
            element = next(iter(series.values()))
            step = element.interval or obs.time_step
            if not step:
                continue
            for k, _v in enumerate(element.series):
                rec = {**base, "observed_at": _aware(obs.time + k * step).isoformat()}
                for name, el in series.items():
                    rec[name] = el.series[k] if k < len(el.series) else None
                out.append(rec)
            continue
        rec = {**base, "observed_at": _aware(obs.time).isoformat()}
        for name, code in chosen.items():
            rec[name] = obs.elements[code].value
        out.append(rec)
    return out


def szy206_records(frame: szy206.Szy206Frame, mapping: dict[str, str], frame_hex: str, received: dt.datetime) -> list[dict[str, Any]]:
    if not frame.elements:
        return []
    chosen = {name: key for key, name in SZY206_DEFAULTS.items() if key in frame.elements}
    for key, name in mapping.items():
        if name in FIELDS and key in frame.elements:
            chosen[name] = key
    if not chosen:
        return []
    local_received = timezone.localtime(received, TZ).replace(tzinfo=None)
    if frame.time_label is not None:
        observed = _aware(frame.time_label.resolve(local_received))
        time_source = "time_label"
    else:
        observed = _aware(local_received.replace(microsecond=0))
        time_source = "received"
    rec: dict[str, Any] = {"station": str(frame.address), "observed_at": observed.isoformat(), "protocol": "SZY206",
                           "afn": f"{frame.afn:02X}", "time_source": time_source, "frame": frame_hex,
                           "alarm": frame.alarm, "status": frame.status}
    for name, key in chosen.items():
        el = frame.elements[key]
        value = el.value
        if name == "flow_m3s" and value is not None and el.unit == "m3/h":
            value = value / Decimal(3600)
        rec[name] = value
        rec.setdefault("elements", {})[key] = None if el.value is None else f"{el.value} {el.unit}"
    return [rec]


def station_refs(protocol: str, frame) -> list[str]:
    """The references a device may be registered under (its ``station_address``)."""
    if protocol == SZY206:
        return [str(frame.address), frame.address.raw.hex().upper()]
    return [frame.station_address.upper()]


# ---------------------------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------------------------


@dataclass
class ConnStats:
    frames: int = 0
    acked: int = 0
    rejected: int = 0
    readings_accepted: int = 0


@dataclass
class ServerStats:
    connections: int = 0
    frames: int = 0
    acked: int = 0
    rejected_frames: int = 0
    readings_accepted: int = 0
    per_peer: dict[str, ConnStats] = field(default_factory=dict)


class Store:
    """The synchronous (Django) side, run in worker threads."""

    def __init__(self, window_seconds: int = 300):
        self.window_seconds = window_seconds

    def open(self, peer: str, protocol: str):
        from .services import open_batch

        close_old_connections()
        source = Source.SZY206 if protocol == SZY206 else Source.SL651
        return open_batch(actor=f"rtu:{peer}", source=source, label=f"rtu:{peer}", extra={"peer": peer, "protocol": protocol})

    def close(self, batch, peer: str) -> None:
        from .services import close_batch

        close_old_connections()
        close_batch(batch, actor=f"rtu:{peer}")

    def device_for(self, refs: list[str]):
        from shuiquan.registry.models import MeteringDevice

        from .models import DeviceModelProfile

        close_old_connections()
        from django.db.models import Q

        q = Q()
        for ref in refs:
            q |= Q(station_address__iexact=ref)
        device = MeteringDevice.objects.filter(q).first() if refs else None
        if device is None:
            return None, {}
        profile = DeviceModelProfile.objects.filter(model=device.model).first()
        return device, dict(profile.element_map) if profile else {}

    def store(self, batch, peer: str, records: list[dict], first_row: int):
        from .ingestion import Directory
        from .services import add_records

        close_old_connections()
        return add_records(batch, [(first_row + i, r) for i, r in enumerate(records)], actor=f"rtu:{peer}",
                           directory=Directory(None, by="station"))

    def reject(self, *, peer: str, protocol: str, data: bytes, code: str, message: str, station: str = "", batch=None) -> None:
        from .models import RejectedFrame

        close_old_connections()
        RejectedFrame.objects.create(received_at=timezone.now(), protocol=protocol, peer=peer[:60], station_address=station[:20],
                                     frame_hex=data[:MAX_FRAME].hex().upper(), code=code, message=message[:300], batch=batch)


class Connection:
    def __init__(self, server: RtuServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.server = server
        self.reader, self.writer = reader, writer
        peer = writer.get_extra_info("peername") or ("?", 0)
        self.peer = f"{peer[0]}:{peer[1]}"
        self.buf = b""
        self.batch = None
        self.batch_opened = 0.0
        self.row = 0
        self.stats = ConnStats()

    async def db(self, fn, *args, **kwargs):
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.server.executor, lambda: fn(*args, **kwargs))

    async def handle(self) -> None:
        self.server.stats.connections += 1
        self.server.stats.per_peer[self.peer] = self.stats
        log.info("RTU connected: %s", self.peer)
        try:
            while True:
                try:
                    chunk = await asyncio.wait_for(self.reader.read(4096), timeout=self.server.idle_timeout)
                except TimeoutError:
                    log.info("RTU %s idle for %s s; closing", self.peer, self.server.idle_timeout)
                    break
                if not chunk:
                    break
                self.buf += chunk
                await self.drain_frames()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            if self.buf:
                await self.reject(self.buf, "incomplete", "连接关闭时报文不完整 / incomplete frame at disconnect", "")
            if self.batch is not None:
                try:
                    await self.db(self.server.store.close, self.batch, self.peer)
                except DatabaseError:
                    log.exception("closing batch of %s failed", self.peer)
            self.writer.close()
            log.info("RTU disconnected: %s", self.peer)

    async def drain_frames(self) -> None:
        while self.buf:
            try:
                head = frame_length(self.buf)
            except Garbage as g:
                junk, self.buf = self.buf[: g.skip], self.buf[g.skip :]
                await self.reject(junk, "garbage", "无法识别的字节（不是任何报文的起始） / bytes that start no frame", "")
                continue
            if head is None:
                if len(self.buf) > MAX_FRAME:
                    await self.reject(self.buf, "too_long", "报文过长 / frame too long", "")
                    self.buf = b""
                return
            protocol, length = head
            if length > MAX_FRAME:
                junk, self.buf = self.buf[:1], self.buf[1:]
                await self.reject(junk, "bad_length", f"长度字段无效：{length}", protocol)
                continue
            if len(self.buf) < length:
                return
            frame, self.buf = self.buf[:length], self.buf[length:]
            await self.on_frame(protocol, frame)

    async def reject(self, data: bytes, code: str, message: str, protocol: str, station: str = "") -> None:
        self.stats.rejected += 1
        self.server.stats.rejected_frames += 1
        log.warning("RTU %s: rejected %s frame (%s): %s", self.peer, protocol or "?", code, data[:64].hex().upper())
        batch = await self.ensure_batch(protocol or SL651_HEX)
        await self.db(self.server.store.reject, peer=self.peer, protocol=protocol or "?", data=data, code=code, message=message,
                      station=station, batch=batch)

    async def ensure_batch(self, protocol: str):
        loop = asyncio.get_running_loop()
        if self.batch is not None and loop.time() - self.batch_opened > self.server.window_seconds:
            await self.db(self.server.store.close, self.batch, self.peer)
            self.batch = None
        if self.batch is None:
            self.batch = await self.db(self.server.store.open, self.peer, protocol)
            self.batch_opened = loop.time()
            self.row = 0
        return self.batch

    async def on_frame(self, protocol: str, data: bytes) -> None:
        self.stats.frames += 1
        self.server.stats.frames += 1
        received = timezone.now()
        try:
            frame = sl651.decode(data) if protocol in (SL651_HEX, SL651_ASCII) else szy206.decode(data)
        except ChecksumError as exc:
            await self.reject(data, "bad_checksum", f"校验码错误 / checksum mismatch: {exc}", protocol)
            return
        except (FormatError, FrameError) as exc:
            await self.reject(data, "bad_format", f"报文格式错误 / format error: {exc}", protocol)
            return
        if protocol != SZY206 and not frame.upstream or protocol == SZY206 and not frame.control.upstream:
            await self.reject(data, "not_upstream", "不是上行报文 / not an upstream frame", protocol)
            return
        if protocol != SZY206 and frame.packet is not None or protocol == SZY206 and frame.control.div:
            # Multi-packet reports (SL 651 M3 / SZY206 DIV) are not reassembled: refusing them (no
            # acknowledgement) is better than acknowledging data that was not stored.
            await self.reject(data, "multipacket_unsupported", "多包报文暂不支持（未确认，终端将重发） / multi-packet frames are not supported",
                              protocol)
            return
        refs = station_refs(protocol, frame)
        device, mapping = await self.db(self.server.store.device_for, refs)
        if device is None:
            await self.reject(data, "unknown_station", f"未登记的遥测站地址 / unregistered station: {refs[0]}", protocol, refs[0])
            return
        if protocol != SZY206 and any(k.upper().startswith("FF") for k in mapping):
            vendor = {k.upper(): (v, "") for k, v in mapping.items() if k.upper().startswith("FF")}
            try:
                frame = sl651.decode(data, vendor_map=vendor)
            except FrameError as exc:
                await self.reject(data, "bad_format", f"报文格式错误 / format error: {exc}", protocol, refs[0])
                return
        frame_hex = data.hex().upper()
        if protocol == SZY206:
            records = szy206_records(frame, mapping, frame_hex, received)
        else:
            records = sl651_records(frame, mapping, frame_hex)
        for rec in records:
            rec["station"] = device.station_address  # the registered form of the address
            rec["peer"] = self.peer
        if records:
            batch = await self.ensure_batch(protocol)
            try:
                result = await self.db(self.server.store.store, batch, self.peer, records, self.row + 1)
            except DatabaseError:
                log.exception("storing frame from %s failed; not acknowledged (the RTU will retransmit)", self.peer)
                self.batch = None
                return
            self.row += len(records)
            self.stats.readings_accepted += result.accepted
            self.server.stats.readings_accepted += result.accepted
        await self.acknowledge(protocol, frame, received)

    async def acknowledge(self, protocol: str, frame, received: dt.datetime) -> None:
        try:
            if protocol == SZY206:
                reply = szy206.encode_ack(frame, now=timezone.localtime(received, TZ).replace(tzinfo=None, microsecond=0))
            else:
                if frame.function_code == 0x2F:  # link keep-alive has no downlink (6.6.4.2)
                    return
                reply = sl651.encode_ack(frame)
        except ValueError as exc:
            log.info("no acknowledgement for %s frame from %s: %s", protocol, self.peer, exc)
            return
        self.writer.write(reply)
        await self.writer.drain()
        self.stats.acked += 1
        self.server.stats.acked += 1


class RtuServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 5651, *, window_seconds: int = 300, idle_timeout: float = 600,
                 db_threads: int = 1):
        self.host, self.port = host, port
        self.window_seconds = window_seconds
        self.idle_timeout = idle_timeout
        self.store = Store(window_seconds)
        # Django's ORM is synchronous: database work runs in a worker thread (one by default, so
        # frames are stored in arrival order; an hourly-reporting RTU fleet needs no more).
        self.executor = ThreadPoolExecutor(max_workers=db_threads, thread_name_prefix="rtu-db")
        self.stats = ServerStats()
        self.server: asyncio.base_events.Server | None = None

    async def serve(self, ready=None) -> None:
        self.server = await asyncio.start_server(lambda r, w: Connection(self, r, w).handle(), self.host, self.port)
        self.port = self.server.sockets[0].getsockname()[1]
        log.info("RTU server listening on %s:%s (SL 651-2014, SZY206-2016 / SL/T 427-2021)", self.host, self.port)
        if ready is not None:
            ready.set()
        async with self.server:
            await self.server.serve_forever()

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
        # The database work runs in one worker thread: close its connections there, then stop it.
        self.executor.submit(connections.close_all).result(timeout=30)
        self.executor.shutdown(wait=True)


__all__ = ["RtuServer", "frame_length", "sl651_records", "szy206_records", "station_refs"]
