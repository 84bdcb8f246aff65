from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "shuiquan.finance"
    label = "finance"
    verbose_name = "资金与金融 Finance"

    def ready(self):
        from . import params  # noqa: F401  (defines the app's parameters)
        from .signals import connect

        connect()
