"""Login throttling: failures are counted in the database (so the limit holds across worker
processes); after ``SHUIQUAN_LOGIN_MAX_FAILURES`` failures for a username or an address within
``SHUIQUAN_LOGIN_WINDOW_SECONDS``, further attempts are refused until the window passes."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import LoginFailure


def client_address(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def is_locked_out(username: str, address: str | None) -> bool:
    since = timezone.now() - dt.timedelta(seconds=settings.SHUIQUAN_LOGIN_WINDOW_SECONDS)
    q = Q(username=username.lower())
    if address:
        q |= Q(address=address)
    return LoginFailure.objects.filter(q, at__gte=since).count() >= settings.SHUIQUAN_LOGIN_MAX_FAILURES


def record_failure(username: str, address: str | None) -> None:
    LoginFailure.objects.create(username=username.lower()[:150], address=address)


def clear_failures(username: str) -> None:
    LoginFailure.objects.filter(username=username.lower()).delete()
