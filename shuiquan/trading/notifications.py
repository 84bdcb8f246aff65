"""Notifications of trade events, sent only after the transaction commits (STYLE #13).

The platform has no mail or SMS gateway yet; events go to the ``shuiquan.trading`` log, where an
operator (or, later, a messaging integration) picks them up. Call ``notify`` inside a service:
the message is queued with ``transaction.on_commit`` and dropped if the service fails.
"""

from __future__ import annotations

import logging

from django.db import transaction

log = logging.getLogger("shuiquan.trading")
SENT: list[tuple[str, str]] = []  # the last events sent in this process (for tests and the ops page)


def _send(event: str, text: str) -> None:
    SENT.append((event, text))
    del SENT[:-200]
    log.info("trade event %s: %s", event, text)


def notify(event: str, text: str) -> None:
    transaction.on_commit(lambda: _send(event, text))
