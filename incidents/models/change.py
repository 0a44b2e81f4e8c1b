"""Changes: the fix carried out so that it is documented, approved, done, and breaks nothing else; then reviewed
once some time has passed. Transitions only change fields; `incidents.changes.services` wraps them with the
row lock, the approval rules, the collision check, the log entry and the engine's timers."""

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from .log import LogEntry

TRANSITION_PERMISSION = "incidents.transition_change"
APPROVE_PERMISSION = "incidents.approve_change"


class ChangeState(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted for approval")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    SCHEDULED = "scheduled", _("scheduled")
    IMPLEMENTING = "implementing", _("being implemented")
    IMPLEMENTED = "implemented", _("implemented")
    FAILED = "failed", _("failed")
    ROLLED_BACK = "rolled_back", _("rolled back")
    REVIEWED = "reviewed", _("reviewed")
    CLOSED = "closed", _("closed")
    CANCELLED = "cancelled", _("cancelled")


class ChangeType(models.TextChoices):
    STANDARD = "standard", _("standard (pre-approved)")
    NORMAL = "normal", _("normal (approved before it is scheduled)")
    EMERGENCY = "emergency", _("emergency (may be approved after it is implemented)")


class RiskLevel(models.TextChoices):
    LOW = "low", _("low")
    MEDIUM = "medium", _("medium")
    HIGH = "high", _("high")
    CRITICAL = "critical", _("critical")


# Windows in these states hold their services: a new change scheduled over them collides.
HOLDING_STATES = (ChangeState.SCHEDULED, ChangeState.IMPLEMENTING)
# Done with, one way or the other: waiting for the post-implementation review.
IMPLEMENTED_STATES = (ChangeState.IMPLEMENTED, ChangeState.FAILED, ChangeState.ROLLED_BACK)
FINISHED_STATES = (ChangeState.CLOSED, ChangeState.CANCELLED)

CHANGE_TRANSITION_LABELS = {
    "submit": _("submit for approval"),
    "approve": _("approve"),
    "reject": _("reject"),
    "revise": _("revise"),
    "schedule": _("schedule"),
    "start": _("start implementing"),
    "complete": _("mark implemented"),
    "fail": _("mark failed"),
    "roll_back": _("roll back"),
    "review": _("review"),
    "close": _("close"),
    "cancel": _("cancel"),
}


def change_reference(pk: int) -> str:
    """The reference people quote for change `pk`: `CHG-000042`."""
    return f"CHG-{pk:06d}"


class Change(FSMModelMixin, models.Model):
    """A change to a service: what, why (the problem or major incident it fixes), how, how to undo it, how to
    test it, when, and who approved it.

    Standard changes are pre-approved (a template); normal ones are approved before they are scheduled;
    emergency ones may start before their approval, which is then recorded after the fact (`approved_after`)."""

    TRANSITIONS = (
        "submit",
        "approve",
        "reject",
        "revise",
        "schedule",
        "start",
        "complete",
        "fail",
        "roll_back",
        "review",
        "close",
        "cancel",
    )

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    state = FSMField(_("state"), default=ChangeState.DRAFT, choices=ChangeState.choices, protected=True)
    change_type = models.CharField(
        _("type"), max_length=10, choices=ChangeType.choices, default=ChangeType.NORMAL
    )
    risk_level = models.CharField(
        _("risk level"), max_length=10, choices=RiskLevel.choices, default=RiskLevel.LOW
    )
    services = models.ManyToManyField(
        "incidents.Service", verbose_name=_("affected services"), blank=True, related_name="changes"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_changes",
        help_text=_("Who carries the change out and answers its review."),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="requested_changes",
    )
    team = models.ForeignKey(
        "escalation.Team",
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="changes",
    )
    problem = models.ForeignKey(
        "incidents.Problem",
        verbose_name=_("problem it fixes"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="changes",
    )
    major_incident = models.ForeignKey(
        "incidents.MajorIncident",
        verbose_name=_("major incident it fixes"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="changes",
    )
    planned_start = models.DateTimeField(_("planned start"), null=True, blank=True)
    planned_end = models.DateTimeField(_("planned end"), null=True, blank=True)
    implementation_plan = models.TextField(_("implementation plan"), blank=True)
    rollback_plan = models.TextField(_("rollback plan"), blank=True)
    test_plan = models.TextField(_("test plan"), blank=True)
    # Approvals are counted per round: a rejected change that is revised and submitted again starts afresh.
    approval_round = models.PositiveSmallIntegerField(_("approval round"), default=0)
    approved_after = models.BooleanField(
        _("approved after implementation"),
        default=False,
        help_text=_("An emergency change whose approval was recorded after it had started."),
    )
    rejection_reason = models.TextField(_("why it was rejected"), blank=True)
    failure_reason = models.TextField(_("why it failed"), blank=True)
    cancel_reason = models.TextField(_("why it was cancelled"), blank=True)
    collisions_confirmed = models.JSONField(_("collisions accepted when scheduled"), default=list, blank=True)
    review_fixed = models.BooleanField(_("the change fixed the problem"), null=True, blank=True)
    review_side_effects = models.TextField(_("side effects"), blank=True)
    review_due_at = models.DateTimeField(_("review due"), null=True, blank=True)

    created_at = models.DateTimeField(_("created at"), db_index=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    rejected_at = models.DateTimeField(_("rejected at"), null=True, blank=True)
    scheduled_at = models.DateTimeField(_("scheduled at"), null=True, blank=True)
    started_at = models.DateTimeField(_("implementation started at"), null=True, blank=True)
    implemented_at = models.DateTimeField(_("implemented at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    rolled_back_at = models.DateTimeField(_("rolled back at"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("change")
        verbose_name_plural = _("changes")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("transition_change", _("Can run a change through its lifecycle")),
            ("approve_change", _("Can approve or reject changes")),
        ]
        indexes = [
            models.Index(fields=["state", "planned_start"], name="change_state_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(planned_start__isnull=True)
                | models.Q(planned_end__isnull=True)
                | models.Q(planned_end__gt=models.F("planned_start")),
                name="change_window_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def clean(self) -> None:
        if self.planned_start and self.planned_end and self.planned_end <= self.planned_start:
            raise ValidationError({"planned_end": _("The window must end after it starts.")})

    @property
    def reference(self) -> str:
        return change_reference(self.pk) if self.pk else "CHG-(unsaved)"

    @property
    def is_emergency(self) -> bool:
        return self.change_type == ChangeType.EMERGENCY

    def has_window(self) -> bool:
        return self.planned_start is not None and self.planned_end is not None

    def is_emergency_change(self) -> bool:
        return self.is_emergency

    # `at` is the instant the service stamps on the milestone. What needs more than this row (approvals,
    # collisions, reasons) is checked by the service.

    @transition(
        field=state, source=ChangeState.DRAFT, target=ChangeState.SUBMITTED, permission=TRANSITION_PERMISSION
    )
    def submit(self, *, at: datetime) -> None:
        self.submitted_at = at
        self.approval_round += 1
        self.rejection_reason = ""

    # Reached when the approvals the risk level requires are in (or at once for a standard change).
    @transition(
        field=state, source=ChangeState.SUBMITTED, target=ChangeState.APPROVED, permission=APPROVE_PERMISSION
    )
    def approve(self, *, at: datetime) -> None:
        self.approved_at = at

    @transition(
        field=state, source=ChangeState.SUBMITTED, target=ChangeState.REJECTED, permission=APPROVE_PERMISSION
    )
    def reject(self, *, at: datetime) -> None:
        self.rejected_at = at

    @transition(
        field=state, source=ChangeState.REJECTED, target=ChangeState.DRAFT, permission=TRANSITION_PERMISSION
    )
    def revise(self, *, at: datetime) -> None:
        self.approved_at = None
        self.rejected_at = None

    @transition(
        field=state,
        source=ChangeState.APPROVED,
        target=ChangeState.SCHEDULED,
        permission=TRANSITION_PERMISSION,
        conditions=[has_window],  # type: ignore[list-item]  # django-fsm's conditions take the model
    )
    def schedule(self, *, at: datetime) -> None:
        self.scheduled_at = at

    # An emergency change may start as soon as it is submitted (approved after); the others once scheduled.
    @transition(
        field=state,
        source=[ChangeState.SCHEDULED, ChangeState.SUBMITTED, ChangeState.APPROVED],
        target=ChangeState.IMPLEMENTING,
        permission=TRANSITION_PERMISSION,
    )
    def start(self, *, at: datetime) -> None:
        self.started_at = at

    @transition(
        field=state,
        source=ChangeState.IMPLEMENTING,
        target=ChangeState.IMPLEMENTED,
        permission=TRANSITION_PERMISSION,
    )
    def complete(self, *, at: datetime) -> None:
        self.implemented_at = at

    @transition(
        field=state,
        source=ChangeState.IMPLEMENTING,
        target=ChangeState.FAILED,
        permission=TRANSITION_PERMISSION,
    )
    def fail(self, *, at: datetime) -> None:
        self.failed_at = at

    # A failed change is undone; so is one that was implemented and then broke something.
    @transition(
        field=state,
        source=[ChangeState.FAILED, ChangeState.IMPLEMENTED],
        target=ChangeState.ROLLED_BACK,
        permission=TRANSITION_PERMISSION,
    )
    def roll_back(self, *, at: datetime) -> None:
        self.rolled_back_at = at

    @transition(
        field=state,
        source=list(IMPLEMENTED_STATES),
        target=ChangeState.REVIEWED,
        permission=TRANSITION_PERMISSION,
    )
    def review(self, *, at: datetime) -> None:
        self.reviewed_at = at

    @transition(
        field=state,
        source=[ChangeState.REVIEWED, ChangeState.REJECTED],
        target=ChangeState.CLOSED,
        permission=TRANSITION_PERMISSION,
    )
    def close(self, *, at: datetime) -> None:
        self.closed_at = at

    @transition(
        field=state,
        source=[ChangeState.DRAFT, ChangeState.SUBMITTED, ChangeState.APPROVED, ChangeState.SCHEDULED],
        target=ChangeState.CANCELLED,
        permission=TRANSITION_PERMISSION,
    )
    def cancel(self, *, at: datetime) -> None:
        self.cancelled_at = at


class ApprovalDecision(models.TextChoices):
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")


class ChangeApproval(models.Model):
    """One approver's decision on one round of a change's approval."""

    change = models.ForeignKey(
        Change, verbose_name=_("change"), on_delete=models.CASCADE, related_name="approvals"
    )
    approval_round = models.PositiveSmallIntegerField(_("approval round"))
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("approver"), on_delete=models.PROTECT, related_name="+"
    )
    as_manager = models.BooleanField(
        _("as a manager"), default=False, help_text=_("The approver was a manager when deciding.")
    )
    decision = models.CharField(_("decision"), max_length=10, choices=ApprovalDecision.choices)
    reason = models.TextField(_("reason"), blank=True)
    decided_at = models.DateTimeField(_("decided at"))
    after_the_fact = models.BooleanField(
        _("after implementation started"), default=False, help_text=_("An emergency change's approval.")
    )

    class Meta:
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        ordering = ["decided_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["change", "approval_round", "approver"], name="change_approval_once_per_round"
            ),
            models.CheckConstraint(
                condition=~models.Q(decision="rejected") | ~models.Q(reason=""),
                name="change_rejection_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.change.reference}: {self.get_decision_display()}"


class ChangeLogEntry(LogEntry):
    """One line of a change's history: submissions, every approval decision, the schedule, the review."""

    record_field = "change"

    class Kind(models.TextChoices):
        CREATED = "created", _("created")
        TRANSITION = "transition", _("state change")
        CHANGE = "change", _("field change")
        DECISION = "decision", _("approval decision")
        COLLISION = "collision", _("collision accepted")
        NOTE = "note", _("note")

    change = models.ForeignKey(
        Change, verbose_name=_("change"), on_delete=models.CASCADE, related_name="log", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when Vigil itself acted (a timer, a standard change's pre-approval)."),
    )
    transition = models.CharField(_("transition"), max_length=20, blank=True)

    class Meta(LogEntry.Meta):
        verbose_name = _("change log entry")
        verbose_name_plural = _("change log")
        indexes = [models.Index(fields=["change", "created_at"], name="change_log_created")]


class ChangeApprovalRule(models.Model):
    """How many approvers a risk level needs, and how many of them must be managers. A risk level without a
    row uses `DEFAULT_APPROVAL_RULES`."""

    risk_level = models.CharField(_("risk level"), max_length=10, choices=RiskLevel.choices, unique=True)
    approvers = models.PositiveSmallIntegerField(_("approvers needed"), default=1)
    managers = models.PositiveSmallIntegerField(
        _("of whom managers"), default=0, help_text=_("Members of the managers' group.")
    )

    class Meta:
        verbose_name = _("approval rule")
        verbose_name_plural = _("approval rules")
        ordering = ["risk_level"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(approvers__gte=1, managers__lte=models.F("approvers")),
                name="change_rule_managers_within_approvers",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_risk_level_display()}: {self.approvers} ({self.managers})"

    def clean(self) -> None:
        if self.approvers < 1:
            raise ValidationError({"approvers": _("At least one approver.")})
        if self.managers > self.approvers:
            raise ValidationError({"managers": _("No more managers than approvers.")})


# (approvers, of whom managers) per risk level, when a manager has not written a rule for it.
DEFAULT_APPROVAL_RULES: dict[str, tuple[int, int]] = {
    RiskLevel.LOW: (1, 0),
    RiskLevel.MEDIUM: (1, 0),
    RiskLevel.HIGH: (2, 1),
    RiskLevel.CRITICAL: (3, 1),
}


class ProblemChangeConfiguration(models.Model):
    """How this organisation runs problems and changes: one row, edited by managers in the admin."""

    recurring_window_days = models.PositiveSmallIntegerField(
        _("recurring incidents: window (days)"), default=14
    )
    recurring_min_incidents = models.PositiveSmallIntegerField(
        _("recurring incidents: at least this many"), default=3
    )
    approval_reminder_hours = models.PositiveSmallIntegerField(
        _("remind approvers after (hours)"),
        default=4,
        help_text=_("Approvers are reminded this long after submission, their managers as long again."),
    )
    review_after_days = models.PositiveSmallIntegerField(
        _("post-implementation review after (days)"),
        default=7,
        help_text=_("The owner is asked whether the change fixed the problem this long after it was done."),
    )

    class Meta:
        verbose_name = _("problem and change configuration")
        verbose_name_plural = _("problem and change configuration")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="problem_change_configuration_singleton")
        ]

    def __str__(self) -> str:
        return str(_("Problem and change configuration"))

    @classmethod
    def load(cls) -> "ProblemChangeConfiguration":
        config, _created = cls.objects.get_or_create(pk=1)
        return config
