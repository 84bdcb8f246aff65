"""Choices of the metering app (stable codes; Chinese labels, English in the app's catalogue)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Quality(models.TextChoices):
    """Quality flag of a stored reading. ``invalid`` readings are kept but never counted as use."""

    GOOD = "good", _("正常")
    SUSPECT = "suspect", _("可疑")
    ESTIMATED = "estimated", _("估算")
    MANUAL = "manual", _("人工抄录")
    INVALID = "invalid", _("无效")


#: Qualities that use accounting reads (``invalid`` is excluded).
COUNTED_QUALITIES = (Quality.GOOD, Quality.SUSPECT, Quality.ESTIMATED, Quality.MANUAL)


class Source(models.TextChoices):
    API = "api", _("接口批量")
    CSV = "csv", _("CSV 上传")
    XLSX = "xlsx", _("Excel 上传")
    MQTT = "mqtt", _("MQTT")
    SL651 = "sl651", _("SL 651 遥测终端")
    SZY206 = "szy206", _("SZY206 遥测终端")
    DEMO = "demo", _("演示数据")


class BatchStatus(models.TextChoices):
    QUEUED_PREVIEW = "queued_preview", _("待预检")
    PREVIEWING = "previewing", _("预检中")
    PREVIEWED = "previewed", _("已预检，待确认")
    QUEUED = "queued", _("待导入")
    RUNNING = "running", _("导入中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
    CANCELLED = "cancelled", _("已取消")


#: Statuses in which a background runner is (or should be) working on the batch.
ACTIVE_STATUSES = (BatchStatus.QUEUED_PREVIEW, BatchStatus.PREVIEWING, BatchStatus.QUEUED, BatchStatus.RUNNING)


class Outcome(models.TextChoices):
    """What happened to one offered row (only the non-accepted ones are itemised in the report)."""

    ACCEPTED = "accepted", _("已接收")
    DUPLICATE = "duplicate", _("重复（已存在相同读数）")
    CONFLICT = "conflict", _("冲突（同一时刻已有不同读数）")
    REJECTED = "rejected", _("拒收")


class Period(models.TextChoices):
    DAY = "day", _("日")
    MONTH = "month", _("月")
    YEAR = "year", _("年")


class AlarmKind(models.TextChoices):
    RIGHT_USE = "right_use", _("用水量超用水权")
    PLAN_USE = "plan_use", _("用水量超年度取水计划")
    SILENT_DEVICE = "silent_device", _("计量设施离线")
    M1_METERING = "m1_metering", _("应装未装在线计量（M1）")


class AlarmLevel(models.TextChoices):
    WARNING = "warning", _("预警")
    ALARM = "alarm", _("报警")


class Subject(models.TextChoices):
    """What a use figure is aggregated over."""

    DEVICE = "device", _("计量设施")
    INTAKE = "intake", _("取水口")
    PERMIT = "permit", _("取水许可证")
    HOLDER = "holder", _("取用水户")
    REGION = "region", _("行政区")
    SOURCE = "source", _("水源")
