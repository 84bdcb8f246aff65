from django.apps import AppConfig


class TradingConfig(AppConfig):
    name = "shuiquan.trading"
    label = "trading"
    verbose_name = "用水权交易 Trading"

    def ready(self):
        from . import params, signals  # noqa: F401
