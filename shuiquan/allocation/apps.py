from django.apps import AppConfig


class AllocationConfig(AppConfig):
    name = "shuiquan.allocation"
    label = "allocation"
    verbose_name = "初始水权分配 Allocation"

    def ready(self):
        from . import params  # noqa: F401  (defines the app's parameters)
