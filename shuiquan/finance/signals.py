"""The funds ledger mirrors every trading payment record in the same transaction.

Trading records payments (deposits, price, fees, proceeds) in its services; finance turns each
into a balanced entry (``funds.post_payment``, the rule lives there). Hooking the record's
creation — rather than calling finance from each trading step — keeps trading free of finance
code and makes it impossible for a payment to be committed without its entry (and vice versa):
both are written inside trading's transaction.
"""

from django.db.models.signals import post_save
from django.dispatch import receiver


def connect():
    from shuiquan.trading.models import Payment

    @receiver(post_save, sender=Payment, dispatch_uid="finance.post_payment", weak=False)
    def mirror_payment(sender, instance, created, raw=False, **kwargs):
        if created and not raw:
            from .funds import post_payment

            post_payment(instance)
