"""What an edit of a record changed (major incidents, their tasks, problems, changes): the new values are
applied to the record, and the answer is what its log keeps of them."""

from typing import Any

from django.db import models


def fields_apply(record: models.Model, changes: dict[str, Any]) -> dict[str, list[Any]]:
    """Sets each changed field of `record` (not saved; a many-to-many field, such as services, is set at once)
    and answers `{name: [old, new]}` for those that differed, rows as their ids."""
    diff: dict[str, list[Any]] = {}
    many = {field.name for field in record._meta.many_to_many}
    for name, value in changes.items():
        if name in many:
            old_ids = sorted(getattr(record, name).values_list("pk", flat=True))
            new_ids = sorted({row.pk for row in value})
            if old_ids != new_ids:
                getattr(record, name).set(new_ids)
                diff[name] = [old_ids, new_ids]
            continue
        old = getattr(record, name)
        if old != value:
            diff[name] = [getattr(old, "pk", old), getattr(value, "pk", value)]
            setattr(record, name, value)
    return diff
