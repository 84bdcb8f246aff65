"""Finance follows trading: the funds ledger mirrors every trading payment record, and a pledge
being enforced follows its trade — both in the trade step's own transaction.

Trading records payments (deposits, price, fees, proceeds) in its services; finance turns each
into a balanced entry (``funds.post_payment``, the rule lives there). Hooking the record's
creation — rather than calling finance from each trading step — keeps trading free of finance
code and makes it impossible for a payment to be committed without its entry (and vice versa):
both are written inside trading's transaction.
"""

from django.db.models.signals import post_save
from django.dispatch import receiver


def connect():
    from django_fsm.signals import post_transition

    from shuiquan.trading.models import Payment, Trade

    @receiver(post_transition, sender=Trade, dispatch_uid="finance.pledge_enforcement", weak=False)
    def follow_enforcement_trade(sender, instance, name, source, target, **kwargs):
        """A pledge sold through a trade is closed when the trade is registered, and locked again
        if the trade is cancelled, rejected or fails (same transaction as the trade's step)."""
        if kwargs.get("exception") is not None:
            return
        from . import services

        if target == "registered":
            services.complete_enforcement(instance)
        elif target in ("cancelled", "rejected", "failed"):
            services.enforcement_trade_ended(instance)

    @receiver(post_save, sender=Payment, dispatch_uid="finance.post_payment", weak=False)
    def mirror_payment(sender, instance, created, raw=False, **kwargs):
        if created and not raw:
            from .funds import post_payment

            post_payment(instance)
