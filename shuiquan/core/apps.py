from django.apps import AppConfig


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def name_choice_enums() -> dict[str, str]:
    """OpenAPI component names for every TextChoices/IntegerChoices class of the project.

    drf-spectacular names an enum after the field (``kind``, ``status``, ``source``…); several of our
    models share field names with different choice sets, which would give hashed names like
    ``Kind5d3Enum``. Naming each choice class ``<ClassName>Enum`` (prefixed with the app label when two
    apps use the same class name) keeps the schema stable as apps are added. Identical choice sets
    keep the first name (drf-spectacular refuses two names for one set).
    """
    from django.db import models

    classes = [c for base in (models.TextChoices, models.IntegerChoices) for c in _all_subclasses(base)
               if c.__module__.startswith("shuiquan.")]
    counts: dict[str, int] = {}
    for c in classes:
        counts[c.__name__] = counts.get(c.__name__, 0) + 1
    names: dict[str, str] = {}
    seen: set[tuple] = set()
    for c in sorted(classes, key=lambda c: (c.__module__, c.__qualname__)):
        key = tuple(c.values)
        if key in seen:
            continue
        seen.add(key)
        app = c.__module__.split(".")[1]
        name = c.__name__ if counts[c.__name__] == 1 else f"{app.title()}{c.__name__}"
        names[f"{name}Enum"] = f"{c.__module__}.{c.__qualname__}"
    return names


class CoreConfig(AppConfig):
    name = "shuiquan.core"
    label = "core"
    verbose_name = "平台基础 Core"

    def ready(self):
        from django.conf import settings

        from . import signals  # noqa: F401

        overrides = settings.SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {})
        taken = set(overrides.values())
        for name, path in name_choice_enums().items():
            if path not in taken:
                overrides.setdefault(name, path)
