"""Registry pages under /registry/: ``<model>_list``, ``_detail``, ``_add``, ``_edit``, ``_delete`` for
every registry model, plus the overview, permit status changes, the renewal-due list and imports."""

from django.urls import path

from . import models as m
from . import views as v

app_name = "registry"


def crud(slug: str, model, list_view, detail_view, *, edit=True, add_view=None, edit_view=None):
    name = model._meta.model_name
    out = [
        path(f"{slug}/", list_view.as_view(), name=f"{name}_list"),
        path(f"{slug}/<int:pk>/", detail_view.as_view(), name=f"{name}_detail"),
    ]
    if edit:
        out += [
            path(f"{slug}/add/", (add_view or v._edit(model, v.EDIT_FORMS[model])).as_view(), name=f"{name}_add"),
            path(f"{slug}/<int:pk>/edit/", (edit_view or v._edit(model, v.EDIT_FORMS[model])).as_view(), name=f"{name}_edit"),
            path(f"{slug}/<int:pk>/delete/", v._delete(model).as_view(), name=f"{name}_delete"),
        ]
    return out


urlpatterns = [
    path("overview/", v.overview, name="overview"),
    path("permits/renewal-due/", v.RenewalDueList.as_view(), name="withdrawalpermit_renewal_due"),
    path("permits/<int:pk>/status/", v.PermitStatusView.as_view(), name="withdrawalpermit_status"),
    path("import/<str:kind>/", v.ImportView.as_view(), name="import"),
    path("import/<str:kind>/template/", v.import_template, name="import_template"),
    path("zones/", v.ZoneList.as_view(), name="waterresourcezone_list"),
    *crud("regions", m.Region, v.RegionList, v.RegionDetail),
    *crud("basins", m.Basin, v.BasinList, v.BasinDetail),
    *crud("rivers", m.River, v.RiverList, v.RiverDetail),
    *crud("reservoirs", m.Reservoir, v.ReservoirList, v.ReservoirDetail),
    *crud("sources", m.WaterSource, v.WaterSourceList, v.WaterSourceDetail),
    *crud("water-users", m.WaterUser, v.WaterUserList, v.WaterUserDetail),
    *crud("permits", m.WithdrawalPermit, v.PermitList, v.PermitDetail, add_view=v.PermitCreate, edit_view=v.PermitEdit),
    *crud("plans", m.AnnualWithdrawalPlan, v.AnnualPlanList, v.AnnualPlanDetail),
    *crud("intakes", m.IntakePoint, v.IntakePointList, v.IntakePointDetail),
    *crud("devices", m.MeteringDevice, v.MeteringDeviceList, v.MeteringDeviceDetail),
    *crud("districts", m.IrrigationDistrict, v.IrrigationDistrictList, v.IrrigationDistrictDetail),
    *crud("associations", m.Association, v.AssociationList, v.AssociationDetail),
    *crud("groups", m.VillagerGroup, v.VillagerGroupList, v.VillagerGroupDetail),
    *crud("households", m.Household, v.HouseholdList, v.HouseholdDetail),
]
