"""Major incidents: the declaration, its lifecycle and milestones, the incidents it gathers, its log, and the
organisation's configuration. Transitions only change fields; `incidents.major.services` wraps them with the
row lock, the permission and condition checks, the log entry and the engine's side effects."""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from .log import LogEntry

TRANSITION_PERMISSION = "incidents.transition_majorincident"


class MajorIncidentState(models.TextChoices):
    DECLARED = "declared", _("declared")
    INVESTIGATING = "investigating", _("investigating")
    IDENTIFIED = "identified", _("identified")
    MONITORING = "monitoring", _("monitoring")
    RESOLVED = "resolved", _("resolved")
    REVIEWED = "reviewed", _("reviewed")
    CLOSED = "closed", _("closed")
    CANCELLED = "cancelled", _("cancelled")


# Still being worked: the status page shows them, a second declaration may join them, reminders run.
ACTIVE_STATES = (
    MajorIncidentState.DECLARED,
    MajorIncidentState.INVESTIGATING,
    MajorIncidentState.IDENTIFIED,
    MajorIncidentState.MONITORING,
)


class Severity(models.IntegerChoices):
    """How bad it is; the engine reads it as the priority (SLA policies, communication rules)."""

    SEV1 = 1, _("SEV1: a service is down for everyone")
    SEV2 = 2, _("SEV2: a service is down for some, or badly degraded")
    SEV3 = 3, _("SEV3: limited impact, but it needs command")


class Cause(models.TextChoices):
    UNKNOWN = "unknown", _("not known yet")
    SYSTEM_FAILURE = "system_failure", _("system failure")
    HUMAN_ERROR = "human_error", _("human error")
    CYBER_ATTACK = "cyber_attack", _("cyber-attack")
    DATA_BREACH = "data_breach", _("data breach")
    NATURAL_DISASTER = "natural_disaster", _("natural disaster")
    SUPPLIER = "supplier", _("supplier or sanctions")
    LABOUR_STRIKE = "labour_strike", _("labour strike")
    REPUTATION = "reputation", _("reputation or PR crisis")
    OTHER = "other", _("other")


class DeclaredVia(models.TextChoices):
    FORM = "form", _("reporting form")
    API = "api", _("API")
    ADMIN = "admin", _("admin")
    FLAG = "flag", _("possible-major flag")


def major_incident_reference(pk: int) -> str:
    """The reference people quote for major incident `pk`: `MI-000012`."""
    return f"MI-{pk:06d}"


