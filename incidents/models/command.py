"""Incident command: people without an account, the command roles, the team, objectives and the action plan.

`Task` serves a major incident's action plan and a plain incident's checklist alike (exactly one of the two
is set); docs/major-incidents.md describes it for the apps that instantiate tasks."""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from .major_incident import Cause


class OutsidePerson(models.Model):
    """Someone who takes part without a Vigil account: an outside expert, a supplier's engineer, a partner.

    Can hold a command role, be a team member and own tasks; is reached at `email` or `phone` by people (and
    by Vigil, for an e-mail address) but receives no reminders."""

    name = models.CharField(_("name"), max_length=200)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("outside person")
        verbose_name_plural = _("outside people")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})" if self.organisation else self.name


class CommandRole(models.TextChoices):
    """The incident command system's roles. One holder each at a time; handing over ends the previous one."""

    COMMANDER = "commander", _("incident commander")
    DEPUTY = "deputy_commander", _("deputy commander")
    LIAISON = "liaison_officer", _("liaison officer")
    COMMUNICATIONS = "communications_lead", _("public information officer (communications lead)")
    TECHNICAL = "technical_lead", _("technical lead")
    CUSTOMER_SUPPORT = "customer_support_lead", _("customer support lead")
    SCRIBE = "scribe", _("scribe")
    OPERATIONS = "operations_chief", _("operations section chief")
    PLANNING = "planning_chief", _("planning section chief")
    LOGISTICS = "logistics_chief", _("logistics section chief")
    FINANCE = "finance_chief", _("finance and administration section chief")


def _one_person(prefix: str = "") -> Q:
    """Exactly one of `user` and `person` is set."""
    user, person = f"{prefix}user__isnull", f"{prefix}person__isnull"
    return Q(**{user: False, person: True}) | Q(**{user: True, person: False})


