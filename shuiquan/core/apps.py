from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "shuiquan.core"
    label = "core"
    verbose_name = "平台基础 Core"

    def ready(self):
        from . import signals  # noqa: F401
