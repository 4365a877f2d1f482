"""Row data as the relay sees it: manifest fields only, JSON values typed as the manifest says.

datetime -> ISO-8601 string, date -> ``YYYY-MM-DD``, decimal -> string (exact), uuid -> string,
foreign key -> the target's key (under the field's name, ``author`` not ``author_id``).
"""
import datetime
import decimal
import uuid

from django.core.exceptions import ValidationError

from .manifest import synced_fields, value_type
from .sync import ID_FIELD, UPDATED_AT_FIELD


def to_json_value(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [to_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if hasattr(value, "name") and hasattr(value, "url"):  # FieldFile
        return value.name or None
    return str(value)


def row_data(spec, instance):
    """{field name: JSON value} of the synced fields of ``instance``."""
    out = {}
    for field in synced_fields(spec):
        if field.is_relation:
            out[field.name] = to_json_value(getattr(instance, field.attname))
        else:
            out[field.name] = to_json_value(field.value_from_object(instance))
    return out


def row_record(spec, instance):
    """row_data plus the bookkeeping fields clients see (query answers)."""
    out = row_data(spec, instance)
    out[ID_FIELD] = str(getattr(instance, ID_FIELD))
    out[UPDATED_AT_FIELD] = to_json_value(getattr(instance, UPDATED_AT_FIELD))
    out["_djazzkit_deleted"] = False
    return out


_TYPE_CHECKS = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool) or (isinstance(v, str) and v.lstrip("-").isdigit()),
    "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "decimal": lambda v: (isinstance(v, (int, float, str)) and not isinstance(v, bool)),
    "boolean": lambda v: isinstance(v, bool),
    "datetime": lambda v: isinstance(v, str),
    "date": lambda v: isinstance(v, str),
    "uuid": lambda v: isinstance(v, str),
    "json": lambda v: True,
}


def _field_error(name, message, code="invalid_field_value"):
    return ValidationError({name: ValidationError(message, code=code)})


def python_value(field, value):
    """Convert one JSON value for ``field`` (raises ValidationError with a clear message)."""
    if value is None:
        if not field.null:
            raise _field_error(field.name, "this field cannot be null")
        return None
    kind = value_type(field)
    if not _TYPE_CHECKS[kind](value):
        raise _field_error(field.name, "expected a %s value, got %s" % (kind, type(value).__name__))
    target = field.target_field if field.is_relation else field
    if kind == "json":
        return value
    try:
        return target.to_python(value)
    except ValidationError as exc:
        raise _field_error(field.name, "; ".join(exc.messages))


def assign(spec, instance, data):
    """Set the synced fields present in ``data`` on ``instance``; unknown names raise."""
    fields = {f.name: f for f in synced_fields(spec)}
    for name, value in data.items():
        if name.startswith("_djazzkit_"):
            continue  # bookkeeping travels outside the body
        field = fields.get(name)
        if field is None:
            raise _field_error(name, "unknown field %r" % name, code="unknown_field")
        setattr(instance, field.attname, python_value(field, value))
    return instance