class MajorIncident(FSMModelMixin, models.Model):
    """An incident whose impact needs a commander, a team, an action plan and a communication plan.

    The reference (`MI-000012`) is derived from the id, like an incident's. Milestones are kept for the
    post-incident review and the metrics: occurred, detected, declared, acknowledged, identified, mitigated,
    resolved, reviewed, closed."""

    TRANSITIONS = ("investigate", "identify", "mitigate", "resolve", "reopen", "review", "close", "cancel")

    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("what is happening"), blank=True)
    state = FSMField(
        _("state"), default=MajorIncidentState.DECLARED, choices=MajorIncidentState.choices, protected=True
    )
    severity = models.PositiveSmallIntegerField(
        _("severity"), choices=Severity.choices, default=Severity.SEV2
    )
    cause = models.CharField(_("cause"), max_length=20, choices=Cause.choices, default=Cause.UNKNOWN)
    category = models.ForeignKey(
        "incidents.IncidentCategory",
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="major_incidents",
    )
    services = models.ManyToManyField(
        "incidents.Service", verbose_name=_("affected services"), blank=True, related_name="major_incidents"
    )
    primary_incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name=_("primary incident"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The incident the major incident was declared on; other reports are linked incidents."),
    )
    impact = models.TextField(_("impact statement"), blank=True)
    customer_impact = models.TextField(_("customer impact"), blank=True)
    still_ongoing = models.BooleanField(_("still ongoing when declared"), default=True)
    reporter_contact = models.CharField(
        _("how to reach the reporter"),
        max_length=200,
        blank=True,
        help_text=_("A phone number or an address."),
    )
    bridge_url = models.URLField(_("bridge (conference call)"), max_length=500, blank=True)
    war_room = models.CharField(_("war room"), max_length=200, blank=True)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("declared by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="declared_major_incidents",
    )
    declared_via = models.CharField(
        _("declared via"), max_length=10, choices=DeclaredVia.choices, default=DeclaredVia.API
    )
    flag = models.ForeignKey(
        "incidents.MajorIncidentFlag",
        verbose_name=_("possible-major flag"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="major_incidents",
    )
    resolution_summary = models.TextField(_("resolution summary"), blank=True)
    no_problem_reason = models.TextField(
        _("why no problem record is needed"),
        blank=True,
        help_text=_("Resolving needs a linked problem record for the root cause, or this reason."),
    )
    cancel_reason = models.TextField(_("why it was cancelled"), blank=True)
    next_update_at = models.DateTimeField(_("next status update due"), null=True, blank=True)

    occurred_at = models.DateTimeField(_("started at"), null=True, blank=True)
    detected_at = models.DateTimeField(_("detected at"), null=True, blank=True)
    declared_at = models.DateTimeField(_("declared at"), db_index=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    investigating_at = models.DateTimeField(_("investigation started at"), null=True, blank=True)
    identified_at = models.DateTimeField(_("cause identified at"), null=True, blank=True)
    mitigated_at = models.DateTimeField(_("mitigated at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("major incident")
        verbose_name_plural = _("major incidents")
        ordering = ["-declared_at", "-id"]
        permissions = [
            ("transition_majorincident", _("Can run a major incident through its lifecycle")),
            ("command_majorincident", _("Can assign roles, plan and communicate on a major incident")),
        ]
        indexes = [models.Index(fields=["state", "severity"], name="major_incident_state_severity")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(severity__gte=1, severity__lte=3), name="major_incident_severity_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        return major_incident_reference(self.pk) if self.pk else "MI-(unsaved)"

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    def has_commander(self) -> bool:
        return self.role_assignments.filter(role="commander", ended_at__isnull=True).exists()

    # The lifecycle of DESIGN.md, plus cancel (declared by mistake, or a duplicate). `at` is the instant the
    # service stamps on the milestone. Conditions that need more than this row are checked by the service.

    @transition(
        field=state,
        source=MajorIncidentState.DECLARED,
        target=MajorIncidentState.INVESTIGATING,
        permission=TRANSITION_PERMISSION,
        conditions=[has_commander],  # type: ignore[list-item]  # django-fsm's conditions take the model
    )
    def investigate(self, *, at: datetime) -> None:
        self.investigating_at = at
        self.acknowledged_at = self.acknowledged_at or at

    @transition(
        field=state,
        source=MajorIncidentState.INVESTIGATING,
        target=MajorIncidentState.IDENTIFIED,
        permission=TRANSITION_PERMISSION,
    )
    def identify(self, *, at: datetime) -> None:
        self.identified_at = at

    # A rollback often mitigates before anyone knows the cause: from investigating as well.
    @transition(
        field=state,
        source=[MajorIncidentState.INVESTIGATING, MajorIncidentState.IDENTIFIED],
        target=MajorIncidentState.MONITORING,
        permission=TRANSITION_PERMISSION,
    )
    def mitigate(self, *, at: datetime) -> None:
        self.mitigated_at = at

    @transition(
        field=state,
        source=[
            MajorIncidentState.INVESTIGATING,
            MajorIncidentState.IDENTIFIED,
            MajorIncidentState.MONITORING,
        ],
        target=MajorIncidentState.RESOLVED,
        permission=TRANSITION_PERMISSION,
    )
    def resolve(self, *, at: datetime) -> None:
        self.mitigated_at = self.mitigated_at or at
        self.resolved_at = at

    @transition(
        field=state,
        source=MajorIncidentState.RESOLVED,
        target=MajorIncidentState.INVESTIGATING,
        permission=TRANSITION_PERMISSION,
    )
    def reopen(self, *, at: datetime) -> None:
        self.resolved_at = None

    @transition(
        field=state,
        source=MajorIncidentState.RESOLVED,
        target=MajorIncidentState.REVIEWED,
        permission=TRANSITION_PERMISSION,
    )
    def review(self, *, at: datetime) -> None:
        self.reviewed_at = at

    @transition(
        field=state,
        source=MajorIncidentState.REVIEWED,
        target=MajorIncidentState.CLOSED,
        permission=TRANSITION_PERMISSION,
    )
    def close(self, *, at: datetime) -> None:
        self.closed_at = at

    @transition(
        field=state,
        source=list(ACTIVE_STATES),
        target=MajorIncidentState.CANCELLED,
        permission=TRANSITION_PERMISSION,
    )
    def cancel(self, *, at: datetime) -> None:
        self.cancelled_at = at


class MajorIncidentLink(models.Model):
    """An incident gathered under a major incident: the primary one, another report of the same outage, an
    alert's incident. An incident belongs to one major incident at most."""

    major_incident = models.ForeignKey(
        MajorIncident, verbose_name=_("major incident"), on_delete=models.CASCADE, related_name="links"
    )
    incident = models.OneToOneField(
        "incidents.Incident",
        verbose_name=_("incident"),
        on_delete=models.CASCADE,
        related_name="major_incident_link",
    )
    is_primary = models.BooleanField(_("primary"), default=False)
    linked_at = models.DateTimeField(_("linked at"))
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("linked by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("linked incident")
        verbose_name_plural = _("linked incidents")
        ordering = ["-is_primary", "linked_at", "id"]

    def __str__(self) -> str:
        return f"{self.major_incident.reference} <- {self.incident.reference}"


class MajorIncidentLogEntry(LogEntry):
    """One line of a major incident's log: what happened, who did it and when. Written in the same transaction
    as the change it records (the scribe's log, kept by Vigil)."""

    record_field = "major_incident"

    class Kind(models.TextChoices):
        DECLARED = "declared", _("declared")
        TRANSITION = "transition", _("state change")
        CHANGE = "change", _("field change")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")
        ROLE = "role", _("role")
        TEAM = "team", _("team")
        OBJECTIVE = "objective", _("objective")
        TASK = "task", _("task")
        LOGISTICS = "logistics", _("logistics")
        FINANCE = "finance", _("finance")
        UPDATE = "update", _("status update")
        ESCALATED = "escalated", _("escalated")
        PAGED = "paged", _("paged")
        LINK = "link", _("linked incident")
        NOTE = "note", _("note")

    major_incident = models.ForeignKey(
        MajorIncident,
        verbose_name=_("major incident"),
        on_delete=models.CASCADE,
        related_name="log",
        db_index=False,  # major_log_created leads with it
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when Vigil itself acted (a timer, the escalation)."),
    )
    transition = models.CharField(_("transition"), max_length=20, blank=True)

    class Meta(LogEntry.Meta):
        verbose_name = _("log entry")
        verbose_name_plural = _("log")
        indexes = [models.Index(fields=["major_incident", "created_at"], name="major_log_created")]


class MajorIncidentConfiguration(models.Model):
    """How this organisation runs major incidents: one row, edited by managers in the admin.

    The escalation policy pages the major-incident commanders (its levels may name the `commander` role);
    the on-call schedule of commanders names the person assigned as commander by default on declaration."""

    escalation_policy = models.ForeignKey(
        "escalation.EscalationPolicy",
        verbose_name=_("escalation policy of the commanders"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_(
            "Pages on declaration until someone acknowledges. Empty: the policy of the major incidents' SLA "
            "policy, else the default policy."
        ),
    )
    commander_schedule = models.ForeignKey(
        "escalation.Schedule",
        verbose_name=_("on-call schedule of the commanders"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Whoever is on call here when a major incident is declared becomes its commander."),
    )
    task_escalation_minutes = models.PositiveIntegerField(
        _("overdue task: tell the commander after (minutes)"),
        default=15,
        help_text=_("The owner is reminded when a task falls due; the commander this long after."),
    )
    missed_update_minutes = models.PositiveIntegerField(
        _("missed status update: tell the commander after (minutes)"),
        default=10,
        help_text=_(
            "The communications lead is reminded when an update is due; the commander this long after."
        ),
    )
    status_page_title = models.CharField(_("status page title"), max_length=200, blank=True)
    status_page_intro = models.TextField(_("status page introduction"), blank=True)

    class Meta:
        verbose_name = _("major-incident configuration")
        verbose_name_plural = _("major-incident configuration")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="major_configuration_singleton")]

    def __str__(self) -> str:
        return str(_("Major-incident configuration"))

    @classmethod
    def load(cls) -> "MajorIncidentConfiguration":
        """The configuration row, created with its defaults the first time it is read."""
        config, _created = cls.objects.get_or_create(pk=1)
        return config
