"""Subscribe to the MQTT broker and store the readings devices publish (long-running process).

    manage.py mqtt_ingest                                   # 127.0.0.1:1883, prefix shuiquan/v1
    manage.py mqtt_ingest --host mq.example --port 1883 --prefix shuiquan/v1 --client-id shuiquan-ingest-1

Topic ``<prefix>/readings/<device serial>``, QoS 1, JSON payload (docs/metering.md). The client id
must be fixed per subscriber process: the broker keeps its persistent session (and the messages
published while it is down) under that id. Run one process per client id; several processes with
different ids and a shared subscription on the broker side scale it out. Credentials from
MQTT_USERNAME / MQTT_PASSWORD. Stops cleanly on SIGINT/SIGTERM (pending messages are stored and
acknowledged, the open batch is closed).
"""

import logging
import os
import signal

from django.conf import settings
from django.core.management.base import BaseCommand

from shuiquan.metering.mqtt import DEFAULT_PREFIX, MqttIngestor


class Command(BaseCommand):
    help = "Run the MQTT subscriber that stores meter readings."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=settings.MQTT_HOST)
        parser.add_argument("--port", type=int, default=settings.MQTT_PORT)
        parser.add_argument("--prefix", default=os.environ.get("MQTT_TOPIC_PREFIX", DEFAULT_PREFIX))
        parser.add_argument("--client-id", default=os.environ.get("MQTT_CLIENT_ID", "shuiquan-ingest"))
        parser.add_argument("--window", type=int, default=300, help="seconds per ingestion batch (default 300)")
        parser.add_argument("--no-results", action="store_true", help="do not publish results to <prefix>/results/<serial>")

    def handle(self, *args, host, port, prefix, client_id, window, no_results, **options):
        logging.getLogger("shuiquan").setLevel(logging.INFO)
        ingestor = MqttIngestor(host=host, port=port, prefix=prefix, client_id=client_id, window_seconds=window,
                                username=os.environ.get("MQTT_USERNAME") or None, password=os.environ.get("MQTT_PASSWORD") or None,
                                publish_results=not no_results)
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: ingestor.stop())
        self.stdout.write(f"subscribing to {ingestor.topic_filter} on {host}:{port} as {client_id} (QoS 1, persistent session)")
        ingestor.run()
        s = ingestor.stats
        self.stdout.write(f"stopped: received={s.received} acked={s.acked} accepted={s.readings_accepted} "
                          f"duplicates={s.duplicates} rejected={s.rejected} db_failures={s.db_failures}")
