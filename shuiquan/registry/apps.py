from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "shuiquan.registry"
    label = "registry"
    verbose_name = "台账 Registry"

    def ready(self):
        from . import params  # noqa: F401  (declares the registry's parameters)
