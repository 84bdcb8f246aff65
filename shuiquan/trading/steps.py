"""The steps of a trade that pages and the API take: each is (form class, call). The call gets the
trade, the acting user and the parsed input, and calls the service."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from . import forms, services

def _d(data, key, default=""):
    value = data.get(key)
    return default if value is None else value


ACTIONS = {
    "consult_snwd": (forms.ConsultForm, lambda t, u, d: services.consult_snwd(actor=u, trade=t, opinion=d["opinion"])),
    "verify": (forms.VerifyForm, lambda t, u, d: services.verify_trade(
        actor=u, trade=t, note=d["note"], verified_m3=d.get("verified_m3"), works_manager_opinion=_d(d, "works_manager_opinion"),
        use_change_approved=d.get("use_change_approved", False), third_party_harm=d.get("third_party_harm", False),
        needs_new_groundwater=d.get("needs_new_groundwater", False))),
    "reject": (forms.ReasonForm, lambda t, u, d: services.reject_trade(actor=u, trade=t, reason=d["reason"])),
    "file_record": (forms.FileRecordForm, lambda t, u, d: services.file_record(actor=u, trade=t, filed_with=d["filed_with"],
                                                                               filing_number=d["filing_number"], note=_d(d, "note"))),
    "publish": (forms.PublishForm, lambda t, u, d: services.publish_listing(actor=u, trade=t, listed_price=d["listed_price"],
                                                                            notice_days=d.get("notice_days"), conditions=_d(d, "conditions"))),
    "agree": (forms.AgreeForm, lambda t, u, d: services.agree(
        actor=u, trade=t, unit_price=d["unit_price"], buyer=_d(d, "buyer"), use=_d(d, "use"), intake_location=_d(d, "intake_location"),
        default_liability=_d(d, "default_liability"), dispute_resolution=_d(d, "dispute_resolution"))),
    "close_notice": (forms.NoteForm, lambda t, u, d: services.close_notice(actor=u, trade=t)),
    "close_auction": (forms.NoteForm, lambda t, u, d: services.close_auction(actor=u, trade=t)),
    "sign": (forms.SignForm, lambda t, u, d: services.sign(actor=u, trade=t, side=_d(d, "side"))),
    "file_province": (forms.FileProvinceForm, lambda t, u, d: services.file_province(actor=u, trade=t, filing_number=d["filing_number"],
                                                                                     note=_d(d, "note"))),
    "pay": (forms.PayForm, lambda t, u, d: services.pay(actor=u, trade=t, reference=d["reference"], amount=d.get("amount"))),
    "settle": (forms.NoteForm, lambda t, u, d: services.settle(actor=u, trade=t, note=_d(d, "note"))),
    "register": (forms.RegisterForm, lambda t, u, d: services.register(actor=u, trade=t, approval_number=_d(d, "approval_number"),
                                                                       note=_d(d, "note"))),
    "expire": (forms.NoteForm, lambda t, u, d: services.expire(actor=u, trade=t, note=_d(d, "note"))),
    "cancel": (forms.ReasonForm, lambda t, u, d: services.cancel(actor=u, trade=t, reason=d["reason"])),
    "renew": (forms.RenewForm, lambda t, u, d: services.renew(actor=u, trade=t, unit_price=d.get("unit_price"), end_year=d.get("end_year"),
                                                              savings=d.get("savings"), note=_d(d, "note"))),
}

ACTION_LABELS = {
    "consult_snwd": gettext_noop("征求意见"), "verify": gettext_noop("核定"), "reject": gettext_noop("不予通过"), "file_record": gettext_noop("备案"), "publish": gettext_noop("挂牌"), "agree": gettext_noop("协议成交"),
    "close_notice": gettext_noop("公告期满处理"), "close_auction": gettext_noop("结束竞价"), "sign": gettext_noop("签约"), "file_province": gettext_noop("报省备案"), "pay": gettext_noop("付款"),
    "settle": gettext_noop("结算"), "register": gettext_noop("登记过户"), "expire": gettext_noop("期满归还"), "cancel": gettext_noop("撤销"), "renew": gettext_noop("延续交易"), "intent": gettext_noop("登记受让意向"),
    "bid": gettext_noop("竞价报价"),
}




#: Step names shown in histories (the FSM transitions' labels and the steps outside the FSM), for translation.
HISTORY_LABELS = [gettext_noop("转让申请"), gettext_noop("征求南水北调工程管理单位意见"), gettext_noop("核定"), gettext_noop("备案"), gettext_noop("受理（一年以内无需审批）"), gettext_noop("不予通过"),
                  gettext_noop("挂牌"), gettext_noop("协议成交"), gettext_noop("公告期满处理"), gettext_noop("竞价结束"), gettext_noop("签订协议"), gettext_noop("协议报省备案"), gettext_noop("支付价款"),
                  gettext_noop("资金结算"), gettext_noop("登记过户"), gettext_noop("期满归还"), gettext_noop("撤销"), gettext_noop("委托撮合成交并登记")]
