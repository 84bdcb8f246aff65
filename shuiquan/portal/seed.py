"""Policy documents from the seed (idempotent): the 编制依据 list (§4) as printed, the reform plan
itself, the documents Nanyang has issued (§2.6) and the measures it is to issue (§7.6, Table 9-1).

A document is created if missing and never overwritten afterwards: once the city bureau records
that a measure was issued (number, date, status), reloading the seed does not undo it.
"""

from .choices import DocumentLevel as L
from .choices import DocumentStatus as S
from .models import PolicyDocument

# key, title, issuer, level, status, issued text, planned year, source, summary
DOCUMENTS = [
    ("reform-plan", "南阳市水权改革方案", "南阳市水利局（编制），报省水利厅和市政府批复", L.MUNICIPAL, S.ISSUED, "2022–2023", 2022,
     "全文；表9-1第1项",
     "南阳市水权改革试点的总体方案：区域、取用水户和灌溉用水户初始水权分配与明晰，区域水权、取水权和灌溉用水户水权交易，"
     "监测计量，交易监管，制度建设，实施步骤和保障措施。试点期2022年9月至2025年12月。"),
    ("cpc-2010-water-reform", "中共中央、国务院关于加快水利改革发展的决定", "中共中央、国务院", L.NATIONAL, S.BASIS, "2010年12月", None,
     "四、编制依据", ""),
    ("henan-snwd-trading-2015", "河南省南水北调水量交易管理办法（试行）",
     "河南省水利厅、河南省发展和改革委员会、河南省财政厅、河南省南水北调办公室", L.PROVINCIAL, S.BASIS, "2015年", None, "四、编制依据", ""),
    ("eco-civilization-2015", "生态文明体制改革总体方案", "中共中央、国务院", L.NATIONAL, S.BASIS, "2015年9月", None, "四、编制依据", ""),
    ("mwr-trading-2016", "水权交易管理暂行办法", "水利部", L.NATIONAL, S.BASIS, "2016年4月", None, "四、编制依据",
     "原文编制依据中列出两次（“2016年”与“2016年4月”），为同一文件。"),
    ("state-paid-use-2016", "关于全民所有自然资源资产有偿使用制度改革的指导意见", "国务院", L.NATIONAL, S.BASIS, "2016年11月", None,
     "四、编制依据", ""),
    ("eco-compensation-2021", "关于深化生态保护补偿制度改革的意见", "中共中央办公厅、国务院办公厅", L.NATIONAL, S.BASIS, "2021年9月", None,
     "四、编制依据", ""),
    ("paid-use-water-2018", "关于水资源有偿使用制度改革的意见", "水利部、国家发改委、财政部", L.NATIONAL, S.BASIS, "2018年2月", None,
     "四、编制依据", ""),
    ("water-use-rights-reform-2022", "关于推进用水权改革的指导意见", "水利部、国家发展改革委、财政部", L.NATIONAL, S.BASIS, "2022年8月", None,
     "四、编制依据", ""),
    ("henan-five-water-2022", "河南省“五水综改”工作方案", "河南省委办公厅、河南省政府办公厅", L.PROVINCIAL, S.BASIS, "2022年1月", None,
     "四、编制依据", "豫办〔2022〕3号。"),
    ("henan-five-water-points-2022", "河南省“五水综改”2022年工作要点", "河南省“五水综改”领导小组办公室", L.PROVINCIAL, S.BASIS, "2022年3月",
     None, "四、编制依据", ""),
    ("henan-trading-2023", "河南省水权交易管理办法（试行）", "河南省水利厅、河南省发展改委员会、河南省财政厅", L.PROVINCIAL, S.BASIS, "2023年2月",
     None, "四、编制依据", ""),
    ("nanyang-dual-control-notice", "关于印发十四五用水总量和强度双控目标的通知", "南阳市水利局、南阳市发展和改革委员会", L.MUNICIPAL, S.ISSUED,
     "2022年", None, "二（一）；二（六）3", "“十四五”水资源总量和强度双控目标，见表2-1。"),
    ("nanyang-dual-control-adjustment", "南阳市水资源管理双控指标调整方案", "南阳市水利局", L.MUNICIPAL, S.ISSUED, "", None, "二（六）3",
     "原文称已完成。"),
    ("nanyang-initial-allocation", "南阳市初始水权分配办法", "市水利局负责，会同市发改委、财政局，由市政府批准实施", L.MUNICIPAL, S.PLANNED, "",
     2023, "七（六）1；表9-1第3项",
     "明确试点范围各行政区、试点灌区、各类用水户的原始水权和新增初始水权分配办法，推动建立市域内初始水权分配机制。"),
    ("nanyang-trading-measures", "南阳市水权交易管理办法", "市水利局负责，会同市发改委、财政局，由市政府批准实施", L.MUNICIPAL, S.PLANNED, "",
     2023, "七（六）2；表9-1第3项",
     "对区域水权交易、取用水户水权交易、灌溉用水户水权交易全过程管理指导和监督、约束；规范交易范围、类型、主体、程序、监管、交易资金管理以及交易机构职责。"),
    ("nanyang-trade-funds", "南阳市水权交易资金管理和使用办法", "市财政局、市水利局联合制定实施", L.MUNICIPAL, S.PLANNED, "", 2024,
     "七（六）3；表9-1第5项",
     "水权交易收入扣除相关税费和交易费用后归转让方；南水北调区域间水量交易收益作为非税收入纳入财政预算，实行收支两条线管理，可对县市区给予奖励；"
     "有偿收储水量的交易收入归出资收储方。"),
    ("nanyang-reserve-measures", "南阳市取用水指标收储管理办法", "市水利局负责，会同市财政局联合印发实施", L.MUNICIPAL, S.PLANNED, "", 2024,
     "七（六）4；表9-1第5项", "将各县市区剩余指标统一市级收储，推动县市区之间的水权交易；县、市级集中收储节余水量水权用于区域内交易。"),
    ("nanyang-trading-rules", "南阳市水权交易规则、风险防控等办法", "市水利局负责，报市水权改革领导机构审批", L.MUNICIPAL, S.PLANNED, "", 2024,
     "表9-1第7项", "制定出台交易规则、风险防控等办法。"),
]


def load() -> dict[str, int]:
    created = 0
    for order, (key, title, issuer, level, status, issued, planned, source, summary) in enumerate(DOCUMENTS, start=1):
        _obj, was_created = PolicyDocument.objects.get_or_create(
            key=key, defaults={"title": title, "issuer": issuer, "level": level, "status": status, "issued_text": issued,
                               "planned_year": planned, "source_section": source, "summary": summary, "sort_order": order},
        )
        created += int(was_created)
    return {"policy_documents": PolicyDocument.objects.count(), "policy_documents_created": created}
