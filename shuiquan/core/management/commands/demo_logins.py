from django.core.management.base import BaseCommand

from shuiquan.core.demo import DEMO_PASSWORD, PRINTED
from shuiquan.core.models import User


class Command(BaseCommand):
    help = "Print the demo logins, one per role."

    def handle(self, *args, **opts):
        users = {u.username: u for u in User.objects.filter(username__in=PRINTED)}
        self.stdout.write("")
        self.stdout.write("演示账户 Demo logins (password / 密码: %s)" % DEMO_PASSWORD)
        self.stdout.write("-" * 72)
        for name in PRINTED:
            user = users.get(name)
            if user:
                scope = user.region or user.irrigation_district or user.association or user.water_user or ""
                self.stdout.write(f"  {name:<18} {user.role_label:<14} {user.display_name}  {scope if scope != user.display_name else ''}")
        self.stdout.write("-" * 72)
        self.stdout.write("公众信息公开 Public portal (no login): /public/")
