from django.apps import AppConfig

#: OpenAPI enum component names for the registry's choice sets (several models have a ``kind`` or
#: ``status`` field with different choices; without names drf-spectacular would make up hashed ones).
ENUM_NAMES = {
    "RegionKindEnum": "shuiquan.registry.choices.RegionKind",
    "SourceKindEnum": "shuiquan.registry.choices.SourceKind",
    "SourceTypeEnum": "shuiquan.registry.choices.SourceType",
    "WaterUseEnum": "shuiquan.registry.choices.WaterUse",
    "WithdrawalMethodEnum": "shuiquan.registry.choices.WithdrawalMethod",
    "PermitStatusEnum": "shuiquan.registry.choices.PermitStatus",
    "WaterUserKindEnum": "shuiquan.registry.choices.WaterUserKind",
    "AuthorityLevelEnum": "shuiquan.registry.choices.AuthorityLevel",
    "IntakeKindEnum": "shuiquan.registry.choices.IntakeKind",
    "MeterProtocolEnum": "shuiquan.registry.choices.MeterProtocol",
    "DeviceStatusEnum": "shuiquan.registry.choices.DeviceStatus",
    "DistrictKindEnum": "shuiquan.registry.choices.DistrictKind",
    "DistrictScaleEnum": "shuiquan.registry.choices.DistrictScale",
    "AssociationKindEnum": "shuiquan.registry.choices.AssociationKind",
    "QuotaKindEnum": "shuiquan.registry.choices.QuotaKind",
    "StatisticKindEnum": "shuiquan.registry.choices.StatisticKind",
}


class RegistryConfig(AppConfig):
    name = "shuiquan.registry"
    label = "registry"
    verbose_name = "台账 Registry"

    def ready(self):
        from django.conf import settings

        from . import params  # noqa: F401  (declares the registry's parameters)

        # Each app names its own enums here rather than in settings.py, so apps do not collide.
        overrides = settings.SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {})
        for name, path in ENUM_NAMES.items():
            overrides.setdefault(name, path)
