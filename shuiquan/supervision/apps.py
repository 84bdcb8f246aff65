from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "shuiquan.supervision"
    label = "supervision"
    verbose_name = "监管 Supervision"

    def ready(self):
        from . import params  # noqa: F401  (defines the app's parameters)
