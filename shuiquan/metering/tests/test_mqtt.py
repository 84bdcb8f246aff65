"""MQTT end to end against the real broker (Mosquitto on 127.0.0.1:1883).

Skipped with a message when no broker answers, unless REQUIRE_MQTT=1 (CI), where it fails.
Each test uses its own topic prefix and client id, so parallel runs do not collide.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid

import pytest
from django.conf import settings
from django.db import OperationalError

from shuiquan.metering import services
from shuiquan.metering.choices import BatchStatus, Source
from shuiquan.metering.models import IngestionBatch, Reading
from shuiquan.metering.mqtt import MqttIngestor, records_from_message

pytestmark = pytest.mark.mqtt


def broker_up() -> bool:
    try:
        with socket.create_connection((settings.MQTT_HOST, settings.MQTT_PORT), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture
def broker():
    if not broker_up():
        msg = f"no MQTT broker answers at {settings.MQTT_HOST}:{settings.MQTT_PORT} (start Mosquitto to run the end-to-end MQTT tests)"
        if os.environ.get("REQUIRE_MQTT") == "1":
            pytest.fail(f"REQUIRE_MQTT=1 but {msg}")
        pytest.skip(msg)
    return settings.MQTT_HOST, settings.MQTT_PORT


@pytest.fixture
def prefix():
    return f"sqtest/{uuid.uuid4().hex[:10]}/v1"


class Publisher:
    def __init__(self):
        import paho.mqtt.client as mqtt

        self.client = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2, client_id=f"sqtest-pub-{uuid.uuid4().hex[:8]}")
        self.client.connect(settings.MQTT_HOST, settings.MQTT_PORT)
        self.client.loop_start()

    def publish(self, topic: str, payload) -> None:
        body = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
        info = self.client.publish(topic, body, qos=1)
        info.wait_for_publish(timeout=10)
        assert info.is_published()

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def publisher(broker):
    pub = Publisher()
    yield pub
    pub.close()


def purge_session(client_id: str) -> None:
    """Drop the broker's persistent session of ``client_id`` (a clean-session connect does that)."""
    import paho.mqtt.client as mqtt

    c = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
    c.connect(settings.MQTT_HOST, settings.MQTT_PORT)
    c.disconnect()


class Running:
    """An ingestor in a thread."""

    def __init__(self, prefix: str, client_id: str):
        self.ingestor = MqttIngestor(prefix=prefix, client_id=client_id, window_seconds=3600, flush_seconds=0.2,
                                     refresh_usage_seconds=0, retry_max_seconds=0.5)
        self.thread = threading.Thread(target=self.ingestor.run, daemon=True)
        self.thread.start()
        assert self.ingestor.subscribed.wait(15), "the subscriber did not subscribe"

    def wait_acked(self, n: int, timeout: float = 20) -> None:
        end = time.monotonic() + timeout
        while self.ingestor.stats.acked < n:
            assert time.monotonic() < end, f"only {self.ingestor.stats.acked} of {n} message(s) acknowledged"
            time.sleep(0.05)

    def stop(self) -> None:
        self.ingestor.stop()
        self.thread.join(20)
        assert not self.thread.is_alive()


@pytest.fixture
def device(seeded_transactional_db):
    from .conftest import Factory

    from shuiquan.core.models import User

    return Factory(User.objects.get(username="city_admin")).device()


def test_mqtt_readings_are_stored_once_and_a_duplicate_publish_stores_nothing_new(broker, publisher, prefix, device):
    client_id = f"sqtest-sub-{uuid.uuid4().hex[:8]}"
    run = Running(prefix, client_id)
    try:
        topic = f"{prefix}/readings/{device.serial}"
        publisher.publish(topic, {"observed_at": "2026-11-01T08:00:00+08:00", "volume_m3": 1000.4, "flow_m3s": 0.011})
        publisher.publish(topic, [{"observed_at": "2026-11-01T09:00:00+08:00", "volume_m3": 1040},
                                  {"observed_at": "2026-11-01T10:00:00+08:00", "volume_m3": 1080, "battery_v": "3.6"}])
        run.wait_acked(2)
        assert run.ingestor.stats.readings_accepted == 3
        # the same reading again: acknowledged, nothing new stored
        publisher.publish(topic, {"observed_at": "2026-11-01T08:00:00+08:00", "volume_m3": 1000.4, "flow_m3s": 0.011})
        publisher.publish(topic, b"{not json")
        run.wait_acked(4)
        assert run.ingestor.stats.readings_accepted == 3
        assert run.ingestor.stats.duplicates == 1 and run.ingestor.stats.rejected == 1
    finally:
        run.stop()
        purge_session(client_id)
    assert Reading.objects.filter(device=device).count() == 3
    assert Reading.objects.get(device=device, volume_m3=1000).raw["volume_m3"] == "1000.4"
    batch = IngestionBatch.objects.get(source=Source.MQTT, label=f"mqtt:{client_id}")
    assert batch.status == BatchStatus.DONE
    assert (batch.offered, batch.accepted, batch.duplicates, batch.rejected) == (5, 3, 1, 1)
    assert sorted(batch.issues.values_list("code", flat=True)) == ["bad_payload", "duplicate"]


