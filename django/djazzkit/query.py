"""``POST query``: the query AST of PROTOCOL 4.2 compiled to Django ORM filters.

Identifiers come only from the manifest (a field name is looked up, never interpolated, and
``__`` lookups are impossible); values are converted by the field and bound as parameters by
the ORM. Bounds mirror the relay's: limit, offset, nesting depth, condition count, ``in`` size.
"""
from django.core.exceptions import ValidationError
from django.db.models import Q

from . import conf
from .identity import spelled_canonically
from .manifest import synced_fields, value_type
from .serialize import python_value, row_record
from .sync import ID_FIELD, UPDATED_AT_FIELD

OPERATORS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "contains", "icontains", "startswith", "isnull")
_ORDERED_TYPES = ("string", "integer", "float", "decimal", "datetime", "date", "uuid")
_TEXT_OPS = ("contains", "icontains", "startswith")
_LOOKUP = {"lt": "lt", "lte": "lte", "gt": "gt", "gte": "gte", "contains": "contains", "icontains": "icontains", "startswith": "startswith"}


class QueryError(Exception):
    def __init__(self, code, message, status=400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def _is_scalar(v):
    return v is None or isinstance(v, (str, int, float, bool))


class _Compiler:
    def __init__(self, spec):
        self.spec = spec
        model = spec.model
        self.fields = {f.name: f for f in synced_fields(spec)}
        self.fields[ID_FIELD] = model._meta.get_field(ID_FIELD)
        self.fields[UPDATED_AT_FIELD] = model._meta.get_field(UPDATED_AT_FIELD)
        self.max_depth = int(conf.get("QUERY_MAX_DEPTH"))
        self.max_conditions = int(conf.get("QUERY_MAX_CONDITIONS"))
        self.max_in = int(conf.get("QUERY_MAX_IN_VALUES"))
        self.count = 0

    def field(self, name):
        if not isinstance(name, str):
            raise QueryError("invalid_query", "field must be a string")
        if name in ("_djazzkit_deleted", "_djazzkit_rev"):
            return name
        field = self.fields.get(name)
        if field is None:
            raise QueryError("unknown_field", "unknown field %r on %s" % (name[:128], self.spec.label))
        return field

    def condition(self, node, depth=1):
        if depth > self.max_depth:
            raise QueryError("query_too_complex", "conditions nest deeper than %d" % self.max_depth)
        if not isinstance(node, dict):
            raise QueryError("invalid_query", "a condition must be an object")
        self.count += 1
        if self.count > self.max_conditions:
            raise QueryError("query_too_complex", "more than %d conditions" % self.max_conditions)
        keys = set(node)
        if keys == {"and"} or keys == {"or"}:
            key = keys.pop()
            items = node[key]
            if not isinstance(items, list):
                raise QueryError("invalid_query", "%s must be a list" % key)
            if len(items) > self.max_conditions:
                raise QueryError("query_too_complex", "more than %d conditions" % self.max_conditions)
            q = Q()
            for child in items:
                cq = self.condition(child, depth + 1)
                q = (q & cq) if key == "and" else ((q | cq) if q else cq)
            if key == "or" and not items:
                return Q(pk__in=[])  # an empty disjunction matches nothing
            return q
        if keys == {"not"}:
            return ~self.condition(node["not"], depth + 1)
        if keys == {"field", "op", "value"}:
            return self.comparison(node["field"], node["op"], node["value"])
        raise QueryError("invalid_query", "a condition is {field, op, value}, {and}, {or} or {not}")

    def comparison(self, name, op, value):
        if op not in OPERATORS:
            raise QueryError("invalid_query", "unknown operator %r" % (str(op)[:32],))
        field = self.field(name)
        if op == "in":
            if not isinstance(value, list) or not all(_is_scalar(v) for v in value):
                raise QueryError("invalid_query", "'in' needs a list of values")
            if len(value) > self.max_in:
                raise QueryError("query_too_complex", "an 'in' list is longer than %d" % self.max_in)
        elif not _is_scalar(value):
            raise QueryError("invalid_query", "%s needs a single value" % op)
        if op == "isnull" and not isinstance(value, bool):
            raise QueryError("invalid_query", "isnull needs true or false")

        if field == "_djazzkit_deleted":  # rows the origin returns are never deleted
            if op in ("eq", "ne") and isinstance(value, bool):
                live = (value is False) == (op == "eq")
                return Q() if live else Q(pk__in=[])
            if op == "isnull":
                return Q(pk__in=[]) if value else Q()
            raise QueryError("invalid_query", "_djazzkit_deleted supports eq, ne and isnull")
        if field == "_djazzkit_rev":
            raise QueryError("invalid_query", "_djazzkit_rev cannot be queried on the origin")

        column = field.attname
        kind = value_type(field)
        if op == "isnull":
            return Q(**{column + "__isnull": value})
        if op in ("eq", "ne") and value is None:
            q = Q(**{column + "__isnull": True})
            return q if op == "eq" else ~q
        if op in _TEXT_OPS and kind not in ("string", "uuid"):
            raise QueryError("invalid_query", "%s applies to text fields only" % op)
        if op in ("lt", "lte", "gt", "gte") and kind not in _ORDERED_TYPES:
            raise QueryError("invalid_query", "%s cannot compare %s fields" % (op, kind))
        if kind == "json" and op not in ("eq", "ne", "in"):
            raise QueryError("invalid_query", "json fields support eq, ne, in and isnull")
        if op in _TEXT_OPS:
            if not isinstance(value, str):
                raise QueryError("invalid_query", "%s needs a string" % op)
            return Q(**{column + "__" + _LOOKUP[op]: value})
        if op == "in":
            converted = [self.convert(field, v) for v in value if v is not None]
            q = Q(**{column + "__in": converted})
            if any(v is None for v in value):
                q |= Q(**{column + "__isnull": True})
            return q
        converted = self.convert(field, value)
        if op == "eq":
            return Q(**{column: converted})
        if op == "ne":
            return ~Q(**{column: converted})
        return Q(**{column + "__" + _LOOKUP[op]: converted})

    def convert(self, field, value):
        try:
            return python_value(field, value)
        except ValidationError as exc:
            raise QueryError("invalid_query", "bad value for %s: %s" % (field.name, "; ".join(exc.messages)))

    def order(self, order_by):
        if order_by is None:
            return []
        if not isinstance(order_by, list) or len(order_by) > 8:
            raise QueryError("invalid_query", "order_by must be a list of at most 8 [field, dir] pairs")
        out = []
        for item in order_by:
            if not (isinstance(item, list) and len(item) == 2 and item[1] in ("asc", "desc")):
                raise QueryError("invalid_query", "order_by items are [field, \"asc\"|\"desc\"]")
            field = self.field(item[0])
            if field == "_djazzkit_deleted":
                continue
            if field == "_djazzkit_rev":
                raise QueryError("invalid_query", "_djazzkit_rev cannot be ordered on the origin")
            out.append(("-" if item[1] == "desc" else "") + field.attname)
        return out


def _bounded_int(raw, default, low, high, code, what):
    value = default if raw is None else raw
    if isinstance(value, bool) or not isinstance(value, int) or not (low <= value <= high):
        if isinstance(value, float) and value.is_integer() and low <= value <= high:
            return int(value)
        raise QueryError(code, "%s must be an integer in %d..%d" % (what, low, high))
    return value


def run_query(spec, user, query):
    """(rows, total) of a query on a synced model for ``user`` (None = anonymous)."""
    if not isinstance(query, dict):
        raise QueryError("invalid_query", "query must be an object")
    unknown = set(query) - {"model", "where", "order_by", "limit", "offset"}
    if unknown:
        raise QueryError("invalid_query", "unknown query keys: %s" % ", ".join(sorted(unknown))[:200])
    limit = _bounded_int(
        query.get("limit"), int(conf.get("QUERY_DEFAULT_LIMIT")), 1, int(conf.get("QUERY_MAX_LIMIT")), "limit_out_of_range", "limit"
    )
    offset = _bounded_int(query.get("offset"), 0, 0, int(conf.get("QUERY_MAX_OFFSET")), "offset_out_of_range", "offset")
    compiler = _Compiler(spec)
    where = query.get("where")
    q = compiler.condition(where) if where is not None else Q()
    ordering = compiler.order(query.get("order_by"))

    qs = spec.model._default_manager.all()
    if spec.is_user_scoped:
        if user is None:
            qs = qs.none()  # anonymous callers own no rows
        else:
            owner_field = spec.model._meta.get_field(spec.owner_field)
            try:
                # "01" is not user 1 (identity.py): another spelling owns no rows
                owner = python_value(owner_field, str(user)) if spelled_canonically(owner_field, str(user)) else None
            except ValidationError:
                owner = None
            qs = qs.filter(**{spec.owner_attname: owner}) if owner is not None else qs.none()
    qs = qs.filter(q)
    total = qs.count()
    qs = qs.order_by(*(ordering + ["pk"]))[offset : offset + limit]
    return [row_record(spec, obj) for obj in qs], total
