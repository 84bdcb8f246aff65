from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "shuiquan.portal"
    label = "portal"
    verbose_name = "信息公开 Portal"
