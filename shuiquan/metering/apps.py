from django.apps import AppConfig


class MeteringConfig(AppConfig):
    name = "shuiquan.metering"
    label = "metering"
    verbose_name = "监测计量 Metering"
