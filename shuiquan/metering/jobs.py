"""Background work of the metering capability (STYLE #19: thin runners over services).

- An upload's preview or import runs off the request: ``start(batch_id)`` hands it to a thread
  after the request's transaction commits. The batch row is the job record (status, progress,
  heartbeat, error), so any process may take over an abandoned upload: ``manage.py metering_jobs``
  runs every queued or stale upload, then recomputes dirty use and evaluates alarms, in a loop.
- ``METERING_INLINE_JOBS = True`` (tests) runs the upload synchronously instead.
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import connections, transaction

log = logging.getLogger("shuiquan.metering")


def _run(batch_id: int) -> None:
    from .services import run_batch

    try:
        run_batch(batch_id)
    except Exception:  # noqa: BLE001 - recorded on the batch by run_batch; keep the thread quiet
        log.exception("background upload %s failed", batch_id)
    finally:
        connections.close_all()


def start(batch_id: int) -> None:
    """Run the upload's next step (preview or import) in the background once the caller commits."""
    if getattr(settings, "METERING_INLINE_JOBS", False):
        _run_inline(batch_id)
        return
    transaction.on_commit(lambda: threading.Thread(target=_run, args=(batch_id,), name=f"metering-batch-{batch_id}",
                                                   daemon=True).start())


def _run_inline(batch_id: int) -> None:
    from .services import run_batch

    run_batch(batch_id)


def run_pending(*, evaluate: bool = True) -> dict[str, int]:
    """One round of the periodic job: uploads waiting or abandoned, dirty use, alarms."""
    from . import partitions
    from .services import close_stale_streams, evaluate_alarms, refresh_usage, run_batch, runnable_batches

    done = {"uploads": 0, "devices_recomputed": 0}
    first, last = partitions.default_window()
    done["partitions_created"] = len(partitions.ensure_partitions(first, last))
    for batch_id in runnable_batches():
        if run_batch(batch_id) is not None:
            done["uploads"] += 1
    done["stale_windows_closed"] = close_stale_streams()
    done["devices_recomputed"] = refresh_usage()
    if evaluate:
        done.update({f"alarms_{k}": v for k, v in evaluate_alarms().items()})
    return done
