"""Crash safety of MQTT ingestion (issue 7, item 5; docs/reliability-crash.md), with real processes:
``manage.py mqtt_ingest`` as a subprocess on the test database, the real Mosquitto, ``kill -9``
while a batch transaction is open, messages published during the outage, a restart with the same
client id — and every reading stored exactly once, no partial batch.

Runs on both databases (the SQLite test database is a file the subprocess opens too). Needs the broker like the other MQTT tests (a failure with REQUIRE_MQTT=1).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter

import pytest
from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from shuiquan.core.tests.children import Child, child_env, poll
from shuiquan.metering.choices import BatchStatus, Source
from shuiquan.metering.models import IngestionBatch, Reading

from .test_mqtt import Publisher, broker, purge_session  # noqa: F401  (the broker fixture, REQUIRE_MQTT)

pytestmark = [pytest.mark.mqtt, pytest.mark.postgres]

N_DEVICES = 5
N_IN_FLIGHT = 120  # published while the ingester runs; the kill lands in the transaction storing them
N_OUTAGE = 60      # published while the ingester is dead


def _make_session(client_id: str, prefix: str) -> None:
    """Create the ingester's persistent session (clean_session=False, QoS 1 subscription) on the
    broker before the ingester first starts, so nothing published from now on can miss it."""
    import threading

    import paho.mqtt.client as mqtt

    done = threading.Event()
    c = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False,
                    protocol=mqtt.MQTTv311)
    c.on_subscribe = lambda *a: done.set()
    c.connect(settings.MQTT_HOST, settings.MQTT_PORT)
    c.loop_start()
    c.subscribe(f"{prefix}/readings/+", qos=1)
    assert done.wait(10), "no SUBACK from the broker"
    c.disconnect()
    c.loop_stop()


def _batches(client_id: str):
    return IngestionBatch.objects.filter(source=Source.MQTT, label=f"mqtt:{client_id}").order_by("pk")


def _assert_batches_whole(client_id: str) -> None:
    """No partial batch: each batch's counts agree with the readings that carry it."""
    for b in _batches(client_id).annotate(rows=Count("readings")):
        assert b.rows == b.accepted, f"batch {b.number}: {b.rows} reading(s) stored but {b.accepted} counted"
        assert b.offered == b.accepted + b.duplicates + b.conflicts + b.rejected, f"batch {b.number} counts do not add up"
        assert b.conflicts == 0 and b.rejected == 0


def test_kill_9_during_a_batch_leaves_no_partial_batch_and_the_restart_stores_every_message_once(broker, seeded_transactional_db,  # noqa: F811
                                                                                                  tmp_path):
    from shuiquan.core.models import User

    from .conftest import Factory

    env = child_env()  # the same database as this test
    maker = Factory(User.objects.get(username="city_admin"))
    devices = [maker.device() for _ in range(N_DEVICES)]
    run_id = uuid.uuid4().hex[:10]
    prefix, client_id = f"sqcrash/{run_id}/v1", f"sqcrash-ingest-{run_id}"
    base = (timezone.now() - dt.timedelta(days=2)).replace(second=0, microsecond=0)

    def reading(k: int) -> tuple[str, dict]:
        device = devices[k % N_DEVICES]
        return f"{prefix}/readings/{device.serial}", {"observed_at": (base + dt.timedelta(minutes=k)).isoformat(), "volume_m3": 1000 + k}

    def stored() -> int:
        return Reading.objects.filter(device__in=devices).count()

    args = ["mqtt_ingest", "--prefix", prefix, "--client-id", client_id, "--window", "3600", "--no-results"]
    _make_session(client_id, prefix)
    publisher = Publisher()
    first = second = None
    try:
        # 1. The ingester runs with the fault armed at its 2nd batch transaction (the 1st passes).
        first = Child.manage(*args, env={**env, "SHUIQUAN_FAULT": "ingest_chunk:120:1"}, log_path=tmp_path / "ingest-1.log")
        publisher.publish(*reading(0))
        poll(lambda: stored() == 1, 60, lambda: f"reading 0 not stored:\n{first.output()[-2000:]}")
        # 2. Many messages; the ingester's next transaction writes them and stops at the fault point.
        for k in range(1, 1 + N_IN_FLIGHT):
            publisher.publish(*reading(k))
        sleeping = first.wait_fault("ingest_chunk", 60)
        assert sleeping == first.pid
        assert stored() == 1  # written, not committed: invisible
        first.kill9()
        assert first.wait_exit(30) == -9

        # 3. After the kill: the interrupted transaction left nothing; the open batch is whole.
        assert stored() == 1
        killed = list(_batches(client_id))
        assert len(killed) == 1 and killed[0].status == BatchStatus.RUNNING and killed[0].accepted == 1
        _assert_batches_whole(client_id)

        # 4. More readings while the ingester is down (the broker queues them for its session).
        for k in range(1 + N_IN_FLIGHT, 1 + N_IN_FLIGHT + N_OUTAGE):
            publisher.publish(*reading(k))
        assert stored() == 1

        # 5. Restart with the same client id, no fault: everything arrives, once.
        total = 1 + N_IN_FLIGHT + N_OUTAGE
        second = Child.manage(*args, env=env, log_path=tmp_path / "ingest-2.log")
        poll(lambda: stored() >= total, 90, lambda: f"{stored()} of {total} stored:\n{second.output()[-2000:]}")
        assert second.terminate(30) == 0  # a clean stop closes its batch
    finally:
        publisher.close()
        for child in (first, second):
            if child is not None:
                child.close()
        purge_session(client_id)

    rows = list(Reading.objects.filter(device__in=devices).values_list("device__serial", "observed_at", "volume_m3"))
    expected = {(topic.rsplit("/", 1)[1], dt.datetime.fromisoformat(r["observed_at"]), r["volume_m3"]) for topic, r in map(reading, range(total))}
    assert len(rows) == total
    assert not [k for k, n in Counter((s, t) for s, t, _v in rows).items() if n > 1]  # nothing twice
    assert set(rows) == expected  # every message, with its values
    batches = list(_batches(client_id))
    assert batches[0].pk == killed[0].pk and batches[0].accepted == 1
    assert "restart" in batches[0].error  # the window the crash left open was closed at the restart
    assert all(b.status == BatchStatus.DONE for b in batches)
    assert sum(b.accepted for b in batches) == total
    _assert_batches_whole(client_id)
