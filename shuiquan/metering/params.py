"""Parameters of the metering capability (edited by the city bureau at /settings/parameters/)."""

from decimal import Decimal

from shuiquan.core import config

WARNING_PCT = config.define(
    "metering.alarm_warning_pct", 80, "用水预警线（占用水权或计划的百分比）", "Use warning level (% of right or plan)",
    "用水量达到该百分比时发出预警。",
)
ALARM_PCT = config.define(
    "metering.alarm_over_pct", 100, "用水报警线（占用水权或计划的百分比）", "Use alarm level (% of right or plan)",
    "用水量达到该百分比时报警并列入超用户名单。",
)
SILENT_HOURS = config.define(
    "metering.silent_hours", 24, "设备离线判定（小时）", "Device silent after (hours)",
    "在线计量设施超过该小时数无新读数即报离线。",
)
GAP_HOURS = config.define(
    "metering.gap_hours", 24, "读数缺测判定（小时）", "Reading gap after (hours)",
    "相邻两次读数间隔超过该小时数记为缺测；缺测区间的水量按累计值差计入，跨期分摊标记为估算。",
)
MAX_FLOW = config.define(
    "metering.max_flow_m3s", Decimal("20"), "最大可信流量（立方米/秒）", "Largest plausible flow (m³/s)",
    "判断累计值回落是翻转还是换表/清零、增量是否可信；设备型号配置了额定流量时以型号为准。",
)
FUTURE_MINUTES = config.define(
    "metering.future_tolerance_minutes", 10, "观测时间超前容差（分钟）", "Observation time ahead tolerance (minutes)",
    "观测时间晚于接收时间超过该分钟数的读数拒收。",
)
M1_SURFACE = config.define(
    "metering.m1_surface_m3", 500_000, "M1 地表水在线计量门槛（立方米/年）", "M1 surface-water online metering threshold (m³/year)",
    "实施方案§7.3：地表水年许可量50万立方米以上应安装在线计量；任务清单写作20万立方米。",
)
M1_GROUNDWATER = config.define(
    "metering.m1_groundwater_m3", 50_000, "M1 地下水在线计量门槛（立方米/年）", "M1 groundwater online metering threshold (m³/year)",
    "实施方案§7.3：地下水年取水量5万立方米以上应安装在线计量。",
)
