"""Thread-local marks for writes made on behalf of the relay (no poke back, rev recorded)."""
import threading
from contextlib import contextmanager

_local = threading.local()


def _stack(name):
    stack = getattr(_local, name, None)
    if stack is None:
        stack = []
        setattr(_local, name, stack)
    return stack


@contextmanager
def relay_write(label, row_id, rev):
    """Saves/deletes of (label, row_id) inside this block come from the relay at revision rev."""
    stack = _stack("relay")
    stack.append((label, str(row_id), rev))
    try:
        yield
    finally:
        stack.pop()


def relay_rev(label, row_id):
    """(True, rev) when the current write of this row comes from the relay, else (False, None)."""
    key = str(row_id)
    for entry_label, entry_row, rev in reversed(_stack("relay")):
        if entry_label == label and entry_row == key:
            return True, rev
    return False, None


@contextmanager
def suppress_pokes():
    """Saves inside this block are logged for ``changes`` but do not poke the relay."""
    stack = _stack("suppress")
    stack.append(True)
    try:
        yield
    finally:
        stack.pop()


def pokes_suppressed():
    return bool(_stack("suppress"))
