"""Who does which step of the registration workflow (the seed's division of duties).

- Regional, SNWD, river and groundwater allocations (§7.1.1, §7.1.4, §7.6.1) are the city water
  bureau's work; the city government approves them — modelled as the city admin's approval, recorded
  as acting for 南阳市人民政府.
- A permit holder's right (§7.1.2: 取水权由各级水行政主管部门依审批权限办理) is verified and reviewed by
  the county bureau where the water is taken, and approved, registered and certified by the
  permit's approving authority (the county bureau for county-approved permits, the city bureau
  otherwise).
- Irrigation users' rights (§7.1.3: 由具有管理权限的水行政主管部门确定和明晰初始水权) are computed and
  determined by the county bureau of the district's county and submitted; the city bureau approves
  and registers them (the city's 初始水权分配办法 and registration, Table 9-1 task 4); the
  certificate is issued (下达) by the irrigation-district management unit.

The city admin may act on every step, as everywhere in the platform (``core.scoping``).
"""

from __future__ import annotations

from shuiquan.core.errors import Forbidden
from shuiquan.core.roles import Role

from .choices import CITY_ENGINES, Engine, RunStatus, Step

CITY_GOVERNMENT = "南阳市人民政府"
CITY_BUREAU = "南阳市水利局"

#: The step whose actor may reject (send back to draft) a run in each state.
REJECT_STEP = {RunStatus.COMPUTED: Step.REVIEW, RunStatus.REVIEWED: Step.APPROVE, RunStatus.APPROVED: Step.REGISTER}


def _is_city(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and (user.is_superuser or user.role == Role.CITY_ADMIN))


def _permit_authority_is_county(run) -> bool:
    authority = run.permit.approving_authority if run.permit_id else None
    return bool(authority and authority.level == "county" and authority.region_id)


def may(run, user, step: str) -> bool:
    """May ``user`` do ``step`` on ``run``?"""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if _is_city(user):
        return True
    if run.engine in CITY_ENGINES or step == Step.REVOKE:
        return False
    role = user.role
    if run.engine == Engine.PERMIT:
        if step in (Step.PREPARE, Step.REVIEW):
            return role == Role.COUNTY_OFFICER and user.region_id == run.region_id
        if _permit_authority_is_county(run):
            return role == Role.COUNTY_OFFICER and user.region_id == run.permit.approving_authority.region_id
        return False
    if run.engine == Engine.IRRIGATION:
        if step in (Step.PREPARE, Step.REVIEW):
            return role == Role.COUNTY_OFFICER and user.region_id == run.region_id
        if step == Step.ISSUE:
            return role == Role.DISTRICT_MANAGER and user.irrigation_district_id == run.irrigation_district_id
        return False
    return False


def may_reject(run, user) -> bool:
    step = REJECT_STEP.get(run.status)
    return bool(step and may(run, user, step))


def who(run, step: str) -> tuple[str, str]:
    """The role (Chinese, English) the seed gives ``step`` of ``run``."""
    if run.engine in CITY_ENGINES or step == Step.REVOKE:
        if step == Step.APPROVE:
            return f"{CITY_BUREAU}（报{CITY_GOVERNMENT}批准）", "the city water bureau (for the city government)"
        return CITY_BUREAU, "the city water bureau"
    region = run.region.name if run.region_id else ""
    if run.engine == Engine.PERMIT:
        if step in (Step.PREPARE, Step.REVIEW):
            return f"{region}水利局", f"the {region} water bureau"
        authority = run.permit.approving_authority
        return f"审批机关（{authority.name}）", f"the approving authority ({authority.name})"
    if step in (Step.PREPARE, Step.REVIEW):
        return f"{region}水利局（有管理权限的水行政主管部门）", f"the {region} water bureau"
    if step == Step.ISSUE:
        return f"{run.irrigation_district}管理单位", f"the management unit of {run.irrigation_district}"
    return CITY_BUREAU, "the city water bureau"


def acting_for(run, step: str, user) -> str:
    """The authority a step is recorded as acting for (shown in the approval history)."""
    if step == Step.APPROVE and run.engine in CITY_ENGINES:
        return CITY_GOVERNMENT
    if user is not None and getattr(user, "organization", ""):
        return user.organization
    return who(run, step)[0]


def check(run, user, step: str) -> None:
    """Refuse (403, code ``step_not_allowed``) unless ``user`` may do ``step`` on ``run``."""
    if may(run, user, step):
        return
    zh, en = who(run, step)
    label = Step(step).label
    raise Forbidden(
        code="step_not_allowed",
        message=f"“{label}”须由{zh}办理",
        message_en=f"Only {en} may do this step ({step})",
        detail={"step": str(step), "run": run.pk},
    )
