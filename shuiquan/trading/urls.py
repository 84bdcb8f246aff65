from django.urls import path

from . import views

app_name = "trading"

urlpatterns = [
    path("", views.home, name="home"),
    path("trades/", views.trade_list, name="trade_list"),
    path("trades/<int:pk>/", views.trade_detail, name="trade_detail"),
    path("trades/<int:pk>/act/<str:action>/", views.trade_action, name="trade_action"),
    path("trades/<int:pk>/agreement.pdf", views.agreement_pdf, name="agreement_pdf"),
    path("trades/<int:pk>/certificate.pdf", views.certificate_pdf, name="certificate_pdf"),
    path("trades/<int:pk>/impact/", views.impact_trade, name="impact_trade"),
    path("trades/<int:pk>/intent/", views.register_intent, name="register_intent"),
    path("trades/<int:pk>/auction/", views.auction, name="auction"),
    path("apply/", views.apply_choose, name="apply_choose"),
    path("apply/<str:trade_type>/", views.apply, name="apply"),
    path("impact/", views.impact_form, name="impact"),
    path("savings/", views.savings_list, name="savings_list"),
    path("savings/new/", views.savings_new, name="savings_new"),
    path("savings/<int:pk>/", views.savings_detail, name="savings_detail"),
    path("savings/<int:pk>/files/<int:file_pk>/", views.savings_file, name="savings_file"),
    path("poolings/", views.pooling_list, name="pooling_list"),
    path("poolings/new/", views.pooling_new, name="pooling_new"),
    path("poolings/<int:pk>/", views.pooling_detail, name="pooling_detail"),
    path("orderbook/", views.orderbook_list, name="orderbook"),
    path("orderbook/<int:pk>/", views.orderbook_session, name="orderbook_session"),
    path("orderbook/<int:pk>/draw/", views.orderbook_draw, name="orderbook_draw"),
    path("orderbook/<int:pk>/close/", views.orderbook_close, name="orderbook_close"),
    path("orderbook/orders/<int:pk>/cancel/", views.order_cancel, name="order_cancel"),
    path("restrictions/", views.restriction_list, name="restriction_list"),
    path("restrictions/<int:pk>/lift/", views.restriction_lift, name="restriction_lift"),
    path("reserves/", views.reserve_list, name="reserve_list"),
    path("config/", views.config_index, name="config_index"),
    path("config/sources/", views.config_sources, name="config_sources"),
    path("config/<slug:slug>/", views.config_list, name="config_list"),
    path("config/<slug:slug>/new/", views.config_edit, name="config_new"),
    path("config/<slug:slug>/<int:pk>/edit/", views.config_edit, name="config_edit"),
    path("rules/", views.rules_page, name="rules"),
    path("locks/", views.locks_page, name="locks"),
    path("market/", views.market_stats, name="market"),
    # Public disclosure (no login); the public portal links to these names.
    path("public/listings/", views.public_listings, name="public_listings"),
    path("public/listings/<str:number>/", views.public_listing, name="public_listing"),
    path("public/deals/", views.public_deals, name="public_deals"),
    path("public/deals/<str:number>/", views.public_deal, name="public_deal"),
    path("public/stats/", views.public_stats, name="public_stats"),
]
