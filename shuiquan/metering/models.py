"""Models of the metering capability (监测计量, seed §7.3, §9.4).

- ``IngestionBatch``: one delivery of readings (an API call, an uploaded file, a window of MQTT
  messages, an RTU connection), with its counts and its per-row report (``BatchIssue``).
- ``Reading``: one row per (device, observation time). On PostgreSQL the table is partitioned by
  month of ``observed_at`` (``docs/metering.md``, ``sql/reading_partitioned_pg.sql``).
- ``DeviceState``: the latest reading of each device (for "silent for 24 h" without scanning).
- ``DeviceUse``: the computed daily, monthly and annual use of each device (always reproducible
  from the readings); ``DeviceState`` says which days are due for recomputation.
- ``Alarm``: use against rights and plans, silent devices, M1 findings.
- ``DeviceModelProfile``: per device model, the rated flow and the vendor element mapping (FFxx).
- ``RejectedFrame``: RTU frames that failed the checksum or the format, never stored as readings.

Volumes are integer m³. A meter's accumulated register is stored as whole cubic metres (the floor
of the reported value); the value exactly as sent is kept in ``raw``. Differences of floors are
exact to within 1 m³ over any span, however many readings it contains (``docs/metering.md``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shuiquan.core.roles import Role
from shuiquan.core.scoping import ScopedManager

from .choices import AlarmKind, AlarmLevel, BatchStatus, Outcome, Period, Quality, Source

__all__ = [
    "IngestionBatch", "BatchIssue", "Reading", "DeviceState", "DeviceUse", "Alarm",
    "DeviceModelProfile", "RejectedFrame",
]

#: Roles that may submit readings (for the devices they can see).
INGEST_ROLES = {Role.CITY_ADMIN, Role.COUNTY_OFFICER, Role.DISTRICT_MANAGER, Role.PERMIT_HOLDER}

DEVICE_SCOPE = {
    Role.COUNTY_OFFICER: "device__region",
    Role.PERMIT_HOLDER: "device__intake_point__water_user",
    Role.DISTRICT_MANAGER: "device__intake_point__association__district",
    Role.ASSOCIATION_REP: "device__intake_point__association",
}


class IngestionBatch(models.Model):
    """One delivery of readings and what became of each offered row.

    ``offered = accepted + duplicates + conflicts + rejected`` always holds once the batch is done;
    rows that were not accepted are itemised in ``issues``. A batch is also the job record of an
    upload: ``status``, ``processed`` (progress), ``heartbeat_at`` and ``error``.
    """

    source = models.CharField(_("来源"), max_length=12, choices=Source.choices)
    status = models.CharField(_("状态"), max_length=20, choices=BatchStatus.choices, default=BatchStatus.RUNNING)
    dry_run = models.BooleanField(_("仅预检"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("提交人"))
    region = models.ForeignKey("registry.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("行政区"), help_text=_("批次内读数全部属于同一行政区时填写"))
    label = models.CharField(_("说明"), max_length=200, blank=True, help_text=_("文件名、MQTT 客户端、RTU 对端地址等"))
    upload = models.FileField(_("上传文件"), upload_to="metering/uploads/%Y/%m/", blank=True)
    upload_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    total = models.PositiveIntegerField(_("总行数"), null=True, blank=True)
    processed = models.PositiveIntegerField(_("已处理"), default=0)
    offered = models.PositiveIntegerField(_("提交读数"), default=0)
    accepted = models.PositiveIntegerField(_("接收"), default=0)
    duplicates = models.PositiveIntegerField(_("重复"), default=0)
    conflicts = models.PositiveIntegerField(_("冲突"), default=0)
    rejected = models.PositiveIntegerField(_("拒收"), default=0)
    issues_truncated = models.PositiveIntegerField(_("未逐条列出的问题行"), default=0)
    extra = models.JSONField(_("附加信息"), default=dict, blank=True)
    error = models.TextField(_("错误"), blank=True)
    is_demo = models.BooleanField(_("演示数据"), default=False)

    objects = ScopedManager()
    scope_write_roles = INGEST_ROLES
    scope_paths = {
        Role.COUNTY_OFFICER: lambda user: Q(region=user.region_id) | Q(created_by=user.pk),
        Role.PERMIT_HOLDER: "created_by",
        Role.DISTRICT_MANAGER: "created_by",
        Role.ASSOCIATION_REP: "created_by",
    }

    class Meta:
        ordering = ["-id"]
        verbose_name = _("数据接收批次")
        verbose_name_plural = verbose_name
        indexes = [models.Index(fields=["source", "status"], name="metering_batch_source_idx")]

    def __str__(self):
        return f"{self.number} {self.get_source_display()}"

    @property
    def number(self) -> str:
        return f"PC{self.pk:08d}" if self.pk else "PC—"

    def get_absolute_url(self):
        return reverse("metering:batch_detail", args=[self.pk])

    def audit_region_code(self):
        return self.region.code if self.region_id and self.region.code else ""

    @property
    def progress_pct(self) -> int:
        if not self.total:
            return 100 if self.status in (BatchStatus.DONE, BatchStatus.PREVIEWED) else 0
        return min(100, int(self.processed * 100 / self.total))

    @property
    def is_active(self) -> bool:
        from .choices import ACTIVE_STATUSES

        return self.status in ACTIVE_STATUSES

    def summary(self) -> dict:
        return {
            "offered": self.offered, "accepted": self.accepted, "duplicates": self.duplicates,
            "conflicts": self.conflicts, "rejected": self.rejected,
        }


class BatchIssue(models.Model):
    """One offered row that was not stored as a new reading, and why."""

    batch = models.ForeignKey(IngestionBatch, on_delete=models.CASCADE, related_name="issues")
    row = models.PositiveIntegerField(_("行号/序号"))
    outcome = models.CharField(_("结果"), max_length=12, choices=Outcome.choices)
    code = models.CharField(_("代码"), max_length=40)
    message = models.CharField(_("说明"), max_length=300)
    message_en = models.CharField(max_length=300)
    device_ref = models.CharField(_("设备"), max_length=60, blank=True)
    observed_at_text = models.CharField(_("观测时间"), max_length=40, blank=True)
    data = models.JSONField(_("原始数据"), default=dict, blank=True)

    class Meta:
        ordering = ["batch", "row", "id"]
        verbose_name = _("批次问题行")
        verbose_name_plural = verbose_name

    def __str__(self):
        return f"{self.batch_id}#{self.row} {self.code}"

    def as_dict(self) -> dict:
        return {"row": self.row, "outcome": self.outcome, "code": self.code, "message": self.message,
                "message_en": self.message_en, "device": self.device_ref, "observed_at": self.observed_at_text}


class Reading(models.Model):
    """One observation of one device: accumulated volume, instantaneous flow, level, battery.

    Unique per (device, observed_at): sending the same reading again stores nothing. ``volume_m3``
    is the accumulated register in whole m³ (floor of the reported value, which ``raw`` keeps);
    ``None`` means the device did not report it (a "missing" filler is never a zero).
    """

    device = models.ForeignKey("registry.MeteringDevice", on_delete=models.PROTECT, related_name="readings",
                               db_index=False, verbose_name=_("计量设施"))
    observed_at = models.DateTimeField(_("观测时间"))
    volume_m3 = models.BigIntegerField(_("累计水量（立方米）"), null=True, blank=True)
    flow_m3s = models.DecimalField(_("瞬时流量（立方米/秒）"), max_digits=14, decimal_places=4, null=True, blank=True)
    level_m = models.DecimalField(_("水位（米）"), max_digits=10, decimal_places=3, null=True, blank=True)
    battery_v = models.DecimalField(_("电池电压（伏）"), max_digits=6, decimal_places=2, null=True, blank=True)
    quality = models.CharField(_("质量"), max_length=12, choices=Quality.choices, default=Quality.GOOD)
    batch = models.ForeignKey(IngestionBatch, on_delete=models.PROTECT, related_name="readings", db_index=False,
                              verbose_name=_("批次"))
    raw = models.JSONField(_("原始报文"), default=dict)
    received_at = models.DateTimeField(_("接收时间"))

    objects = ScopedManager()
    scope_paths = DEVICE_SCOPE
    scope_write_roles = INGEST_ROLES

    class Meta:
        ordering = ["device", "observed_at"]
        verbose_name = _("读数")
        verbose_name_plural = _("读数")
        constraints = [
            models.UniqueConstraint(fields=["device", "observed_at"], name="metering_reading_device_time_uniq",
                                    violation_error_message=_("同一设备同一观测时间只能有一条读数")),
            models.CheckConstraint(condition=Q(volume_m3__isnull=True) | Q(volume_m3__gte=0),
                                   name="metering_reading_volume_nonnegative",
                                   violation_error_message=_("累计水量不能为负")),
        ]
        indexes = [models.Index(fields=["batch"], name="metering_reading_batch_idx")]

    def __str__(self):
        return f"{self.device_id}@{self.observed_at:%Y-%m-%d %H:%M}"


class DeviceState(models.Model):
    """Per device, kept in step by ingestion under a row lock: the latest reading (for
    silent-device checks), the latest counted volume reading, and the range of days whose use
    must be recomputed because readings arrived in or next to them (``services.refresh_usage``)."""

    device = models.OneToOneField("registry.MeteringDevice", primary_key=True, on_delete=models.CASCADE,
                                  related_name="metering_state")
    last_observed_at = models.DateTimeField(_("最新观测时间"), null=True, blank=True)
    last_received_at = models.DateTimeField(_("最近接收时间"), null=True, blank=True)
    last_volume_m3 = models.BigIntegerField(_("最新累计水量"), null=True, blank=True)
    last_volume_at = models.DateTimeField(_("最新累计水量观测时间"), null=True, blank=True)
    dirty_from = models.DateField(_("待重算起"), null=True, blank=True)
    dirty_to = models.DateField(_("待重算止"), null=True, blank=True)

    class Meta:
        verbose_name = _("设备最新状态")
        verbose_name_plural = verbose_name

    def __str__(self):
        return f"{self.device_id}: {self.last_observed_at}"


class DeviceUse(models.Model):
    """Computed use of one device in one day, month or year (``accounting.device_use``).

    Always reproducible from the readings: ``manage.py recompute_use --verify`` recomputes and
    compares. ``flags`` is a bit set of ``accounting.Flag``; ``estimated`` means a period boundary
    fell between two readings and was interpolated; ``complete`` means readings cover the whole
    period.
    """

    device = models.ForeignKey("registry.MeteringDevice", on_delete=models.CASCADE, related_name="use_rows")
    period = models.CharField(_("周期"), max_length=5, choices=Period.choices)
    start = models.DateField(_("起始日"))
    volume_m3 = models.BigIntegerField(_("用水量（立方米）"))
    estimated = models.BooleanField(_("含估算"), default=False)
    complete = models.BooleanField(_("数据完整"), default=True)
    flags = models.PositiveIntegerField(_("标记"), default=0)
    readings = models.PositiveIntegerField(_("读数条数"), default=0)
    computed_at = models.DateTimeField(_("计算时间"), auto_now=True)

    objects = ScopedManager()
    scope_paths = DEVICE_SCOPE

    class Meta:
        ordering = ["device", "period", "start"]
        verbose_name = _("设备用水量")
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(fields=["device", "period", "start"], name="metering_deviceuse_unique"),
            models.CheckConstraint(condition=Q(volume_m3__gte=0), name="metering_deviceuse_volume_nonnegative"),
        ]
        indexes = [models.Index(fields=["period", "start"], name="metering_deviceuse_period_idx")]

    def __str__(self):
        return f"{self.device_id} {self.period} {self.start}: {self.volume_m3}"


class Alarm(models.Model):
    """An alarm: use against a permit's right or plan, a silent device, a permit lacking online
    metering (M1). At most one open alarm per (kind, subject); a change of level closes the old
    alarm and opens a new one, so the history shows when each level was reached."""

    kind = models.CharField(_("类型"), max_length=20, choices=AlarmKind.choices)
    level = models.CharField(_("级别"), max_length=10, choices=AlarmLevel.choices)
    subject_key = models.CharField(max_length=60, help_text="kind-specific key, e.g. permit:12:2026")
    permit = models.ForeignKey("registry.WithdrawalPermit", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="metering_alarms", verbose_name=_("取水许可证"))
    device = models.ForeignKey("registry.MeteringDevice", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="metering_alarms", verbose_name=_("计量设施"))
    holder = models.ForeignKey("registry.WaterUser", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="metering_alarms", verbose_name=_("取用水户"))
    region = models.ForeignKey("registry.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("行政区"))
    year = models.PositiveSmallIntegerField(_("年度"), null=True, blank=True)
    used_m3 = models.BigIntegerField(_("用水量（立方米）"), null=True, blank=True)
    limit_m3 = models.BigIntegerField(_("对照水量（立方米）"), null=True, blank=True)
    message = models.CharField(_("说明"), max_length=300)
    message_en = models.CharField(max_length=300)
    opened_at = models.DateTimeField(_("发生时间"))
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    close_reason = models.CharField(_("关闭原因"), max_length=200, blank=True)
    acknowledged_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="+", verbose_name=_("确认人"))
    is_demo = models.BooleanField(_("演示数据"), default=False)

    objects = ScopedManager()
    scope_write_roles = {Role.CITY_ADMIN, Role.COUNTY_OFFICER, Role.DISTRICT_MANAGER}
    scope_paths = {
        Role.COUNTY_OFFICER: "region",
        Role.PERMIT_HOLDER: "holder",
        Role.DISTRICT_MANAGER: lambda user: Q(permit__irrigation_district=user.irrigation_district_id)
        | Q(device__intake_point__association__district=user.irrigation_district_id),
        Role.ASSOCIATION_REP: "device__intake_point__association",
    }

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("告警")
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(fields=["kind", "subject_key"], condition=Q(closed_at__isnull=True),
                                    name="metering_alarm_one_open"),
        ]
        indexes = [models.Index(fields=["closed_at", "kind"], name="metering_alarm_open_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.get_level_display()} {self.subject_key}"

    def get_absolute_url(self):
        return reverse("metering:alarm_list") + f"?id={self.pk}"

    def audit_region_code(self):
        return self.region.code or ""

    @property
    def ratio(self):
        if self.used_m3 is None or not self.limit_m3:
            return None
        from decimal import Decimal

        return Decimal(self.used_m3) / Decimal(self.limit_m3)

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class DeviceModelProfile(models.Model):
    """Per device model: the rated flow (for rollover/jump plausibility) and how the vendor's
    SL 651 user-defined element identifiers (FFxx) map to reading fields."""

    model = models.CharField(_("设备型号"), max_length=60, unique=True)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    max_flow_m3s = models.DecimalField(_("额定最大流量（立方米/秒）"), max_digits=10, decimal_places=4, null=True, blank=True)
    element_map = models.JSONField(
        _("自定义要素映射"), default=dict, blank=True,
        help_text=_('如 {"FF01": "volume_m3", "FF02": "flow_m3s"}；值为 volume_m3、flow_m3s、level_m、battery_v'),
    )
    is_demo = models.BooleanField(_("演示数据"), default=False)

    objects = ScopedManager()
    scope_public_read = True

    class Meta:
        ordering = ["model"]
        verbose_name = _("设备型号配置")
        verbose_name_plural = verbose_name

    def __str__(self):
        return self.model

    def get_absolute_url(self):
        return reverse("metering:profile_edit", args=[self.pk])

    def clean(self):
        import re

        from django.core.exceptions import ValidationError

        fields = {"volume_m3", "flow_m3s", "level_m", "battery_v"}
        if not isinstance(self.element_map, dict):
            raise ValidationError({"element_map": _("须为 JSON 对象，如 {\"FF02\": \"volume_m3\"}")})
        for code, name in self.element_map.items():
            sl651 = re.fullmatch(r"(FF)?[0-9A-Fa-f]{2}", str(code))
            szy206 = re.fullmatch(r"[a-z_]+_[1-9]", str(code))
            if not (sl651 or szy206) or name not in fields:
                raise ValidationError({"element_map": _("无效的映射：%(code)s → %(name)s") % {"code": code, "name": name}})
        if self.max_flow_m3s is not None and self.max_flow_m3s <= 0:
            raise ValidationError({"max_flow_m3s": _("额定最大流量应大于0")})


class RejectedFrame(models.Model):
    """A frame an RTU sent that could not be accepted (bad checksum, bad format, unknown station).
    Kept for diagnosis; never stored as a reading."""

    received_at = models.DateTimeField(_("接收时间"))
    protocol = models.CharField(_("协议"), max_length=12)
    peer = models.CharField(_("对端地址"), max_length=60, blank=True)
    station_address = models.CharField(_("遥测站地址"), max_length=20, blank=True)
    frame_hex = models.TextField(_("报文（十六进制）"))
    code = models.CharField(_("代码"), max_length=40)
    message = models.CharField(_("说明"), max_length=300)
    batch = models.ForeignKey(IngestionBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="rejected_frames")

    objects = ScopedManager()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("拒收报文")
        verbose_name_plural = verbose_name

    def __str__(self):
        return f"{self.protocol} {self.code} {self.received_at}"
