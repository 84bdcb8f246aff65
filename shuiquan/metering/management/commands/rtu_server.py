"""The TCP server RTUs connect to: SL 651-2014 (HEX/BCD and ASCII) and SZY206-2016 / SL/T 427-2021.

    manage.py rtu_server                          # 127.0.0.1:5651
    manage.py rtu_server --host 0.0.0.0 --port 5651

One port serves both protocols (told apart by the start bytes 7E7E / 01 / 68). Each frame is
decoded, its station address mapped to a registered metering device, its readings stored, and the
acknowledgement sent only after they are committed. Bad frames are logged in RejectedFrame and not
acknowledged. Stops on SIGINT/SIGTERM.
"""

import asyncio
import logging
import os
import signal

from django.core.management.base import BaseCommand

from shuiquan.metering.rtu import RtuServer


class Command(BaseCommand):
    help = "Run the TCP server for SL 651 and SZY206 RTUs."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("RTU_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("RTU_PORT", 5651)))
        parser.add_argument("--window", type=int, default=300, help="seconds per ingestion batch of a connection")
        parser.add_argument("--idle-timeout", type=int, default=600, help="close a connection idle this long (s)")

    def handle(self, *args, host, port, window, idle_timeout, **options):
        logging.getLogger("shuiquan").setLevel(logging.INFO)
        server = RtuServer(host, port, window_seconds=window, idle_timeout=idle_timeout)

        async def main():
            task = asyncio.create_task(server.serve())
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, task.cancel)
            try:
                await task
            except asyncio.CancelledError:
                pass

        self.stdout.write(f"RTU server on {host}:{port} (SL 651-2014 HEX/ASCII, SZY206-2016 / SL/T 427-2021)")
        try:
            asyncio.run(main())
        finally:
            server.close()
            s = server.stats
            self.stdout.write(f"stopped: connections={s.connections} frames={s.frames} acked={s.acked} "
                              f"rejected={s.rejected_frames} readings={s.readings_accepted}")
