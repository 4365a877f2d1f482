"""One spelling of a user id, end to end (DESIGN 8; issue 8, item 3).

The relay keeps ``"01"`` and ``"1"`` apart on purpose: they are two principals to it. Django's
integer fields read both as 1 (and ``"+1"``, ``" 1"``, ``"1_0"`` as 1 or 10, ``"١"`` as 1), so
every place that turns a user id into a key must first check that the id is the spelling
``str()`` gives of the key it reads: for integer keys ``str(pk)``. Any other spelling is
refused (``forbidden``), never read as another user.

An id the field cannot read at all (``"josé"`` for an integer key) is not another user's
spelling: it is left to the field's own refusal (no such user, or a ``forbidden`` owner).
"""
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError


def spelled_canonically(field, user_id):
    """Whether ``user_id`` is the one spelling of the value ``field`` reads from it."""
    target = field.target_field if field.is_relation else field
    try:
        value = target.to_python(user_id)
    except (ValidationError, TypeError, ValueError):
        return True
    return value is None or str(value) == user_id


def is_canonical_user_id(user_id):
    """Whether ``user_id`` (a string) is canonical for the user model's primary key."""
    return isinstance(user_id, str) and spelled_canonically(get_user_model()._meta.pk, user_id)
