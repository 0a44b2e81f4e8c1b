"""The incident's history: every transition, change and comment, with who, when and why."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .incident import state_label, transition_label


class TimelineEvent(models.Model):
    """One line of an incident's history. Written in the same transaction as the change it records."""

    class Kind(models.TextChoices):
        CREATED = "created", _("created")
        TRANSITION = "transition", _("state change")
        CHANGE = "change", _("field change")
        COMMENT = "comment", _("comment")
        NOTIFICATION = "notification", _("notification")
        ALERT = "alert", _("alert")
        ESCALATION = "escalation", _("escalation")

    incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name=_("incident"),
        on_delete=models.CASCADE,
        related_name="timeline",
        db_index=False,  # timeline_incident_created leads with it
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when Vigil itself acted (an alert, a timer)."),
    )
    created_at = models.DateTimeField(_("when"))
    from_state = models.CharField(_("from state"), max_length=20, blank=True)
    to_state = models.CharField(_("to state"), max_length=20, blank=True)
    transition = models.CharField(_("transition"), max_length=20, blank=True)
    note = models.TextField(_("note"), blank=True)
    is_public = models.BooleanField(
        _("public"),
        default=False,
        help_text=_("Public replies are shown to the reporter; work notes are not."),
    )
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["incident", "created_at"], name="timeline_incident_created")]

    def __str__(self) -> str:
        if self.kind == self.Kind.TRANSITION:
            return _("%(from)s -> %(to)s") % {
                "from": state_label(self.from_state),
                "to": state_label(self.to_state),
            }
        return self.get_kind_display()

    @property
    def transition_label(self) -> str:
        return transition_label(self.transition) if self.transition else ""

    @property
    def from_state_label(self) -> str:
        return state_label(self.from_state) if self.from_state else ""

    @property
    def to_state_label(self) -> str:
        return state_label(self.to_state) if self.to_state else ""
