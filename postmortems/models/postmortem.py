"""Post-incident reviews and their action items. Transitions only change fields; `postmortems.services`
wraps them with the row lock, the permission and readiness checks and the side effects."""

from datetime import datetime

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

TRANSITION_PERMISSION = "postmortems.transition_postmortem"


class PostmortemState(models.TextChoices):
    DRAFT = "draft", _("draft")
    IN_REVIEW = "in_review", _("in review")
    PUBLISHED = "published", _("published")


class Postmortem(FSMModelMixin, models.Model):
    """The blameless review of one incident (or major incident): the template of the seed material's
    post-incident review, the incident-command review, reviewers, action items and links.

    What it reviews is a generic reference (`subject`), limited to the kinds in `postmortems.records`, so
    major incidents join without a second model."""

    TRANSITIONS = ("submit", "revise", "publish")

    subject_type = models.ForeignKey(
        ContentType, verbose_name=_("reviewed record type"), on_delete=models.PROTECT, related_name="+"
    )
    subject_id = models.PositiveBigIntegerField(_("reviewed record id"))
    title = models.CharField(_("title"), max_length=200)
    state = FSMField(
        _("state"), default=PostmortemState.DRAFT, choices=PostmortemState.choices, protected=True
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_postmortems",
        help_text=_("Who writes it and runs the review meeting."),
    )
    # The template's sections.
    summary = models.TextField(_("summary"), blank=True)
    impact = models.TextField(_("impact"), blank=True)
    timeline = models.JSONField(
        _("timeline"),
        default=list,
        blank=True,
        help_text=_("Built from the record's timeline, then edited: a list of {at, text}."),
    )
    root_cause = models.TextField(_("root cause"), blank=True, help_text=_("Link the problem record too."))
    contributing_factors = models.TextField(_("contributing factors"), blank=True)
    what_went_well = models.TextField(_("what went well"), blank=True)
    what_went_wrong = models.TextField(_("what went wrong"), blank=True)
    lessons_learned = models.TextField(_("lessons learned"), blank=True)
    # The incident-command review.
    response_speed = models.JSONField(
        _("response speed"),
        default=dict,
        blank=True,
        help_text=_("Filled from the milestones: time to detect, acknowledge, mitigate and resolve."),
    )
    response_speed_notes = models.TextField(_("response speed: notes"), blank=True)
    task_performance = models.TextField(_("overall task performance"), blank=True)
    degree_of_control = models.TextField(_("degree of control"), blank=True)
    commander_assessment = models.TextField(_("the commander's own assessment"), blank=True)
    action_plan_efficiency = models.TextField(_("efficiency of the action plan"), blank=True)
    future_risks = models.TextField(
        _("risks of future related incidents"), blank=True, help_text=_("Link the risks in the register too.")
    )

    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted for review at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("post-mortem")
        verbose_name_plural = _("post-mortems")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("transition_postmortem", _("Can submit, revise and publish post-mortems")),
            ("view_reports", _("Can read the managers' reports")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["subject_type", "subject_id"], name="postmortem_one_per_record")
        ]
        indexes = [models.Index(fields=["state", "created_at"], name="postmortem_state_created")]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        return f"PM-{self.pk:06d}" if self.pk else "PM-(unsaved)"

    @transition(
        field=state,
        source=PostmortemState.DRAFT,
        target=PostmortemState.IN_REVIEW,
        permission=TRANSITION_PERMISSION,
    )
    def submit(self, *, at: datetime) -> None:
        self.submitted_at = at

    @transition(
        field=state,
        source=PostmortemState.IN_REVIEW,
        target=PostmortemState.DRAFT,
        permission=TRANSITION_PERMISSION,
    )
    def revise(self, *, at: datetime) -> None:
        self.submitted_at = None

    # Readiness (reviewers' approvals, every action item owned and dated) is checked by the service, which
    # names what is missing; the transition only records who and when.
    @transition(
        field=state,
        source=PostmortemState.IN_REVIEW,
        target=PostmortemState.PUBLISHED,
        permission=TRANSITION_PERMISSION,
    )
    def publish(self, *, at: datetime, by: object = None) -> None:
        self.published_at = at
        self.published_by = by  # type: ignore[assignment]


class PostmortemReviewer(models.Model):
    """Someone who must approve the post-mortem before it is published. Approvals are cleared when it goes
    back to draft: they approved a text that is changing."""

    postmortem = models.ForeignKey(
        Postmortem, verbose_name=_("post-mortem"), on_delete=models.CASCADE, related_name="reviewers"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewer"), on_delete=models.CASCADE, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("reviewer")
        verbose_name_plural = _("reviewers")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["postmortem", "reviewer"], name="postmortem_reviewer_once")
        ]

    def __str__(self) -> str:
        return str(self.reviewer)