class _HeldByPerson(models.Model):
    """A user or an outside person, never both, never neither (a named check constraint per table)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    person = models.ForeignKey(
        OutsidePerson,
        verbose_name=_("outside person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        abstract = True

    @property
    def holder(self) -> object:
        return self.user if self.user_id else self.person

    @property
    def holder_name(self) -> str:
        if self.user is not None:
            return self.user.get_full_name() or self.user.get_username()
        return str(self.person) if self.person_id else ""


class RoleAssignment(_HeldByPerson):
    """Who held a command role on a major incident, from when to when. The current holder has no `ended_at`;
    a hand-over ends one row and starts the next, both on the log."""

    major_incident = models.ForeignKey(
        "incidents.MajorIncident",
        verbose_name=_("major incident"),
        on_delete=models.CASCADE,
        related_name="role_assignments",
    )
    role = models.CharField(_("role"), max_length=30, choices=CommandRole.choices)
    assigned_at = models.DateTimeField(_("assigned at"))
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("roles")
        ordering = ["major_incident", "role", "assigned_at", "id"]
        constraints = [
            models.CheckConstraint(condition=_one_person(), name="role_assignment_one_holder"),
            models.UniqueConstraint(
                fields=["major_incident", "role"],
                condition=Q(ended_at__isnull=True),
                name="role_assignment_one_current_holder",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.holder_name}"


class TeamMember(_HeldByPerson):
    """A member of the major incident team, with what they do there, from when they joined to when they left."""

    major_incident = models.ForeignKey(
        "incidents.MajorIncident",
        verbose_name=_("major incident"),
        on_delete=models.CASCADE,
        related_name="team_members",
    )
    responsibility = models.CharField(_("responsibility"), max_length=200, blank=True)
    joined_at = models.DateTimeField(_("joined at"))
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("major incident team")
        ordering = ["major_incident", "joined_at", "id"]
        constraints = [
            models.CheckConstraint(condition=_one_person(), name="team_member_one_person"),
            models.UniqueConstraint(
                fields=["major_incident", "user"],
                condition=Q(left_at__isnull=True, user__isnull=False),
                name="team_member_user_once",
            ),
            models.UniqueConstraint(
                fields=["major_incident", "person"],
                condition=Q(left_at__isnull=True, person__isnull=False),
                name="team_member_person_once",
            ),
        ]

    def __str__(self) -> str:
        return self.holder_name


class Objective(models.Model):
    """What the response sets out to achieve ("restore checkout for EU customers"), in order."""

    major_incident = models.ForeignKey(
        "incidents.MajorIncident",
        verbose_name=_("major incident"),
        on_delete=models.CASCADE,
        related_name="objectives",
    )
    text = models.CharField(_("objective"), max_length=500)
    position = models.PositiveIntegerField(_("position"), default=0)
    achieved_at = models.DateTimeField(_("achieved at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("objective")
        verbose_name_plural = _("objectives")
        ordering = ["major_incident", "position", "id"]

    def __str__(self) -> str:
        return self.text


class Workstream(models.TextChoices):
    DEBUGGING = "debugging", _("debugging")
    RESEARCH = "research", _("research")
    SECURITY = "security", _("security")
    COMMUNICATIONS = "communications", _("communications")
    CUSTOMER_SUPPORT = "customer_support", _("customer support")
    PROCESS_BRIEFING = "process_briefing", _("process briefing")
    LOGISTICS = "logistics", _("logistics")
    OTHER = "other", _("other")


class TaskPriority(models.IntegerChoices):
    """Safety first, then business need."""

    SAFETY = 1, _("people's safety")
    CRITICAL = 2, _("critical business need")
    IMPORTANT = 3, _("business need")
    ROUTINE = 4, _("routine")


class TaskState(models.TextChoices):
    TODO = "todo", _("to do")
    IN_PROGRESS = "in_progress", _("in progress")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")


TASK_OPEN_STATES = (TaskState.TODO, TaskState.IN_PROGRESS)
TASK_TRANSITION_PERMISSION = "incidents.change_task"


class Task(FSMModelMixin, models.Model):
    """One step of an action plan (a major incident's) or of a checklist (a plain incident's).

    Exactly one of `major_incident` and `incident` is set; at most one owner, a user or an outside person
    (never two: the "duplicated work" of the seed material). A task created by a person always names its
    owner; one instantiated from a template may wait for one while nobody holds the role it names."""

    TRANSITIONS = ("start", "complete", "cancel", "reopen")

    major_incident = models.ForeignKey(
        "incidents.MajorIncident",
        verbose_name=_("major incident"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tasks",
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name=_("incident"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tasks",
    )
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_tasks",
    )
    owner_person = models.ForeignKey(
        OutsidePerson,
        verbose_name=_("owner (outside person)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_tasks",
    )
    workstream = models.CharField(_("workstream"), max_length=20, choices=Workstream.choices, blank=True)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=TaskPriority.choices, default=TaskPriority.IMPORTANT
    )
    position = models.PositiveIntegerField(_("step"), default=0)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    state = FSMField(_("state"), default=TaskState.TODO, choices=TaskState.choices, protected=True)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    owner_role = models.CharField(
        _("owned by the holder of"),
        max_length=30,
        choices=CommandRole.choices,
        blank=True,
        help_text=_("From a template: the task goes to whoever holds this role when it is assigned."),
    )

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["priority", "position", "id"]
        indexes = [
            models.Index(fields=["major_incident", "state"], name="task_major_state"),
            models.Index(fields=["incident", "state"], name="task_incident_state"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(major_incident__isnull=False, incident__isnull=True)
                | Q(major_incident__isnull=True, incident__isnull=False),
                name="task_exactly_one_parent",
            ),
            models.CheckConstraint(
                condition=Q(owner_user__isnull=True) | Q(owner_person__isnull=True),
                name="task_at_most_one_owner",
            ),
            models.CheckConstraint(condition=Q(priority__gte=1, priority__lte=4), name="task_priority_range"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def parent(self) -> Any:
        """The major incident or the incident the task belongs to (both have a `reference`)."""
        return self.major_incident if self.major_incident_id else self.incident

    @property
    def reference(self) -> str:
        parent = self.parent
        return f"{parent.reference}/T{self.pk}" if parent is not None and self.pk else f"T{self.pk}"

    @property
    def owner_name(self) -> str:
        if self.owner_user is not None:
            return self.owner_user.get_full_name() or self.owner_user.get_username()
        return str(self.owner_person) if self.owner_person_id else ""

    @property
    def is_open(self) -> bool:
        return self.state in TASK_OPEN_STATES

    def is_overdue(self, now: datetime) -> bool:
        return self.is_open and self.due_at is not None and self.due_at <= now

    @transition(
        field=state,
        source=TaskState.TODO,
        target=TaskState.IN_PROGRESS,
        permission=TASK_TRANSITION_PERMISSION,
    )
    def start(self, *, at: datetime) -> None:
        self.started_at = at

    @transition(
        field=state,
        source=list(TASK_OPEN_STATES),
        target=TaskState.DONE,
        permission=TASK_TRANSITION_PERMISSION,
    )
    def complete(self, *, at: datetime) -> None:
        self.started_at = self.started_at or at
        self.done_at = at

    @transition(
        field=state,
        source=list(TASK_OPEN_STATES),
        target=TaskState.CANCELLED,
        permission=TASK_TRANSITION_PERMISSION,
    )
    def cancel(self, *, at: datetime) -> None:
        self.done_at = at

    @transition(
        field=state,
        source=[TaskState.DONE, TaskState.CANCELLED],
        target=TaskState.TODO,
        permission=TASK_TRANSITION_PERMISSION,
    )
    def reopen(self, *, at: datetime) -> None:
        self.done_at = None


class ActionPlanTemplate(models.Model):
    """A ready action plan, instantiated as tasks when a major incident of its cause and/or category is
    declared (the most specific active template wins: cause and category, category, cause, neither)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    cause = models.CharField(_("cause"), max_length=20, choices=Cause.choices, blank=True)
    category = models.ForeignKey(
        "incidents.IncidentCategory",
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="action_plan_templates",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("action plan template")
        verbose_name_plural = _("action plan templates")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ActionPlanStep(models.Model):
    """One task of a template: due `due_after` the declaration, owned by the holder of `owner_role` (empty:
    the commander)."""

    template = models.ForeignKey(
        ActionPlanTemplate, verbose_name=_("template"), on_delete=models.CASCADE, related_name="steps"
    )
    position = models.PositiveIntegerField(_("step"), default=0)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    workstream = models.CharField(_("workstream"), max_length=20, choices=Workstream.choices, blank=True)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=TaskPriority.choices, default=TaskPriority.IMPORTANT
    )
    due_after = models.DurationField(_("due after the declaration"), null=True, blank=True)
    owner_role = models.CharField(_("owner's role"), max_length=30, choices=CommandRole.choices, blank=True)

    class Meta:
        verbose_name = _("action plan step")
        verbose_name_plural = _("action plan steps")
        ordering = ["template", "position", "id"]

    def __str__(self) -> str:
        return self.title
