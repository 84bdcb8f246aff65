"""API shapes of the metering capability (volumes are integer m³; decimals are strings)."""

from rest_framework import serializers

from ..choices import Outcome, Period, Quality, Subject
from ..models import Alarm, BatchIssue, IngestionBatch, Reading


class ReadingInSerializer(serializers.Serializer):
    """One reading offered by a machine. Only ``device`` and ``observed_at`` are required, plus at
    least one value. Numbers may be JSON numbers or strings; they are read exactly (never as
    binary floats). ``volume_m3`` is the accumulated register; a fraction is kept in the raw
    record and the whole cubic metres are stored."""

    device = serializers.CharField(help_text="设备编号 (MeteringDevice.serial)")
    observed_at = serializers.CharField(help_text="ISO 8601; without an offset it is Asia/Shanghai time")
    volume_m3 = serializers.DecimalField(max_digits=20, decimal_places=6, required=False, allow_null=True,
                                         help_text="accumulated volume, m³")
    flow_m3s = serializers.DecimalField(max_digits=20, decimal_places=6, required=False, allow_null=True,
                                        help_text="instantaneous flow, m³/s (negative = reverse flow)")
    level_m = serializers.DecimalField(max_digits=20, decimal_places=6, required=False, allow_null=True, help_text="water level, m")
    battery_v = serializers.DecimalField(max_digits=20, decimal_places=6, required=False, allow_null=True, help_text="battery voltage, V")
    quality = serializers.ChoiceField(choices=Quality.choices, required=False, default=Quality.GOOD)


class BatchInSerializer(serializers.Serializer):
    readings = ReadingInSerializer(many=True, help_text="at most 10 000 per call")
    dry_run = serializers.BooleanField(required=False, default=False, help_text="check and report only; store nothing")
    label = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class IssueSerializer(serializers.ModelSerializer):
    device = serializers.CharField(source="device_ref")
    observed_at = serializers.CharField(source="observed_at_text")
    outcome = serializers.ChoiceField(choices=Outcome.choices)

    class Meta:
        model = BatchIssue
        fields = ["row", "outcome", "code", "message", "message_en", "device", "observed_at"]


class BatchSerializer(serializers.ModelSerializer):
    number = serializers.CharField(read_only=True)
    created_by = serializers.CharField(source="created_by.username", default=None, allow_null=True, read_only=True)
    region = serializers.CharField(source="region.name", default=None, allow_null=True, read_only=True)

    class Meta:
        model = IngestionBatch
        fields = ["id", "number", "source", "status", "dry_run", "label", "created_by", "region", "created_at", "started_at",
                  "finished_at", "total", "processed", "offered", "accepted", "duplicates", "conflicts", "rejected",
                  "issues_truncated", "error"]


class BatchReportSerializer(BatchSerializer):
    issues = serializers.SerializerMethodField(help_text="every row not accepted (up to 20 000), with row number and reason")

    class Meta(BatchSerializer.Meta):
        fields = BatchSerializer.Meta.fields + ["issues"]

    def get_issues(self, obj) -> list[dict]:
        return IssueSerializer(obj.issues.order_by("row", "id")[:20_000], many=True).data


class ReadingSerializer(serializers.ModelSerializer):
    device = serializers.CharField(source="device.serial")

    class Meta:
        model = Reading
        fields = ["id", "device", "observed_at", "volume_m3", "flow_m3s", "level_m", "battery_v", "quality", "batch", "received_at", "raw"]


class UseFigureSerializer(serializers.Serializer):
    subject = serializers.ChoiceField(choices=Subject.choices)
    subject_id = serializers.IntegerField(allow_null=True)
    period = serializers.ChoiceField(choices=Period.choices)
    start = serializers.DateField()
    volume_m3 = serializers.IntegerField()
    estimated = serializers.BooleanField()
    flags = serializers.ListField(child=serializers.CharField(), help_text="estimated, gap, rollover, reset, jump, incomplete, suspect readings")
    devices = serializers.IntegerField()


class PermitUseSerializer(serializers.Serializer):
    permit_id = serializers.IntegerField()
    permit = serializers.CharField()
    holder = serializers.CharField()
    region = serializers.CharField()
    year = serializers.IntegerField()
    used_m3 = serializers.IntegerField()
    estimated = serializers.BooleanField()
    right = serializers.CharField(allow_null=True, help_text="the permit's withdrawal right; null = 无用水权记录")
    right_m3 = serializers.IntegerField(allow_null=True, help_text="ledger balance of the right for the year (trades included)")
    right_ratio = serializers.DecimalField(max_digits=10, decimal_places=4, allow_null=True)
    right_level = serializers.CharField(allow_null=True)
    right_thresholds_m3 = serializers.ListField(child=serializers.IntegerField(), allow_null=True, help_text="[warning, alarm]")
    plan_m3 = serializers.IntegerField(allow_null=True)
    plan_ratio = serializers.DecimalField(max_digits=10, decimal_places=4, allow_null=True)
    plan_level = serializers.CharField(allow_null=True)
    permit_m3 = serializers.IntegerField()


class AlarmSerializer(serializers.ModelSerializer):
    permit = serializers.CharField(source="permit.number", default=None, allow_null=True)
    device = serializers.CharField(source="device.serial", default=None, allow_null=True)
    region = serializers.CharField(source="region.name")

    class Meta:
        model = Alarm
        fields = ["id", "kind", "level", "permit", "device", "region", "year", "used_m3", "limit_m3", "message", "message_en",
                  "opened_at", "closed_at", "close_reason", "acknowledged_at"]


class AcknowledgeSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
