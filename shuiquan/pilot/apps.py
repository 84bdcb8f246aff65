from django.apps import AppConfig

ENUM_NAMES = {
    "PilotTaskStatusEnum": "shuiquan.pilot.models.TaskStatus",
    "PilotTaskSourceEnum": "shuiquan.pilot.models.TaskSource",
}


class PilotConfig(AppConfig):
    name = "shuiquan.pilot"
    label = "pilot"
    verbose_name = "试点任务 Pilot"

    def ready(self):
        from django.conf import settings

        overrides = settings.SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {})
        for name, path in ENUM_NAMES.items():
            overrides.setdefault(name, path)