class ActionItemState(models.TextChoices):
    OPEN = "open", _("open")
    IN_PROGRESS = "in_progress", _("in progress")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")


ACTION_ITEM_OPEN = (ActionItemState.OPEN, ActionItemState.IN_PROGRESS)
ACTION_ITEM_PERMISSION = "postmortems.change_actionitem"


class ActionItem(FSMModelMixin, models.Model):
    """Something to do so that it does not happen again: one owner, a due date, a priority. Overdue items
    remind their owner, then the owner's manager (engine reminders)."""

    TRANSITIONS = ("start", "complete", "cancel", "reopen")

    postmortem = models.ForeignKey(
        Postmortem, verbose_name=_("post-mortem"), on_delete=models.CASCADE, related_name="action_items"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="postmortem_action_items",
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    priority = models.PositiveSmallIntegerField(_("priority"), default=3, help_text=_("1 = P1 ... 4 = P4."))
    state = FSMField(
        _("state"), default=ActionItemState.OPEN, choices=ActionItemState.choices, protected=True
    )
    created_at = models.DateTimeField(_("created at"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(priority__gte=1, priority__lte=4), name="action_item_priority_range"
            )
        ]
        indexes = [models.Index(fields=["state", "due_date"], name="action_item_state_due")]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        return f"AI-{self.pk:06d}" if self.pk else "AI-(unsaved)"

    @property
    def is_open(self) -> bool:
        return self.state in ACTION_ITEM_OPEN

    @transition(
        field=state,
        source=ActionItemState.OPEN,
        target=ActionItemState.IN_PROGRESS,
        permission=ACTION_ITEM_PERMISSION,
    )
    def start(self, *, at: datetime) -> None:
        pass

    @transition(
        field=state,
        source=list(ACTION_ITEM_OPEN),
        target=ActionItemState.DONE,
        permission=ACTION_ITEM_PERMISSION,
    )
    def complete(self, *, at: datetime) -> None:
        self.completed_at = at

    @transition(
        field=state,
        source=list(ACTION_ITEM_OPEN),
        target=ActionItemState.CANCELLED,
        permission=ACTION_ITEM_PERMISSION,
    )
    def cancel(self, *, at: datetime) -> None:
        self.completed_at = at

    @transition(
        field=state,
        source=[ActionItemState.DONE, ActionItemState.CANCELLED],
        target=ActionItemState.OPEN,
        permission=ACTION_ITEM_PERMISSION,
    )
    def reopen(self, *, at: datetime) -> None:
        self.completed_at = None


class LinkPurpose(models.TextChoices):
    ROOT_CAUSE = "root_cause", _("root cause")
    FUTURE_RISK = "future_risk", _("risk of a future related incident")
    RELATED = "related", _("related")


class PostmortemLink(models.Model):
    """A link from a post-mortem (or one of its action items) to a problem, a change, a risk or an incident:
    a generic reference, limited to the kinds listed in `postmortems.links.LINK_TARGETS`."""

    postmortem = models.ForeignKey(
        Postmortem, verbose_name=_("post-mortem"), on_delete=models.CASCADE, related_name="links"
    )
    action_item = models.ForeignKey(
        ActionItem,
        verbose_name=_("action item"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="links",
    )
    target_type = models.ForeignKey(
        ContentType, verbose_name=_("linked record type"), on_delete=models.CASCADE, related_name="+"
    )
    target_id = models.PositiveBigIntegerField(_("linked record id"))
    purpose = models.CharField(
        _("purpose"), max_length=20, choices=LinkPurpose.choices, default=LinkPurpose.RELATED
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("link")
        verbose_name_plural = _("links")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["postmortem", "action_item", "target_type", "target_id", "purpose"],
                name="postmortem_link_once",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.target_type.app_label}.{self.target_type.model}:{self.target_id}"


class WeeklyDigest(models.Model):
    """One row per week whose digest was sent: the managers' weekly e-mail is about it, and its unique week
    makes the digest go once even when two beat schedulers ask for it."""

    week_start = models.DateField(_("week starting"), unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    figures = models.JSONField(_("figures"), default=dict, blank=True)

    class Meta:
        verbose_name = _("weekly digest")
        verbose_name_plural = _("weekly digests")
        ordering = ["-week_start"]

    def __str__(self) -> str:
        return f"{self.week_start:%G-W%V}"
