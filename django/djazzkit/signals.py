"""post_save / post_delete of synced models: the change log and the poke on commit.

Only models whose rows live in the relay (``SyncScope.USER`` with an owner, strategy ``sync``)
are logged, each entry with the user's next commit-ordered ``seq`` (``sequence.py``). Writes
made by ``POST apply`` are logged with the relay revision and never poke (the relay already
has them); every other save or delete gets a Django revision, a child of the one Django held
(``revisions.py``), so the relay can tell it apart from its own writes and keep both. ``QuerySet.update()`` and ``bulk_create()`` send no signals:
call ``djazzkit.record_change(instance)`` after them.
"""
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from .context import pokes_suppressed, relay_rev
from .models import ChangeLog
from .poke import poke_users
from .revisions import record_django_revision
from .sequence import next_seq
from .sync import spec_for_model


def _schedule_poke(user_ids, using):
    user_ids = {u for u in user_ids if u}
    if not user_ids:
        return
    transaction.on_commit(lambda: poke_users(user_ids), using=using)


def record_change(instance, deleted=False, using=None, previous_owner=None):
    """Log a change of ``instance`` (and poke on commit unless it comes from the relay)."""
    spec = spec_for_model(type(instance))
    if spec is None or not spec.is_held_in_relay:
        return
    using = using or instance._state.db or "default"
    owner = spec.owner_of(instance)
    with transaction.atomic(using=using):
        # one transaction even under autocommit: the seq and its entry become visible together
        touched = _log(spec, instance, deleted, using, owner, previous_owner)
    from_relay, _ = relay_rev(spec.label, instance._djazzkit_id)
    if not from_relay and not pokes_suppressed():
        _schedule_poke(touched, using)


def _log(spec, instance, deleted, using, owner, previous_owner):
    from_relay, rev = relay_rev(spec.label, instance._djazzkit_id)
    touched = set()
    if owner is not None:
        # the user's next seq first: it locks the user's counter until commit (sequence.py),
        # which also serialises the row's revision bookkeeping below
        seq = next_seq(owner, using)
        if not from_relay:
            rev = record_django_revision(spec, instance, deleted, using)
        ChangeLog.objects.using(using).create(
            user_id=owner, seq=seq, model=spec.label, row_id=instance._djazzkit_id, deleted=deleted, rev=rev
        )
        touched.add(owner)
    if previous_owner is not None and previous_owner != owner:
        # the row left the previous owner's set: their relay object must drop it
        ChangeLog.objects.using(using).create(
            user_id=previous_owner, seq=next_seq(previous_owner, using), model=spec.label,
            row_id=instance._djazzkit_id, deleted=True, rev=None,
        )
        touched.add(previous_owner)
    return touched


@receiver(pre_save, dispatch_uid="djazzkit_pre_save")
def _pre_save(sender, instance, raw=False, using=None, **kwargs):
    spec = spec_for_model(sender)
    if spec is None or not spec.is_held_in_relay:
        return
    instance._djazzkit_previous_owner = None
    if instance.pk is None or instance._state.adding:
        return
    old = (
        sender._base_manager.using(using or "default")
        .filter(pk=instance.pk)
        .values_list(spec.owner_attname, flat=True)
        .first()
    )
    instance._djazzkit_previous_owner = None if old is None else str(old)


@receiver(post_save, dispatch_uid="djazzkit_post_save")
def _post_save(sender, instance, created=False, raw=False, using=None, **kwargs):
    spec = spec_for_model(sender)
    if spec is None or not spec.is_held_in_relay:
        return
    previous = getattr(instance, "_djazzkit_previous_owner", None)
    instance._djazzkit_previous_owner = None
    record_change(instance, deleted=False, using=using, previous_owner=previous)


@receiver(post_delete, dispatch_uid="djazzkit_post_delete")
def _post_delete(sender, instance, using=None, **kwargs):
    spec = spec_for_model(sender)
    if spec is None or not spec.is_held_in_relay:
        return
    record_change(instance, deleted=True, using=using)
