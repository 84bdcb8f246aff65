from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "shuiquan.supervision"
    label = "supervision"
    verbose_name = "监管 Supervision"
