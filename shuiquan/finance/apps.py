from django.apps import AppConfig

ENUM_NAMES = {
    "PledgeKindEnum": "shuiquan.finance.models.PledgeKind",
    "PledgeStatusEnum": "shuiquan.finance.models.PledgeStatus",
    "FeeRightStatusEnum": "shuiquan.finance.models.FeeRightStatus",
}


class FinanceConfig(AppConfig):
    name = "shuiquan.finance"
    label = "finance"
    verbose_name = "资金与金融 Finance"

    def ready(self):
        from django.conf import settings

        overrides = settings.SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {})
        for name, path in ENUM_NAMES.items():
            overrides.setdefault(name, path)
