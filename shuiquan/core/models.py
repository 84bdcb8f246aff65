"""Core models: accounts, the audit chain, configuration values, attachments and load markers."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .roles import SCOPE_FIELD, Role
from .scoping import ScopedManager

__all__ = ["User", "AuditEvent", "ConfigValue", "Attachment", "DataLoad", "LoginFailure", "RegistryModel"]


class User(AbstractUser):
    """A platform account with one role and, for scoped roles, the object it acts for."""

    role = models.CharField(_("角色"), max_length=32, choices=Role.choices, default=Role.AUDITOR)
    display_name = models.CharField(_("姓名/单位"), max_length=100, blank=True)
    organization = models.CharField(_("所属单位"), max_length=200, blank=True)
    region = models.ForeignKey(
        "registry.Region", verbose_name=_("所属行政区"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    irrigation_district = models.ForeignKey(
        "registry.IrrigationDistrict", verbose_name=_("所属灌区"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    association = models.ForeignKey(
        "registry.Association", verbose_name=_("所属协会"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    water_user = models.ForeignKey(
        "registry.WaterUser", verbose_name=_("所属取用水户"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="accounts",
    )
    is_demo = models.BooleanField(_("演示数据"), default=False)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        ordering = ["username"]

    def __str__(self):
        return self.display_name or self.username

    def clean(self):
        super().clean()
        field = SCOPE_FIELD.get(self.role)
        if field and not getattr(self, f"{field}_id"):
            raise ValidationError({field: _("该角色必须指定管辖范围")})

    @property
    def role_label(self) -> str:
        return Role(self.role).label if self.role in Role.values else self.role

    def has_role(self, *roles: str) -> bool:
        return self.is_authenticated and self.role in roles


class AuditEvent(models.Model):
    """One append-only record of a change: who, when, what, before and after.

    Each event carries the SHA-256 of its own canonical content and of the previous event, so
    editing or deleting any event breaks the chain at that point (``manage.py verify_audit``).
    On PostgreSQL a trigger also refuses UPDATE and DELETE on this table.
    """

    at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(_("操作人"), max_length=150)
    actor_role = models.CharField(_("角色"), max_length=32, blank=True)
    request_id = models.CharField(_("请求编号"), max_length=64, blank=True)
    action = models.CharField(_("动作"), max_length=40)
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT)
    object_type = models.CharField(_("对象类型"), max_length=100)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=300, blank=True)
    region_code = models.CharField(_("行政区代码"), max_length=12, blank=True, db_index=True)
    before = models.JSONField(_("变更前"), null=True, blank=True)
    after = models.JSONField(_("变更后"), null=True, blank=True)
    message = models.TextField(_("说明"), blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="core_audit_object_idx")]

    def __str__(self):
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id}"


class ConfigValue(models.Model):
    """A value of a platform parameter that differs from its documented default (core.config)."""

    key = models.CharField(max_length=100, unique=True)
    value = models.JSONField()
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["key"]
        verbose_name = _("参数")
        verbose_name_plural = _("参数")

    def __str__(self):
        return self.key


class Attachment(models.Model):
    """A checked, size-limited file attached to any record (evidence, verification photos, PDFs)."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.CharField(max_length=64)
    file = models.FileField(upload_to="attachments/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=200)
    kind = models.CharField(_("类型"), max_length=40, blank=True)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="core_attach_object_idx")]
        verbose_name = _("附件")
        verbose_name_plural = _("附件")

    def __str__(self):
        return self.name


class DataLoad(models.Model):
    """Marks a data set as loaded (Nanyang seed figures, each app's demo data) so loading is idempotent."""

    name = models.CharField(max_length=100, unique=True)
    version = models.CharField(max_length=40)
    loaded_at = models.DateTimeField(auto_now_add=True)
    summary = models.JSONField(default=dict)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name}@{self.version}"


class LoginFailure(models.Model):
    """A failed login, kept for throttling (counted per username and per address)."""

    username = models.CharField(max_length=150, db_index=True)
    address = models.GenericIPAddressField(null=True, db_index=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at"]


class RegistryModel(models.Model):
    """Shared base of registry-of-record models: timestamps, demo flag, comments, scoped manager."""

    created = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_updated = models.DateTimeField(_("更新时间"), auto_now=True)
    is_demo = models.BooleanField(_("演示数据"), default=False, help_text=_("生成的演示数据，非真实登记"))
    comments = models.TextField(_("备注"), blank=True)

    objects = ScopedManager()

    class Meta:
        abstract = True