def test_messages_published_while_the_subscriber_is_down_are_delivered_at_restart(broker, publisher, prefix, device):
    client_id = f"sqtest-sub-{uuid.uuid4().hex[:8]}"
    run = Running(prefix, client_id)  # creates the persistent session and its subscription
    run.stop()
    try:
        topic = f"{prefix}/readings/{device.serial}"
        for h in (8, 9):
            publisher.publish(topic, {"observed_at": f"2026-11-02T0{h}:00:00+08:00", "volume_m3": 100 * h})
        again = Running(prefix, client_id)
        again.wait_acked(2)
        again.stop()
    finally:
        purge_session(client_id)
    assert sorted(Reading.objects.filter(device=device).values_list("volume_m3", flat=True)) == [800, 900]


def test_no_message_is_lost_or_acknowledged_while_the_database_is_unavailable(broker, publisher, prefix, device, monkeypatch):
    real = services.add_records
    failures = {"left": 3}

    def flaky(*args, **kwargs):
        if failures["left"]:
            failures["left"] -= 1
            raise OperationalError("could not connect to server: Connection refused (simulated outage)")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "add_records", flaky)
    client_id = f"sqtest-sub-{uuid.uuid4().hex[:8]}"
    run = Running(prefix, client_id)
    try:
        publisher.publish(f"{prefix}/readings/{device.serial}", {"observed_at": "2026-11-03T08:00:00+08:00", "volume_m3": 7})
        end = time.monotonic() + 10
        while run.ingestor.stats.db_failures < 1:
            assert time.monotonic() < end
            time.sleep(0.02)
        assert run.ingestor.stats.acked == 0  # not acknowledged while it could not be stored
        run.wait_acked(1)
        assert run.ingestor.stats.db_failures == 3
    finally:
        run.stop()
        purge_session(client_id)
    assert Reading.objects.filter(device=device).count() == 1


def test_topic_and_payload_parsing():
    ok = records_from_message("p/v1/readings/NY1", b'{"observed_at": "2026-01-01 08:00", "volume_m3": 1.5}', "p/v1")
    assert ok[0]["device"] == "NY1" and str(ok[0]["volume_m3"]) == "1.5"
    assert records_from_message("p/v1/other/NY1", b"{}", "p/v1")[0]["_reject"][0] == "bad_topic"
    assert records_from_message("p/v1/readings/NY1", b'{"device": "NY2", "volume_m3": 1}', "p/v1")[0]["_reject"][0] == "device_mismatch"
    assert records_from_message("p/v1/readings/NY1", b"[]", "p/v1")[0]["_reject"][0] == "bad_payload"
    assert len(records_from_message("p/v1/readings/NY1", b'{"readings": [{"volume_m3": 1}, 5]}', "p/v1")) == 2


def test_the_subscriber_reconnects_after_losing_the_broker_connection(broker, publisher, prefix, device):
    client_id = f"sqtest-sub-{uuid.uuid4().hex[:8]}"
    run = Running(prefix, client_id)
    try:
        topic = f"{prefix}/readings/{device.serial}"
        publisher.publish(topic, {"observed_at": "2026-11-04T08:00:00+08:00", "volume_m3": 10})
        run.wait_acked(1)
        # cut the TCP connection under paho's feet: it must notice, reconnect and resubscribe
        run.ingestor.client.socket().shutdown(socket.SHUT_RDWR)
        end = time.monotonic() + 30
        while run.ingestor.stats.connects < 2 or not run.ingestor.subscribed.is_set():
            assert time.monotonic() < end, "did not reconnect"
            time.sleep(0.05)
        publisher.publish(topic, {"observed_at": "2026-11-04T09:00:00+08:00", "volume_m3": 20})
        run.wait_acked(2)
    finally:
        run.stop()
        purge_session(client_id)
    assert sorted(Reading.objects.filter(device=device).values_list("volume_m3", flat=True)) == [10, 20]
