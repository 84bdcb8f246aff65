from django.apps import AppConfig


class PilotConfig(AppConfig):
    name = "shuiquan.pilot"
    label = "pilot"
    verbose_name = "试点任务 Pilot"
