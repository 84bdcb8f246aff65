from django.db import models
from django.utils.translation import gettext_lazy as _


class Engine(models.TextChoices):
    """The allocation engines (DESIGN.md A1–A5)."""

    REGIONAL = "regional", _("区域用水权（双控目标）")
    SNWD = "snwd", _("南水北调用水权")
    RIVER = "river", _("河流年度水量分配")
    GROUNDWATER = "groundwater", _("地下水管控指标")
    PERMIT = "permit", _("取水权核定")
    IRRIGATION = "irrigation", _("灌溉用水户水权")


#: Engines whose allocations are the city bureau's (approved by the city government, §7.1.1, §7.6.1).
CITY_ENGINES = (Engine.REGIONAL, Engine.SNWD, Engine.RIVER, Engine.GROUNDWATER)

ENGINE_RULE = {
    Engine.REGIONAL: "A1", Engine.SNWD: "A5", Engine.RIVER: "A1", Engine.GROUNDWATER: "A1",
    Engine.PERMIT: "A3", Engine.IRRIGATION: "A4",
}


class RunStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    COMPUTED = "computed", _("已计算")
    REVIEWED = "reviewed", _("已审核")
    APPROVED = "approved", _("已批准")
    REGISTERED = "registered", _("已登记")
    ISSUED = "issued", _("已发证")
    REVOKED = "revoked", _("已撤销")


#: The path shown as steps on a run's page.
STEPS = [RunStatus.DRAFT, RunStatus.COMPUTED, RunStatus.REVIEWED, RunStatus.APPROVED, RunStatus.REGISTERED, RunStatus.ISSUED]


class Step(models.TextChoices):
    """Workflow steps, each done by the role the seed gives it (``policy.py``)."""

    PREPARE = "prepare", _("编制与计算")
    REVIEW = "review", _("审核")
    APPROVE = "approve", _("批准")
    REGISTER = "register", _("登记入账")
    ISSUE = "issue", _("发放凭证")
    REVOKE = "revoke", _("撤销（冲正）")


class LineRole(models.TextChoices):
    RIGHT = "right", _("确权水量")
    ECOLOGICAL = "ecological", _("河道生态水量")
    SECTOR = "sector", _("分行业指标")
    OBLIGATION = "obligation", _("非常规水最低利用量")
    DETAIL = "detail", _("计算明细")


#: Line roles that open a right and post volume when the run is registered.
POSTING_ROLES = (LineRole.RIGHT, LineRole.ECOLOGICAL)


class CertificateKind(models.TextChoices):
    WATER_RIGHT = "water_right", _("水权证")
    ASSOCIATION = "association", _("用水权属凭证（协会）")
    HOUSEHOLD = "household", _("用水权属凭证（用水户）")


class CertificateStatus(models.TextChoices):
    VALID = "valid", _("有效")
    REVOKED = "revoked", _("已注销")


class QuotaStandard(models.TextChoices):
    INDUSTRIAL = "DB41/T 385", _("DB41/T 385《工业与城镇生活用水定额》")
    AGRICULTURAL = "DB41/T 958", _("DB41/T 958《农业与农村生活用水定额》")


class QuotaLevel(models.TextChoices):
    ADVANCED = "advanced", _("先进值")
    GENERAL = "general", _("通用值")


class Crop(models.TextChoices):
    WHEAT = "wheat", _("小麦")
    CORN = "corn", _("玉米")
    RICE = "rice", _("水稻")
    PEANUT = "peanut", _("花生")
    SOYBEAN = "soybean", _("大豆")
    VEGETABLE = "vegetable", _("蔬菜")
    ORCHARD = "orchard", _("林果")
    OTHER = "other", _("其他作物")


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("编制中")
    APPROVED = "approved", _("已批复")
    SUPERSEDED = "superseded", _("已废止")
