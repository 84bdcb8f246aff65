"""Every transition of a trade writes one history row (STYLE #11: ``post_transition``)."""

from django.dispatch import receiver
from django_fsm.signals import post_transition

from .models import Trade, TradeTransition


def transition_label(name: str) -> str:
    meta = getattr(getattr(Trade, name, None), "_django_fsm", None)
    if meta is None:
        return name
    for t in meta.transitions.values():
        return t.custom.get("label", name)
    return name


@receiver(post_transition, sender=Trade)
def write_history(sender, instance, name, source, target, **kwargs):
    if kwargs.get("exception") is not None:
        return
    method_kwargs = kwargs.get("method_kwargs") or {}
    actor = method_kwargs.get("by")
    TradeTransition.objects.create(
        trade=instance, name=name, label=transition_label(name), source=source or "", target=target,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=(getattr(actor, "username", None) or "system")[:150], actor_role=getattr(actor, "role", "") or "",
        note=method_kwargs.get("note", "") or "",
    )
