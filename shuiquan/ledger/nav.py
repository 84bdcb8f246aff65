from django.urls import reverse
from django.utils.translation import gettext as _

from shuiquan.core.nav import NavItem


def items(user) -> list[NavItem]:
    return [
        NavItem(_("用水权登记簿"), reverse("ledger:right_list"), _("用水权账本")),
        NavItem(_("记账分录"), reverse("ledger:entry_list"), _("用水权账本")),
    ]
