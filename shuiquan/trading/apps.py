from django.apps import AppConfig


class TradingConfig(AppConfig):
    name = "shuiquan.trading"
    label = "trading"
    verbose_name = "用水权交易 Trading"
