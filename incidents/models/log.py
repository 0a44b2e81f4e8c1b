"""What every history of a record of the incidents app holds (major incidents, problems, changes): each line
says when, from which state to which, with a note and structured data. Each log adds its record, its kinds of
line and who acted (whose help text says when Vigil itself acts on that record)."""

from datetime import datetime
from typing import Any, Self

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LogEntry(models.Model):
    created_at = models.DateTimeField(_("when"))
    from_state = models.CharField(_("from state"), max_length=20, blank=True)
    to_state = models.CharField(_("to state"), max_length=20, blank=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    kind: Any  # each log's own CharField with its Kind choices
    TRANSITION_KIND = "transition"
    # The name of each log's foreign key to its record, and each log's own `actor` (who acted; None: Vigil).
    record_field: str

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        if self.kind == self.TRANSITION_KIND:
            return f"{self.from_state} -> {self.to_state}"
        return self.get_kind_display()  # type: ignore[attr-defined]  # Django adds it for `kind`'s choices

    @classmethod
    def write(
        cls,
        record: models.Model,
        *,
        kind: str,
        by: Any,
        at: datetime | None = None,
        note: str = "",
        data: dict[str, Any] | None = None,
        **fields: Any,
    ) -> Self:
        """One line of `record`'s log, in the caller's transaction."""
        return cls._default_manager.create(
            **{cls.record_field: record},
            kind=kind,
            actor=by,
            created_at=at or timezone.now(),
            note=note,
            data=data or {},
            **fields,
        )
