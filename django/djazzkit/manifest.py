"""The schema manifest (DESIGN 6 ``GET schema``) and its 16-hex ``schema_version``."""
import hashlib
import json

from django.core.exceptions import ImproperlyConfigured
from django.db import models

from . import conf
from .sync import ID_FIELD, UPDATED_AT_FIELD, synced_models

# Django internal types -> manifest value types. Unlisted types are refused at startup
# (name the field in SyncMeta.exclude to keep it out of sync).
_INTERNAL_TYPES = {
    "CharField": "string",
    "TextField": "string",
    "SlugField": "string",
    "EmailField": "string",
    "URLField": "string",
    "FilePathField": "string",
    "FileField": "string",
    "ImageField": "string",
    "GenericIPAddressField": "string",
    "IPAddressField": "string",
    "TimeField": "string",
    "AutoField": "integer",
    "BigAutoField": "integer",
    "SmallAutoField": "integer",
    "IntegerField": "integer",
    "BigIntegerField": "integer",
    "SmallIntegerField": "integer",
    "PositiveIntegerField": "integer",
    "PositiveBigIntegerField": "integer",
    "PositiveSmallIntegerField": "integer",
    "FloatField": "float",
    "DecimalField": "decimal",
    "BooleanField": "boolean",
    "NullBooleanField": "boolean",
    "DateTimeField": "datetime",
    "DateField": "date",
    "UUIDField": "uuid",
    "JSONField": "json",
}


def value_type(field):
    """The manifest type of a concrete field; foreign keys report their target's key type."""
    if field.is_relation:
        if not (field.many_to_one or field.one_to_one):
            raise ImproperlyConfigured("%s: only ForeignKey/OneToOneField relations can be synced" % field)
        return value_type(field.target_field)
    if isinstance(field, models.JSONField):
        return "json"
    internal = field.get_internal_type()
    if internal in _INTERNAL_TYPES:
        return _INTERNAL_TYPES[internal]
    # Custom fields usually subclass a known one.
    for klass in type(field).__mro__:
        if klass.__name__ in _INTERNAL_TYPES:
            return _INTERNAL_TYPES[klass.__name__]
    raise ImproperlyConfigured(
        "%s: field type %s cannot be synced; list it in SyncMeta.exclude" % (field, internal)
    )


def synced_fields(spec):
    """The model's synced concrete fields, in declaration order (pk and bookkeeping excluded)."""
    meta = spec.model._meta
    out = []
    for field in meta.concrete_fields:
        if field.primary_key or field.name in (ID_FIELD, UPDATED_AT_FIELD):
            continue
        if spec.only is not None and field.name not in spec.only:
            continue
        if field.name in spec.exclude:
            continue
        out.append(field)
    if spec.owner_field and spec.owner_field not in {f.name for f in out}:
        raise ImproperlyConfigured("%s: owner_field %r must be a synced field" % (spec.label, spec.owner_field))
    return out


def model_spec(spec):
    return {
        "table": spec.model._meta.db_table,
        "scope": spec.scope,
        "owner_field": spec.owner_field,
        "conflict_mode": spec.conflict_mode,
        "strategy": spec.strategy,
        "has_resolver": spec.resolver is not None,
        "fields": {f.name: {"type": value_type(f), "nullable": bool(f.null)} for f in synced_fields(spec)},
    }


def manifest_models():
    return {label: model_spec(spec) for label, spec in synced_models().items()}


def canonical_json(value):
    """Sorted keys, no spaces, UTF-8 kept: the same bytes the relay's canonicalJson produces."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def schema_version(models_part, salt=""):
    """First 16 hex of SHA-256 over the canonical JSON of ``models`` (+ "\\n" + salt if any)."""
    payload = canonical_json(models_part)
    if salt:
        payload += "\n" + salt
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def build_manifest():
    models_part = manifest_models()
    return {"schema_version": schema_version(models_part, conf.schema_salt()), "models": models_part}
