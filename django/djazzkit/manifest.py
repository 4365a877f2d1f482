"""The schema manifest (PROTOCOL 6 ``GET schema``) and its 16-hex ``schema_version``."""
import datetime
import decimal
import hashlib
import json
import uuid

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
        "fields": {f.name: field_spec(f) for f in synced_fields(spec)},
    }


def field_spec(field):
    """One field's manifest entry: type and nullability, plus what a client needs to write a
    valid value (PROTOCOL 8): ``default`` when it is a constant, ``max_length`` of string fields,
    ``choices`` as ``[value, label]`` pairs (groups flattened). Keys Django has nothing for are
    left out, so the schema version of a model without them does not change."""
    kind = value_type(field)
    out = {"type": kind, "nullable": bool(field.null)}
    default = constant_default(field)
    if default is not _NO_CONSTANT:
        out["default"] = default
    if kind == "string" and not field.is_relation and field.max_length is not None:
        out["max_length"] = int(field.max_length)
    if field.choices and not field.is_relation:
        out["choices"] = [[json_number(_json_form(value)), str(label)] for value, label in field.flatchoices]
    return out


_NO_CONSTANT = object()


def constant_default(field):
    """The field's default in its JSON form, or _NO_CONSTANT when it has none or it is computed
    (a callable such as ``dict`` or ``uuid.uuid4``: each row gets a fresh one, so only Django
    can fill it)."""
    if not field.has_default() or callable(field.default):
        return _NO_CONSTANT
    value = _json_form(field.default)
    if value is _NO_CONSTANT:
        return _NO_CONSTANT
    return json_number(value)


def _json_form(value):
    """Constants as the relay stores them (see serialize.to_json_value); _NO_CONSTANT when a
    value has no JSON form (a model instance as a foreign key default, say)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (list, tuple)):
        items = [_json_form(v) for v in value]
        return _NO_CONSTANT if any(v is _NO_CONSTANT for v in items) else items
    if isinstance(value, dict):
        items = {str(k): _json_form(v) for k, v in value.items()}
        return _NO_CONSTANT if any(v is _NO_CONSTANT for v in items.values()) else items
    return _NO_CONSTANT


def json_number(value):
    """Integral floats as ints, at any depth: ``1.0`` and ``1`` are the same JSON number to the
    relay, whose canonical JSON writes ``1``; Python would write ``1.0`` and hash other bytes."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
        return int(value)
    if isinstance(value, list):
        return [json_number(v) for v in value]
    if isinstance(value, dict):
        return {k: json_number(v) for k, v in value.items()}
    return value


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
