"""The incident and its lifecycle. Transitions only change fields; `incidents.services` wraps them with the
row lock, the permission check, the timeline event and the side effects."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from .catalog import Impact, Priority, Urgency

TRANSITION_PERMISSION = "incidents.transition_incident"


class IncidentState(models.TextChoices):
    NEW = "new", _("new")
    ACKNOWLEDGED = "acknowledged", _("acknowledged")
    IN_PROGRESS = "in_progress", _("in progress")
    ON_HOLD = "on_hold", _("on hold")
    RESOLVED = "resolved", _("resolved")
    CLOSED = "closed", _("closed")
    CANCELLED = "cancelled", _("cancelled")


OPEN_STATES = (
    IncidentState.NEW,
    IncidentState.ACKNOWLEDGED,
    IncidentState.IN_PROGRESS,
    IncidentState.ON_HOLD,
)


class Source(models.TextChoices):
    FORM = "form", _("reporting form")
    API = "api", _("API")
    ALERT = "alert", _("monitoring alert")
    EMAIL = "email", _("e-mail")
    PHONE = "phone", _("phone")
    ADMIN = "admin", _("admin")


class ResolutionCode(models.TextChoices):
    FIXED = "fixed", _("fixed")
    WORKAROUND = "workaround", _("workaround applied")
    DUPLICATE = "duplicate", _("duplicate")
    NOT_REPRODUCIBLE = "not_reproducible", _("could not reproduce")
    NO_ACTION = "no_action", _("no action needed")
    SOURCE_RECOVERED = "source_recovered", _("the monitored source recovered")


# What people read for each transition (lower case, as in "cannot %(name)s"): the admin's buttons, the timeline,
# error sentences. The API names transitions by their code (Incident.TRANSITIONS).
TRANSITION_LABELS = {
    "acknowledge": _("acknowledge"),
    "start": _("start work"),
    "hold": _("put on hold"),
    "resume": _("resume work"),
    "resolve": _("resolve"),
    "close": _("close"),
    "reopen": _("reopen"),
    "cancel": _("cancel"),
}


def transition_label(name: str) -> str:
    """The label of transition `name` in the active language (the name itself when it has none)."""
    return str(TRANSITION_LABELS.get(name, name))


def state_label(state: str) -> str:
    """The label of incident state `state` in the active language (the code itself when it is unknown)."""
    try:
        return str(IncidentState(state).label)
    except ValueError:
        return state


def incident_reference(pk: int) -> str:
    """The reference people quote for incident `pk`: `INC-000123`."""
    return f"INC-{pk:06d}"


class Incident(FSMModelMixin, models.Model):
    """Something that interrupts or degrades a service, from report to closure.

    The reference people quote (`INC-000123`) is derived from the id, so it can never disagree with it."""

    TRANSITIONS = ("acknowledge", "start", "hold", "resume", "resolve", "close", "reopen", "cancel")

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # Every index is written on each new incident, alerts' included: none on a single column that a composite
    # index below leads with (state, service, team, assignee).
    state = FSMField(_("state"), default=IncidentState.NEW, choices=IncidentState.choices, protected=True)
    service = models.ForeignKey(
        "incidents.Service",
        verbose_name=_("service"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
        db_index=False,
    )
    category = models.ForeignKey(
        "incidents.IncidentCategory",
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
    )
    impact = models.PositiveSmallIntegerField(_("impact"), choices=Impact.choices, default=Impact.MODERATE)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Urgency.choices, default=Urgency.MEDIUM)
    priority = models.PositiveSmallIntegerField(
        _("priority"),
        choices=Priority.choices,
        default=Priority.P3,
        help_text=_("Computed from impact and urgency with the priority matrix."),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_incidents",
        db_index=False,
    )
    team = models.ForeignKey(
        "escalation.Team",
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="incidents",
        db_index=False,
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reported_incidents",
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.API)
    resolution_code = models.CharField(
        _("resolution code"), max_length=20, choices=ResolutionCode.choices, blank=True
    )
    resolution_notes = models.TextField(_("resolution notes"), blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent incident"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
    )

    reported_at = models.DateTimeField(_("reported at"), db_index=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    work_started_at = models.DateTimeField(_("work started at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    on_hold_since = models.DateTimeField(_("on hold since"), null=True, blank=True)
    time_on_hold = models.DurationField(_("total time on hold"), default=timedelta)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # What a report must contain besides when it was reported (the seed material): when it happened and when
    # it was noticed, its scope and who it hurts, and when an interim measure limited the damage before the
    # fix. Time to detect (occurred -> detected) and to mitigate (reported -> mitigated) are measured from
    # these where they are recorded (incidents.metrics).
    occurred_at = models.DateTimeField(
        _("occurred at"), null=True, blank=True, help_text=_("When it actually started, if known.")
    )
    detected_at = models.DateTimeField(
        _("detected at"), null=True, blank=True, help_text=_("When someone or something first noticed it.")
    )
    impact_scope = models.TextField(
        _("scope of impact"), blank=True, help_text=_("What is affected: services, sites, functions, data.")
    )
    affected_parties = models.TextField(
        _("who is affected"), blank=True, help_text=_("Customers, users, teams or partners who feel it.")
    )
    mitigated_at = models.DateTimeField(
        _("mitigated at"),
        null=True,
        blank=True,
        help_text=_("When the interim measure took effect and the damage stopped growing."),
    )
    interim_measure = models.TextField(
        _("interim measure"),
        blank=True,
        help_text=_("The workaround that limits the damage before the fix."),
    )
    engaged_at = models.DateTimeField(
        _("engaged at"),
        null=True,
        blank=True,
        help_text=_(
            "When its SLA clocks, escalation and reporting rules started. Empty for a moment after an alert "
            "opened it: the timer sweep engages those (incidents.services.incident_engage)."
        ),
    )

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-reported_at", "-id"]
        permissions = [("transition_incident", _("Can move an incident through its lifecycle"))]
        indexes = [
            models.Index(fields=["state", "priority"], name="incident_state_priority"),
            models.Index(fields=["service", "reported_at"], name="incident_service_reported"),
            models.Index(fields=["team", "state"], name="incident_team_state"),
            models.Index(fields=["assignee", "state"], name="incident_assignee_state"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(impact__gte=1, impact__lte=4), name="incident_impact_range"
            ),
            models.CheckConstraint(
                condition=models.Q(urgency__gte=1, urgency__lte=4), name="incident_urgency_range"
            ),
            models.CheckConstraint(
                condition=models.Q(priority__gte=1, priority__lte=4), name="incident_priority_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        return incident_reference(self.pk) if self.pk else "INC-(unsaved)"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def _end_hold(self, at: datetime) -> None:
        if self.on_hold_since is not None:
            self.time_on_hold += max(at - self.on_hold_since, timedelta(0))
            self.on_hold_since = None

    # The lifecycle of DESIGN.md. `at` is the instant the service stamps on the milestone.

    @transition(
        field=state,
        source=IncidentState.NEW,
        target=IncidentState.ACKNOWLEDGED,
        permission=TRANSITION_PERMISSION,
    )
    def acknowledge(self, *, at: datetime) -> None:
        self.acknowledged_at = at

    @transition(
        field=state,
        source=IncidentState.ACKNOWLEDGED,
        target=IncidentState.IN_PROGRESS,
        permission=TRANSITION_PERMISSION,
    )
    def start(self, *, at: datetime) -> None:
        self.work_started_at = self.work_started_at or at

    @transition(
        field=state,
        source=IncidentState.IN_PROGRESS,
        target=IncidentState.ON_HOLD,
        permission=TRANSITION_PERMISSION,
    )
    def hold(self, *, at: datetime) -> None:
        self.on_hold_since = at

    @transition(
        field=state,
        source=IncidentState.ON_HOLD,
        target=IncidentState.IN_PROGRESS,
        permission=TRANSITION_PERMISSION,
    )
    def resume(self, *, at: datetime) -> None:
        self._end_hold(at)

    # Resolving is allowed from every open state: an alert whose source recovers resolves its incident even
    # when nobody has touched it yet (see docs/architecture.md).
    @transition(
        field=state, source=list(OPEN_STATES), target=IncidentState.RESOLVED, permission=TRANSITION_PERMISSION
    )
    def resolve(self, *, at: datetime, resolution_code: str = "", resolution_notes: str = "") -> None:
        self._end_hold(at)
        self.resolved_at = at
        if resolution_code:
            self.resolution_code = resolution_code
        if resolution_notes:
            self.resolution_notes = resolution_notes

    @transition(
        field=state,
        source=IncidentState.RESOLVED,
        target=IncidentState.CLOSED,
        permission=TRANSITION_PERMISSION,
    )
    def close(self, *, at: datetime) -> None:
        self.closed_at = at

    @transition(
        field=state,
        source=IncidentState.RESOLVED,
        target=IncidentState.IN_PROGRESS,
        permission=TRANSITION_PERMISSION,
    )
    def reopen(self, *, at: datetime) -> None:
        self.resolved_at = None
        self.resolution_code = ""
        self.work_started_at = self.work_started_at or at

    @transition(
        field=state,
        source=list(OPEN_STATES),
        target=IncidentState.CANCELLED,
        permission=TRANSITION_PERMISSION,
    )
    def cancel(self, *, at: datetime) -> None:
        self._end_hold(at)
        self.cancelled_at = at
