"""Django admin for the registry.

Edits made here go through the same services as the pages and the API (``services.create_record``
/ ``update_record`` / ``delete_record``), so they are scoped, validated and written to the audit
chain. The seed's tables, and records the seed loader maintains, are read-only here.
"""

from __future__ import annotations

from django.contrib import admin, messages

from shuiquan.core.errors import DomainError

from . import models as m
from . import services


class ReadOnlyAdmin(admin.ModelAdmin):
    """The seed's figures: loaded from data/nanyang/, never edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ServiceAdmin(admin.ModelAdmin):
    """Saves and deletes through the registry services (audited)."""

    readonly_fields = ("created", "last_updated")

    def has_change_permission(self, request, obj=None):
        if obj is not None and services.is_read_only(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and services.is_read_only(obj):
            return False
        return super().has_delete_permission(request, obj)

    def _data(self, form) -> dict:
        names = {f.name for f in self.model._meta.get_fields() if getattr(f, "concrete", False) or f.many_to_many}
        return {k: v for k, v in form.cleaned_data.items() if k in names and k not in ("id", "created", "last_updated")}

    def save_model(self, request, obj, form, change):
        data = self._data(form)
        if change:
            services.update_record(self.model, obj.pk, actor=request.user, data=data, message="后台管理")
        else:
            saved = services.create_record(self.model, actor=request.user, data=data, message="后台管理")
            obj.pk = saved.pk
            obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        # Many-to-many values were set (and audited) by the service.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        services.delete_record(self.model, obj.pk, actor=request.user, message="后台管理")

    def delete_queryset(self, request, queryset):
        for obj in queryset.order_by("pk"):
            try:
                services.delete_record(self.model, obj.pk, actor=request.user, message="后台管理")
            except DomainError as exc:
                messages.error(request, f"{obj}: {exc.localized(request.LANGUAGE_CODE)}")


@admin.register(m.Region)
class RegionAdmin(ServiceAdmin):
    list_display = ("name", "code", "kind", "parent", "name_en", "sort_order")
    list_filter = ("kind",)
    search_fields = ("name", "code", "name_en")


@admin.register(m.Basin)
class BasinAdmin(ServiceAdmin):
    list_display = ("name", "parent", "area_km2")
    search_fields = ("name",)


@admin.register(m.River)
class RiverAdmin(ServiceAdmin):
    list_display = ("name", "basin", "length_km", "area_km2")
    list_filter = ("basin",)
    search_fields = ("name",)


@admin.register(m.Reservoir)
class ReservoirAdmin(ServiceAdmin):
    list_display = ("name", "region", "river", "total_capacity_m3", "beneficial_capacity_m3")
    search_fields = ("name",)


@admin.register(m.WaterResourceZone)
class WaterResourceZoneAdmin(ServiceAdmin):
    list_display = ("name", "level")


@admin.register(m.WaterSource)
class WaterSourceAdmin(ServiceAdmin):
    list_display = ("name", "kind", "region", "river", "reservoir", "is_overdraft_area", "is_overloaded")
    list_filter = ("kind", "is_overdraft_area", "is_overloaded")
    search_fields = ("name",)


@admin.register(m.Authority)
class AuthorityAdmin(ServiceAdmin):
    list_display = ("name", "level", "region")
    list_filter = ("level",)
    search_fields = ("name",)


@admin.register(m.Sector)
class SectorAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "parent", "default_use")
    search_fields = ("code", "name")


@admin.register(m.WaterUser)
class WaterUserAdmin(ServiceAdmin):
    list_display = ("name", "credit_code", "kind", "region", "sector", "is_public_supply", "is_demo")
    list_filter = ("kind", "region", "is_public_supply", "is_demo")
    search_fields = ("name", "credit_code")
    autocomplete_fields = ("sector",)


@admin.register(m.WithdrawalPermit)
class WithdrawalPermitAdmin(ServiceAdmin):
    list_display = ("number", "holder", "region", "use", "annual_volume_m3", "valid_from", "valid_to", "status", "is_demo")
    list_filter = ("status", "region", "use", "source_type", "is_demo")
    search_fields = ("number", "holder__name", "holder__credit_code")
    date_hierarchy = "issued_on"
    readonly_fields = ("created", "last_updated", "source_type")
    raw_id_fields = ("holder",)


@admin.register(m.AnnualWithdrawalPlan)
class AnnualWithdrawalPlanAdmin(ServiceAdmin):
    list_display = ("permit", "year", "volume_m3", "is_demo")
    list_filter = ("year", "is_demo")
    search_fields = ("permit__number",)
    readonly_fields = ()
    raw_id_fields = ("permit",)


@admin.register(m.IntakePoint)
class IntakePointAdmin(ServiceAdmin):
    list_display = ("code", "name", "kind", "region", "water_user", "permit", "longitude", "latitude", "is_demo")
    list_filter = ("kind", "region", "is_demo")
    search_fields = ("code", "name")
    raw_id_fields = ("water_user", "permit", "association")


@admin.register(m.MeteringDevice)
class MeteringDeviceAdmin(ServiceAdmin):
    list_display = ("serial", "model", "protocol", "station_address", "intake_point", "region", "is_online", "status", "is_demo")
    list_filter = ("protocol", "is_online", "status", "region", "is_demo")
    search_fields = ("serial", "station_address")
    raw_id_fields = ("intake_point",)


@admin.register(m.IrrigationDistrict)
class IrrigationDistrictAdmin(ServiceAdmin):
    list_display = ("name", "region", "kind", "scale", "design_area_mu", "effective_area_mu", "is_pilot")
    list_filter = ("kind", "scale", "is_pilot")
    search_fields = ("name",)


@admin.register(m.Association)
class AssociationAdmin(ServiceAdmin):
    list_display = ("name", "kind", "district", "region", "town", "effective_area_mu", "is_demo")
    list_filter = ("kind", "district", "is_demo")
    search_fields = ("name", "town")


@admin.register(m.VillagerGroup)
class VillagerGroupAdmin(ServiceAdmin):
    list_display = ("name", "village", "association", "is_demo")
    list_filter = ("association",)
    search_fields = ("name", "village")


@admin.register(m.Household)
class HouseholdAdmin(ServiceAdmin):
    list_display = ("code", "name", "association", "group", "planted_area_mu", "is_demo")
    list_filter = ("association", "is_demo")
    search_fields = ("code", "name")
    raw_id_fields = ("group",)


@admin.register(m.RegionWaterResources)
class RegionWaterResourcesAdmin(ReadOnlyAdmin):
    list_display = ("region", "mean_precip_mm", "mean_runoff_depth_mm", "water_resources_m3", "is_printed_total", "source_section")


@admin.register(m.WaterUseStatistic)
class WaterUseStatisticAdmin(ReadOnlyAdmin):
    list_display = ("region", "year", "use", "volume_m3", "kind", "source_section")
    list_filter = ("year", "kind")


@admin.register(m.Indicator)
class IndicatorAdmin(ReadOnlyAdmin):
    list_display = ("key", "year", "value", "unit", "source_section")
    list_filter = ("source_section",)
    search_fields = ("key",)


@admin.register(m.DualControlTarget)
class DualControlTargetAdmin(ReadOnlyAdmin):
    list_display = ("region", "year", "total_m3", "domestic_m3", "industrial_m3", "agricultural_m3", "ecological_m3", "source_section")


@admin.register(m.NonConventionalMinimum)
class NonConventionalMinimumAdmin(ReadOnlyAdmin):
    list_display = ("region", "year", "volume_m3", "source_section")
    list_filter = ("year",)


@admin.register(m.SnwdQuota)
class SnwdQuotaAdmin(ReadOnlyAdmin):
    list_display = ("receiving_area", "irrigation_district", "kind", "volume_m3", "printed_name", "source_section")
