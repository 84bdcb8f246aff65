"""Core signal handlers: audit of logins and logouts."""

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db import transaction
from django.dispatch import receiver

from . import audit


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    with transaction.atomic():
        audit.record(actor=user, action="login", object_type="core.user", object_id=str(user.pk),
                     object_repr=user.username, region_code="")


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is None:
        return
    with transaction.atomic():
        audit.record(actor=user, action="logout", object_type="core.user", object_id=str(user.pk),
                     object_repr=user.username, region_code="")
