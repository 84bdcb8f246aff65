"""MQTT ingestion: a long-running subscriber (``manage.py mqtt_ingest``) against a real broker.

Topic scheme (docs/metering.md):

    <prefix>/readings/<device serial>      devices or gateways publish readings here (QoS 1)
    <prefix>/results/<device serial>       the subscriber publishes what it accepted (QoS 1)

``<prefix>`` is ``shuiquan/v1`` unless configured. The payload is UTF-8 JSON: one reading object,
an array of them, or ``{"readings": [...]}``::

    {"observed_at": "2026-11-28T08:00:00+08:00", "volume_m3": 123456.7, "flow_m3s": 0.052,
     "level_m": null, "battery_v": 3.61, "quality": "good"}

The device is the topic's last level (a ``device`` key in the payload, if present, must match).
Numbers are read as exact decimals. Times without an offset are Beijing time.

Delivery guarantees (at least once, never lost, never counted twice):

- The client uses a fixed client id and a persistent session (``clean_session=False``) and
  subscribes with QoS 1, so the broker keeps queueing messages while the subscriber is down.
- Acknowledgements are manual (paho-mqtt 2.x ``manual_ack=True``): a message is acknowledged
  (PUBACK) only after the transaction that stored its readings — or recorded why they were
  rejected — has committed. If the database is unavailable, the subscriber keeps the messages,
  retries with backoff and does not acknowledge; the broker stops sending once its in-flight
  window is full and queues the rest. A crash loses nothing: unacknowledged messages are
  redelivered to the next session.
- A redelivered message stores nothing new: the readings table is unique per (device, time), so a
  second delivery is counted as a duplicate.
- Network loss: paho reconnects with exponential backoff (1 s … 60 s). Message ids belong to one
  connection, so acknowledgements still pending for a dropped connection are discarded; the
  broker redelivers those messages, which then count as duplicates.

Messages are grouped into one ``IngestionBatch`` per window (default 5 minutes), which is closed
with its audit record when the window ends or the subscriber stops; a window left open by a crash
is closed at the next start.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections, connections

from .choices import BatchStatus, Source
from .ingestion import Directory, parse_json_payload
from .models import IngestionBatch

log = logging.getLogger("shuiquan.metering.mqtt")

DEFAULT_PREFIX = "shuiquan/v1"
DB_ERRORS = (OperationalError, InterfaceError, DatabaseError)


@dataclass
class Incoming:
    generation: int
    mid: int
    qos: int
    topic: str
    payload: bytes
    dup: bool


@dataclass
class Stats:
    received: int = 0
    acked: int = 0
    stored_batches: int = 0
    readings_accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    db_failures: int = 0
    connects: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **kwargs: int) -> None:
        with self.lock:
            for k, v in kwargs.items():
                setattr(self, k, getattr(self, k) + v)


def records_from_message(topic: str, payload: bytes, prefix: str) -> list[dict[str, Any]]:
    """The reading records of one message (rejections included, as ``_reject`` records)."""
    head = f"{prefix}/readings/"
    serial = topic[len(head):] if topic.startswith(head) else ""
    if not serial or "/" in serial:
        return [{"_reject": ("bad_topic", (topic[:100],)), "topic": topic}]
    try:
        data = parse_json_payload(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        return [{"_reject": ("bad_payload", (str(exc)[:100],)), "device": serial, "payload": payload[:500].decode("utf-8", "replace")}]
    items = data.get("readings") if isinstance(data, dict) and "readings" in data else data
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list) or not items:
        return [{"_reject": ("bad_payload", ("expected an object, an array or {\"readings\": [...]}",)), "device": serial}]
    out = []
    for item in items:
        if not isinstance(item, dict):
            out.append({"_reject": ("bad_payload", (f"not an object: {str(item)[:50]}",)), "device": serial})
            continue
        given = item.get("device")
        if given not in (None, "", serial):
            out.append({"_reject": ("device_mismatch", (str(given)[:40], serial)), **item, "device": serial})
            continue
        out.append({**item, "device": serial, "mqtt_topic": topic})
    return out


class MqttIngestor:
    """Subscribe, store, acknowledge. ``run()`` blocks until ``stop()``."""

    def __init__(self, *, host: str | None = None, port: int | None = None, prefix: str = DEFAULT_PREFIX,
                 client_id: str = "shuiquan-ingest", username: str | None = None, password: str | None = None,
                 window_seconds: int = 300, max_messages: int = 500, flush_seconds: float = 0.5,
                 retry_max_seconds: float = 30.0, keepalive: int = 30, refresh_usage_seconds: float = 60.0,
                 publish_results: bool = True):
        self.host = host or settings.MQTT_HOST
        self.port = port or settings.MQTT_PORT
        self.prefix = prefix.rstrip("/")
        self.client_id = client_id
        self.username, self.password = username, password
        self.window_seconds = window_seconds
        self.max_messages = max_messages
        self.flush_seconds = flush_seconds
        self.retry_max_seconds = retry_max_seconds
        self.keepalive = keepalive
        self.refresh_usage_seconds = refresh_usage_seconds
        self.publish_results = publish_results
        self.inbox: queue.Queue[Incoming] = queue.Queue()
        self.stats = Stats()
        self.generation = 0
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        self._stop = threading.Event()
        self._batch_id: int | None = None
        self._batch_opened = 0.0
        self._row = 0
        self._directory = Directory(None, by="device")
        self.client = self._make_client()

    # --- the paho side (network thread) ---------------------------------------------------------

    def _make_client(self):
        import paho.mqtt.client as mqtt

        client = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2, client_id=self.client_id, clean_session=False,
            protocol=mqtt.MQTTv311, manual_ack=True,
        )
        if self.username:
            client.username_pw_set(self.username, self.password)
        client.reconnect_delay_set(min_delay=1, max_delay=60)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        return client

    @property
    def topic_filter(self) -> str:
        return f"{self.prefix}/readings/+"

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            log.error("MQTT connect refused: %s", reason_code)
            return
        self.generation += 1
        self.stats.add(connects=1)
        log.info("MQTT connected to %s:%s as %s (session present: %s)", self.host, self.port, self.client_id,
                 flags.session_present)
        client.subscribe(self.topic_filter, qos=1)
        self.connected.set()

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties):
        self.subscribed.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        self.connected.clear()
        self.subscribed.clear()
        if not self._stop.is_set():
            log.warning("MQTT disconnected (%s); reconnecting", reason_code)

    def _on_message(self, client, userdata, message):
        # Never blocks and never touches the database: the storing thread does.
        self.stats.add(received=1)
        self.inbox.put(Incoming(self.generation, message.mid, message.qos, message.topic, bytes(message.payload), bool(message.dup)))

    # --- the storing side (caller's thread) -----------------------------------------------------

    def start_network(self) -> None:
        self.client.connect_async(self.host, self.port, keepalive=self.keepalive)
        self.client.loop_start()

    def run(self) -> None:
        self._close_abandoned_batches()
        self.start_network()
        last_refresh = time.monotonic()
        try:
            while not self._stop.is_set():
                pending = self._collect()
                if pending:
                    self._store_with_retry(pending)
                self._maybe_rotate_batch()
                if self.refresh_usage_seconds and time.monotonic() - last_refresh > self.refresh_usage_seconds:
                    last_refresh = time.monotonic()
                    self._refresh_usage()
            # Drain what has arrived before stopping (those are acknowledged too).
            pending = self._collect(block=False)
            if pending:
                self._store_with_retry(pending)
        finally:
            self._close_batch()
            self.client.disconnect()
            self.client.loop_stop()
            connections.close_all()

    def stop(self) -> None:
        self._stop.set()

    def _collect(self, block: bool = True) -> list[Incoming]:
        out: list[Incoming] = []
        deadline = time.monotonic() + self.flush_seconds
        while len(out) < self.max_messages:
            timeout = deadline - time.monotonic()
            if not block or timeout <= 0:
                try:
                    out.append(self.inbox.get_nowait())
                    continue
                except queue.Empty:
                    break
            try:
                out.append(self.inbox.get(timeout=timeout))
            except queue.Empty:
                break
        return out

    def _store_with_retry(self, messages: list[Incoming]) -> None:
        delay = 0.5
        while True:
            try:
                results = self._store(messages)
            except DB_ERRORS as exc:
                # The database is unavailable (or the connection broke): keep the messages, do not
                # acknowledge, try again. The broker holds everything else.
                self.stats.add(db_failures=1)
                log.warning("storing %d MQTT message(s) failed (%s); retrying in %.1f s", len(messages), exc, delay)
                for conn in connections.all():
                    conn.close_if_unusable_or_obsolete()
                    try:
                        conn.close()
                    except DB_ERRORS:
                        pass
                if self._stop.wait(delay):
                    # Stopping while the database is down: leave the messages unacknowledged;
                    # the broker redelivers them to the next session.
                    return
                delay = min(delay * 2, self.retry_max_seconds)
                continue
            self._ack(messages)
            self._publish_results(results)
            return

    def _store(self, messages: list[Incoming]) -> dict[str, dict]:
        from .services import add_records

        close_old_connections()
        batch = self._current_batch()
        records: list[tuple[int, dict]] = []
        per_device: dict[str, list[int]] = {}
        row = self._row
        for msg in messages:
            for rec in records_from_message(msg.topic, msg.payload, self.prefix):
                row += 1
                rec = {**rec, "mqtt_mid": msg.mid, "mqtt_dup": msg.dup}
                records.append((row, rec))
                per_device.setdefault(str(rec.get("device", "")), []).append(row)
        result = add_records(batch, records, actor=f"mqtt:{self.client_id}", directory=self._directory)
        self._row = row
        self.stats.add(stored_batches=1, readings_accepted=result.accepted, duplicates=result.duplicates + result.conflicts,
                       rejected=result.rejected)
        issues_by_row = {i.row: i for i in result.issues}
        summary: dict[str, dict] = {}
        for device, rows in per_device.items():
            issues = [issues_by_row[r].as_dict() for r in rows if r in issues_by_row]
            summary[device] = {"batch": batch.number, "offered": len(rows), "accepted": len(rows) - len(issues), "issues": issues}
        return summary

    def _ack(self, messages: list[Incoming]) -> None:
        current = self.generation
        for msg in messages:
            if msg.qos == 0:
                continue
            if msg.generation != current:
                continue  # that connection is gone; the broker will redeliver (a harmless duplicate)
            self.client.ack(msg.mid, msg.qos)
            self.stats.add(acked=1)

    def _publish_results(self, summary: dict[str, dict]) -> None:
        if not self.publish_results:
            return
        for device, body in summary.items():
            if device and "/" not in device and "+" not in device and "#" not in device:
                self.client.publish(f"{self.prefix}/results/{device}", json.dumps(body, ensure_ascii=False), qos=1)

    # --- batch windows -------------------------------------------------------------------------

    @property
    def label(self) -> str:
        return f"mqtt:{self.client_id}"

    def _current_batch(self) -> IngestionBatch:
        from .services import open_batch

        if self._batch_id is not None:
            batch = IngestionBatch.objects.filter(pk=self._batch_id, status=BatchStatus.RUNNING).first()
            if batch is not None:
                return batch
        batch = open_batch(actor=self.label, source=Source.MQTT, label=self.label,
                           extra={"client_id": self.client_id, "broker": f"{self.host}:{self.port}", "topic": self.topic_filter})
        self._batch_id, self._batch_opened, self._row = batch.pk, time.monotonic(), 0
        self._directory = Directory(None, by="device")  # device lookups are cached for one window only
        return batch

    def _maybe_rotate_batch(self) -> None:
        if self._batch_id is not None and time.monotonic() - self._batch_opened >= self.window_seconds:
            self._close_batch()

    def _close_batch(self) -> None:
        from .services import close_batch

        if self._batch_id is None:
            return
        try:
            batch = IngestionBatch.objects.filter(pk=self._batch_id, status=BatchStatus.RUNNING).first()
            if batch is not None:
                close_batch(batch, actor=self.label)
            self._batch_id = None
        except DB_ERRORS as exc:
            log.warning("closing MQTT batch %s failed (%s); it will be closed at the next start", self._batch_id, exc)

    def _close_abandoned_batches(self) -> None:
        from .services import close_batch

        for batch in IngestionBatch.objects.filter(source=Source.MQTT, status=BatchStatus.RUNNING, label=self.label):
            close_batch(batch, actor=self.label, error="窗口在订阅进程重启时关闭 / closed at subscriber restart")

    def _refresh_usage(self) -> None:
        from .services import refresh_usage

        try:
            refresh_usage(limit=200)
        except DB_ERRORS as exc:
            log.warning("use recomputation skipped (%s)", exc)


def unique_client_id(base: str = "shuiquan-ingest") -> str:
    return f"{base}-{uuid.uuid4().hex[:8]}"


__all__ = ["DEFAULT_PREFIX", "MqttIngestor", "records_from_message", "unique_client_id"]
