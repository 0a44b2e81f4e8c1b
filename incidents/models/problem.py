"""Problems and known errors: the root cause behind one or more incidents, and the workaround that helps until
it is fixed. Transitions only change fields; `incidents.problems.services` wraps them with the row lock, the
permission and condition checks, the log entry and the engine's side effects."""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from .catalog import Priority
from .log import LogEntry

TRANSITION_PERMISSION = "incidents.transition_problem"


class ProblemState(models.TextChoices):
    OPEN = "open", _("open")
    INVESTIGATING = "investigating", _("investigating")
    KNOWN_ERROR = "known_error", _("known error")
    RESOLVED = "resolved", _("resolved")
    CLOSED = "closed", _("closed")


# Still being worked: reminders run, the recurring-incidents view counts them as "has a problem".
ACTIVE_PROBLEM_STATES = (ProblemState.OPEN, ProblemState.INVESTIGATING, ProblemState.KNOWN_ERROR)

PROBLEM_TRANSITION_LABELS = {
    "investigate": _("start the investigation"),
    "record_known_error": _("record as a known error"),
    "resolve": _("resolve"),
    "reopen": _("reopen"),
    "close": _("close"),
}


def problem_reference(pk: int) -> str:
    """The reference people quote for problem `pk`: `PRB-000042`."""
    return f"PRB-{pk:06d}"


class Problem(FSMModelMixin, models.Model):
    """The unknown (then known) cause of one or more incidents. A problem with a workaround is a known error:
    agents find it from an incident and apply the workaround at once.

    The reference (`PRB-000042`) is derived from the id, like an incident's."""

    TRANSITIONS = ("investigate", "record_known_error", "resolve", "reopen", "close")

    title = models.CharField(_("title"), max_length=200)
    symptoms = models.TextField(_("symptoms"), blank=True, help_text=_("What people see when it happens."))
    state = FSMField(_("state"), default=ProblemState.OPEN, choices=ProblemState.choices, protected=True)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.P3)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_problems",
    )
    team = models.ForeignKey(
        "escalation.Team",
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="problems",
    )
    category = models.ForeignKey(
        "incidents.IncidentCategory",
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="problems",
    )
    services = models.ManyToManyField(
        "incidents.Service", verbose_name=_("affected services"), blank=True, related_name="problems"
    )
    incidents = models.ManyToManyField(
        "incidents.Incident",
        verbose_name=_("linked incidents"),
        through="incidents.ProblemIncident",
        blank=True,
        related_name="problems",
    )
    major_incidents = models.ManyToManyField(
        "incidents.MajorIncident",
        verbose_name=_("linked major incidents"),
        blank=True,
        related_name="problems",
    )
    root_cause = models.TextField(_("root cause"), blank=True)
    workaround = models.TextField(
        _("workaround"),
        blank=True,
        help_text=_("What helps until the fix: a problem with one is a known error."),
    )
    resolution = models.TextField(_("resolution"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    opened_at = models.DateTimeField(_("opened at"), db_index=True)
    investigating_at = models.DateTimeField(_("investigation started at"), null=True, blank=True)
    known_error_at = models.DateTimeField(_("known error since"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        ordering = ["-opened_at", "-id"]
        permissions = [("transition_problem", _("Can run a problem through its lifecycle"))]
        indexes = [models.Index(fields=["state", "priority"], name="problem_state_priority")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(priority__gte=1, priority__lte=4), name="problem_priority_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        return problem_reference(self.pk) if self.pk else "PRB-(unsaved)"

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_PROBLEM_STATES

    @property
    def is_known_error(self) -> bool:
        return self.state == ProblemState.KNOWN_ERROR

    def has_workaround(self) -> bool:
        return bool(self.workaround.strip())

    # `at` is the instant the service stamps on the milestone. Conditions that need more than this row are
    # checked by the service.

    @transition(
        field=state,
        source=ProblemState.OPEN,
        target=ProblemState.INVESTIGATING,
        permission=TRANSITION_PERMISSION,
    )
    def investigate(self, *, at: datetime) -> None:
        self.investigating_at = at

    # A workaround may be known before anyone investigates (the incident's agent found it): from open too.
    @transition(
        field=state,
        source=[ProblemState.OPEN, ProblemState.INVESTIGATING],
        target=ProblemState.KNOWN_ERROR,
        permission=TRANSITION_PERMISSION,
        conditions=[has_workaround],  # type: ignore[list-item]  # django-fsm's conditions take the model
    )
    def record_known_error(self, *, at: datetime) -> None:
        self.investigating_at = self.investigating_at or at
        self.known_error_at = at

    @transition(
        field=state,
        source=[ProblemState.INVESTIGATING, ProblemState.KNOWN_ERROR],
        target=ProblemState.RESOLVED,
        permission=TRANSITION_PERMISSION,
    )
    def resolve(self, *, at: datetime) -> None:
        self.resolved_at = at

    @transition(
        field=state,
        source=ProblemState.RESOLVED,
        target=ProblemState.INVESTIGATING,
        permission=TRANSITION_PERMISSION,
    )
    def reopen(self, *, at: datetime) -> None:
        self.resolved_at = None

    @transition(
        field=state,
        source=ProblemState.RESOLVED,
        target=ProblemState.CLOSED,
        permission=TRANSITION_PERMISSION,
    )
    def close(self, *, at: datetime) -> None:
        self.closed_at = at


class ProblemIncident(models.Model):
    """An incident caused by the problem. Linking one to a known error puts the workaround on the incident's
    timeline (`workaround_applied_at`)."""

    problem = models.ForeignKey(
        Problem, verbose_name=_("problem"), on_delete=models.CASCADE, related_name="incident_links"
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name=_("incident"),
        on_delete=models.CASCADE,
        related_name="problem_links",
    )
    linked_at = models.DateTimeField(_("linked at"))
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("linked by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    workaround_applied_at = models.DateTimeField(_("workaround copied at"), null=True, blank=True)

    class Meta:
        verbose_name = _("linked incident")
        verbose_name_plural = _("linked incidents")
        ordering = ["linked_at", "id"]
        constraints = [models.UniqueConstraint(fields=["problem", "incident"], name="problem_incident_once")]

    def __str__(self) -> str:
        return f"{self.problem.reference} <- {self.incident.reference}"


class ProblemLogEntry(LogEntry):
    """One line of a problem's history: who did what, when, and why. Written in the transaction of the change."""

    record_field = "problem"

    class Kind(models.TextChoices):
        OPENED = "opened", _("opened")
        TRANSITION = "transition", _("state change")
        CHANGE = "change", _("field change")
        LINK = "link", _("link")
        NOTE = "note", _("note")
        REMINDED = "reminded", _("reminded")

    problem = models.ForeignKey(
        Problem, verbose_name=_("problem"), on_delete=models.CASCADE, related_name="log", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when Vigil itself acted (a timer, a change's review)."),
    )
    transition = models.CharField(_("transition"), max_length=30, blank=True)

    class Meta(LogEntry.Meta):
        verbose_name = _("problem log entry")
        verbose_name_plural = _("problem log")
        indexes = [models.Index(fields=["problem", "created_at"], name="problem_log_created")]
