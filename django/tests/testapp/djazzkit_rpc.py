"""RPCs of the test app (imported by djazzkit at startup: every app's ``djazzkit_rpc``)."""
from djazzkit import RpcError, rpc

from .models import Announcement, Note, Task


@rpc("note_stats")
def note_stats(user, args):
    """Counts for the calling user (zeros for anonymous callers)."""
    if user is None:
        return {"user_id": None, "notes": 0, "archived": 0, "conflicted": 0, "tasks": 0, "tasks_done": 0,
                "announcements": Announcement.objects.count()}
    notes = Note.objects.filter(author=user)
    tasks = Task.objects.filter(owner=user)
    return {
        "user_id": str(user.pk),
        "notes": notes.count(),
        "archived": notes.filter(archived=True).count(),
        "conflicted": notes.with_conflicts().count(),
        "tasks": tasks.count(),
        "tasks_done": tasks.filter(done=True).count(),
        "announcements": Announcement.objects.count(),
    }


@rpc("echo")
def echo(user, args):
    return {"user_id": str(user.pk) if user is not None else None, "args": args}


@rpc("fail")
def fail(user, args):
    raise RpcError("this RPC always fails")
