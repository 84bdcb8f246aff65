"""The platform's roles (DESIGN.md "Users and roles").

Each account has exactly one role and, for scoped roles, the object it is scoped to: a county
officer has a region, an irrigation-district manager a district, an association representative an
association, a permit holder a water user, a bank officer a bank. The public needs no account.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CITY_ADMIN = "city_admin", _("市水利局")
    COUNTY_OFFICER = "county_officer", _("县级水利局")
    DISTRICT_MANAGER = "district_manager", _("灌区管理单位")
    ASSOCIATION_REP = "association_rep", _("农民用水者协会")
    PERMIT_HOLDER = "permit_holder", _("取用水户")
    FINANCE_OFFICER = "finance_officer", _("财政局")
    BANK = "bank", _("金融机构")
    AUDITOR = "auditor", _("审计监督")
    SNWD_UNIT = "snwd_unit", _("南水北调工程管理单位")


#: Roles that see every record of the city (read); only the city admin also writes everywhere.
CITYWIDE_READERS = {Role.CITY_ADMIN, Role.AUDITOR, Role.FINANCE_OFFICER}

#: What each scoped role needs on its account.
SCOPE_FIELD = {
    Role.COUNTY_OFFICER: "region",
    Role.DISTRICT_MANAGER: "irrigation_district",
    Role.ASSOCIATION_REP: "association",
    Role.PERMIT_HOLDER: "water_user",
}
