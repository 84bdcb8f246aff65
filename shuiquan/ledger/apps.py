from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "shuiquan.ledger"
    label = "ledger"
    verbose_name = "用水权账本 Ledger"
