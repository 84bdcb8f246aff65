from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    """Traffic-light status of an assessed indicator."""

    GREEN = "green", _("达标")
    AMBER = "amber", _("预警")
    RED = "red", _("超标/未达标")
    NONE = "none", _("未考核")


class ComplaintKind(models.TextChoices):
    COMPLAINT = "complaint", _("投诉")
    DISPUTE = "dispute", _("争议")
    REPORT = "report", _("举报")


class ComplaintChannel(models.TextChoices):
    PORTAL = "portal", _("信息公开网站")
    PLATFORM = "platform", _("平台（登录用户）")
    LETTER = "letter", _("来信")
    PHONE = "phone", _("来电")
    VISIT = "visit", _("来访")


class ComplaintStatus(models.TextChoices):
    SUBMITTED = "submitted", _("已提交")
    ACCEPTED = "accepted", _("已受理")
    INVESTIGATING = "investigating", _("调查处理中")
    RESOLVED = "resolved", _("已办结")
    DISMISSED = "dismissed", _("不予受理/驳回")


OPEN_COMPLAINT_STATUSES = (ComplaintStatus.SUBMITTED, ComplaintStatus.ACCEPTED, ComplaintStatus.INVESTIGATING)


class ComplaintTopic(models.TextChoices):
    VOLUME = "volume", _("交易水量真实性")
    PROCEDURE = "procedure", _("交易程序规范性")
    PRICE = "price", _("交易价格合理性")
    FUNDS = "funds", _("交易资金安全")
    THIRD_PARTY = "third_party", _("第三方或公共利益受损")
    USE_CHANGE = "use_change", _("擅自改变用途")
    DISCLOSURE = "disclosure", _("信息公开")
    OTHER = "other", _("其他")


class InspectionConclusion(models.TextChoices):
    PASSED = "passed", _("符合要求")
    RECTIFY = "rectify", _("限期整改")
    FAILED = "failed", _("不符合要求")


class Rating(models.TextChoices):
    GOOD = "good", _("良好")
    ACCEPTABLE = "acceptable", _("合格")
    POOR = "poor", _("较差")


class EvaluationStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    FINAL = "final", _("已定稿")


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("待回执")
    ACCEPTED = "accepted", _("已接收")
    REJECTED = "rejected", _("被退回")
