from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_partitions(sender, using="default", **kwargs):
    from django.db import connections

    if connections[using].vendor != "postgresql":
        return
    from . import partitions

    first, last = partitions.default_window()
    partitions.ensure_partitions(first, last)


class MeteringConfig(AppConfig):
    name = "shuiquan.metering"
    label = "metering"
    verbose_name = "监测计量 Metering"

    def ready(self):
        from . import params, signals  # noqa: F401

        post_migrate.connect(_ensure_partitions, sender=self, dispatch_uid="metering_ensure_partitions")
