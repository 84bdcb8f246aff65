from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "shuiquan.registry"
    label = "registry"
    verbose_name = "台账 Registry"
