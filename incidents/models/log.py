"""What every history of a record of the incidents app holds (major incidents, problems, changes): each line
says when, from which state to which, with a note and structured data. Each log adds its record, its kinds of
line and who acted (whose help text says when Vigil itself acts on that record)."""

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class LogEntry(models.Model):
    created_at = models.DateTimeField(_("when"))
    from_state = models.CharField(_("from state"), max_length=20, blank=True)
    to_state = models.CharField(_("to state"), max_length=20, blank=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    kind: Any  # each log's own CharField with its Kind choices
    TRANSITION_KIND = "transition"

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        if self.kind == self.TRANSITION_KIND:
            return f"{self.from_state} -> {self.to_state}"
        return self.get_kind_display()  # type: ignore[attr-defined]  # Django adds it for `kind`'s choices
