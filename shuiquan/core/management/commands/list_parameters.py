from django.core.management.base import BaseCommand

from shuiquan.core import config


class Command(BaseCommand):
    help = "Print every platform parameter with its default and current value (Markdown table)."

    def handle(self, *args, **opts):
        import importlib

        from django.apps import apps

        for app in apps.get_app_configs():
            if app.name.startswith("shuiquan."):
                for module in ("params", "services"):
                    try:
                        importlib.import_module(f"{app.name}.{module}")
                    except ModuleNotFoundError:
                        pass
        self.stdout.write("| key | 中文 | English | default | current |")
        self.stdout.write("|---|---|---|---|---|")
        for p in config.parameters():
            self.stdout.write(f"| `{p.key}` | {p.label} | {p.label_en}{' — ' + p.help if p.help else ''} | {p.default} | {config.get(p.key)} |")
