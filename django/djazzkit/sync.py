"""Reading djazzkit-style ``SyncMeta`` inner classes from models.

A synced model looks like djazzkit's (the names are in ``djazzkit.sync_meta``)::

    class Note(SyncModel):
        ...
        class SyncMeta:
            scope = SyncScope.USER
            owner_field = "author"
            conflict_mode = ConflictMode.REVISION_TREE       # or ConflictMode.LWW (default)
            conflict_resolver = staticmethod(merge_notes)    # or a dotted path
            strategy = Strategy.SYNC                         # or Strategy.REMOTE

Optional: ``fields`` (only these are synced) / ``exclude`` (never synced), and ``validator``
(dotted path or callable ``validator(ctx) -> None`` raising ``ValidationError`` or
``djazzkit.Rejected`` to refuse a relay write).
"""
import functools
from dataclasses import dataclass
from typing import Any, Optional

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from .sync_meta import ConflictMode, Strategy, SyncScope

ID_FIELD = "_djazzkit_id"
UPDATED_AT_FIELD = "_djazzkit_updated_at"
BOOKKEEPING_FIELDS = ("_djazzkit_id", "_djazzkit_rev", "_djazzkit_deleted", "_djazzkit_updated_at")


def _enum_value(value):
    """Accept plain strings and enum members (``SyncScope.USER`` of a real djazzkit)."""
    value = getattr(value, "value", value)
    return str(value).lower() if value is not None else None


@dataclass(frozen=True)
class SyncSpec:
    model: Any
    label: str
    scope: str
    owner_field: Optional[str]
    conflict_mode: str
    strategy: str
    resolver: Any  # dotted path, callable or None
    validator: Any
    only: Optional[tuple]
    exclude: tuple

    @property
    def is_user_scoped(self):
        return self.scope == SyncScope.USER and self.owner_field is not None

    @property
    def is_held_in_relay(self):
        """Rows of this model live in the owner's Durable Object (pushable, pokeable)."""
        return self.is_user_scoped and self.strategy == Strategy.SYNC

    @property
    def owner_attname(self):
        return self.model._meta.get_field(self.owner_field).attname if self.owner_field else None

    def owner_of(self, instance):
        """The owner's user id as a string, or None."""
        if not self.owner_field:
            return None
        value = getattr(instance, self.owner_attname)
        return None if value is None else str(value)

    def get_resolver(self):
        return _load_callable(self.resolver, self.label, "conflict_resolver")

    def get_validator(self):
        return _load_callable(self.validator, self.label, "validator")


def _load_callable(ref, label, what):
    if ref is None:
        return None
    if callable(ref):
        return ref
    try:
        return import_string(ref)
    except ImportError as exc:
        raise ImproperlyConfigured("%s SyncMeta.%s %r cannot be imported: %s" % (label, what, ref, exc))


def label_of(model):
    return "%s.%s" % (model._meta.app_label, model._meta.object_name)


def read_sync_meta(model):
    """The model's SyncSpec, or None when it is not synced. Raises ImproperlyConfigured."""
    meta = getattr(model, "SyncMeta", None)
    if meta is None or model._meta.abstract or model._meta.proxy or model._meta.swapped:
        return None
    label = label_of(model)
    field_names = {f.name for f in model._meta.get_fields()}
    if ID_FIELD not in field_names or UPDATED_AT_FIELD not in field_names:
        raise ImproperlyConfigured(
            "%s has a SyncMeta but no %s/%s fields: inherit djazzkit.models.SyncModel"
            % (label, ID_FIELD, UPDATED_AT_FIELD)
        )
    scope = _enum_value(getattr(meta, "scope", SyncScope.USER))
    if scope not in (SyncScope.USER, SyncScope.SHARED):
        raise ImproperlyConfigured("%s SyncMeta.scope must be USER or SHARED, not %r" % (label, scope))
    owner_field = getattr(meta, "owner_field", None) if scope == SyncScope.USER else None
    if scope == SyncScope.USER and not owner_field:
        raise ImproperlyConfigured("%s has SyncScope.USER but no SyncMeta.owner_field" % label)
    if owner_field and owner_field not in field_names:
        raise ImproperlyConfigured("%s SyncMeta.owner_field %r is not a field" % (label, owner_field))
    conflict_mode = _enum_value(getattr(meta, "conflict_mode", ConflictMode.LWW))
    if conflict_mode not in (ConflictMode.LWW, ConflictMode.REVISION_TREE):
        raise ImproperlyConfigured("%s SyncMeta.conflict_mode must be lww or revision_tree" % label)
    strategy = _enum_value(getattr(meta, "strategy", Strategy.SYNC))
    if strategy not in (Strategy.SYNC, Strategy.REMOTE):
        raise ImproperlyConfigured("%s SyncMeta.strategy must be sync or remote" % label)
    only = getattr(meta, "fields", None)
    return SyncSpec(
        model=model,
        label=label,
        scope=scope,
        owner_field=owner_field,
        conflict_mode=conflict_mode,
        strategy=strategy,
        resolver=getattr(meta, "conflict_resolver", None),
        validator=getattr(meta, "validator", None),
        only=tuple(only) if only is not None else None,
        exclude=tuple(getattr(meta, "exclude", ()) or ()),
    )


def _compute_synced_models():
    out = {}
    for model in apps.get_models():
        spec = read_sync_meta(model)
        if spec is not None:
            out[spec.label] = spec
    return out


@functools.lru_cache(maxsize=None)
def _cached_synced_models():
    return _compute_synced_models()


def synced_models():
    """{label: SyncSpec} of every installed synced model, in app registry order (cached)."""
    if not apps.ready:
        return _compute_synced_models()
    return _cached_synced_models()


def clear_cache():
    _cached_synced_models.cache_clear()


def spec_for_label(label):
    if not isinstance(label, str):
        return None
    return synced_models().get(label)


def spec_for_model(model):
    """The SyncSpec of a model class (or of its concrete model for proxies), or None."""
    concrete = model._meta.concrete_model or model
    spec = synced_models().get(label_of(concrete))
    return spec if spec is not None and spec.model is concrete else None
