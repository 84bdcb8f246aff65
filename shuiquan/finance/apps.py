from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "shuiquan.finance"
    label = "finance"
    verbose_name = "资金与金融 Finance"
