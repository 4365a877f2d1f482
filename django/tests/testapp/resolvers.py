"""The test Note conflict resolver (the same rule as the sample's): ``merge_notes(ctx) -> dict | None``.

``ctx = {user, model, row_id, winner: {rev, data}, conflicts: [{rev, data}, ...]}`` with the
conflicts best first. The merge is deterministic:

- every field starts from the winner's data (so ``title``, ``archived`` and the owner are the
  winner's);
- ``body``: the distinct non-empty bodies, winner first then each conflict in order, joined
  with a newline;
- ``tags``: the union of all tag lists in order of first appearance (null if none had tags);
- ``priority``: the highest non-null priority.

A conflict is **kept** (``None``) when any version carries the tag ``"manual"``: that is how
tests (and users) leave a conflict for a person to resolve, e.g. to see it in
``Note.objects.with_conflicts()`` and the admin.
"""

MANUAL_TAG = "manual"


def _tags(data):
    tags = data.get("tags")
    return tags if isinstance(tags, list) else []


def merge_notes(ctx):
    versions = [ctx["winner"]] + list(ctx.get("conflicts") or [])
    datas = [v.get("data") or {} for v in versions if isinstance(v, dict)]
    if not datas:
        return None
    if any(MANUAL_TAG in _tags(d) for d in datas):
        return None
    merged = dict(datas[0])
    bodies = []
    for d in datas:
        body = d.get("body") or ""
        if body and body not in bodies:
            bodies.append(body)
    merged["body"] = "\n".join(bodies)
    if any(isinstance(d.get("tags"), list) for d in datas):
        union = []
        for d in datas:
            for tag in _tags(d):
                if tag not in union:
                    union.append(tag)
        merged["tags"] = union
    priorities = [d.get("priority") for d in datas if isinstance(d.get("priority"), int) and not isinstance(d.get("priority"), bool)]
    merged["priority"] = max(priorities) if priorities else None
    return merged
