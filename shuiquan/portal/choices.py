from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentLevel(models.TextChoices):
    NATIONAL = "national", _("国家")
    PROVINCIAL = "provincial", _("河南省")
    MUNICIPAL = "municipal", _("南阳市")


class DocumentStatus(models.TextChoices):
    BASIS = "basis", _("编制依据（已印发）")
    ISSUED = "issued", _("已印发实施")
    DRAFTING = "drafting", _("制定中")
    PLANNED = "planned", _("待制定")
    SUPERSEDED = "superseded", _("已废止/替代")


class NoticeKind(models.TextChoices):
    OFFER = "offer", _("出让")
    WANT = "want", _("求购")


class NoticeStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    PUBLISHED = "published", _("已发布")
    REJECTED = "rejected", _("未通过审核")
    WITHDRAWN = "withdrawn", _("已撤回")
