"""Drills, response checklists per incident category, the reporting flow's procedures and emergency contacts."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .risk import Risk


class Drill(models.Model):
    """A rehearsed scenario (the failover to the backup network device) on a schedule: the next run is an
    engine timer that reminds the owner."""

    title = models.CharField(_("title"), max_length=200)
    scenario = models.TextField(_("scenario"), blank=True)
    risks = models.ManyToManyField(Risk, verbose_name=_("risks"), related_name="drills", blank=True)
    services = models.ManyToManyField(
        "incidents.Service", verbose_name=_("services"), related_name="+", blank=True
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_drills",
    )
    interval_days = models.PositiveIntegerField(
        _("every (days)"), default=90, help_text=_("0: not scheduled.")
    )
    next_run_at = models.DateTimeField(_("next run at"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("drill")
        verbose_name_plural = _("drills")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    @property
    def reference(self) -> str:
        return f"DRL-{self.pk:06d}" if self.pk else "DRL-(unsaved)"


class DrillStep(models.Model):
    drill = models.ForeignKey(Drill, verbose_name=_("drill"), on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    instruction = models.TextField(_("instruction"))
    expected_result = models.TextField(_("expected result"), blank=True)

    class Meta:
        verbose_name = _("drill step")
        verbose_name_plural = _("drill steps")
        ordering = ["drill", "position", "id"]

    def __str__(self) -> str:
        return f"{self.position}. {self.instruction[:60]}"


class DrillRun(models.Model):
    drill = models.ForeignKey(Drill, verbose_name=_("drill"), on_delete=models.CASCADE, related_name="runs")
    held_at = models.DateTimeField(_("held at"))
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("participants"), related_name="+", blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("drill run")
        verbose_name_plural = _("drill runs")
        ordering = ["-held_at", "-id"]

    def __str__(self) -> str:
        return f"{self.drill} {self.held_at:%Y-%m-%d}"


class StepOutcome(models.TextChoices):
    PASSED = "passed", _("as expected")
    FAILED = "failed", _("not as expected")
    SKIPPED = "skipped", _("skipped")


class DrillStepResult(models.Model):
    run = models.ForeignKey(DrillRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="results")
    step = models.ForeignKey(DrillStep, verbose_name=_("step"), on_delete=models.CASCADE, related_name="+")
    outcome = models.CharField(_("outcome"), max_length=10, choices=StepOutcome.choices)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("step result")
        verbose_name_plural = _("step results")
        ordering = ["run", "step__position"]
        constraints = [models.UniqueConstraint(fields=["run", "step"], name="drill_result_once_per_step")]

    def __str__(self) -> str:
        return f"{self.step} {self.outcome}"


class DrillFinding(models.Model):
    """Something the drill found (the backup device is switched off): an action item with an owner and a
    due date, reminded like the post-mortems' ones."""

    run = models.ForeignKey(
        DrillRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="findings"
    )
    text = models.TextField(_("finding"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("drill finding")
        verbose_name_plural = _("drill findings")
        ordering = ["run", "id"]

    def __str__(self) -> str:
        return self.text[:80]


class ResponseChecklist(models.Model):
    """Steps instantiated as tasks on every new incident of the category."""

    category = models.ForeignKey(
        "incidents.IncidentCategory",
        verbose_name=_("incident category"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    name = models.CharField(_("name"), max_length=150)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("response checklist")
        verbose_name_plural = _("response checklists")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ChecklistItem(models.Model):
    checklist = models.ForeignKey(
        ResponseChecklist, verbose_name=_("checklist"), on_delete=models.CASCADE, related_name="items"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["checklist", "position", "id"]

    def __str__(self) -> str:
        return self.title


class ReportingProcedure(models.Model):
    """The reporting flow defined in advance (who reports what to whom, within how many minutes, by which
    channel), in versions; the members of its teams acknowledge the version in force."""

    name = models.CharField(_("name"), max_length=150, unique=True)
    teams = models.ManyToManyField("escalation.Team", verbose_name=_("teams"), related_name="+", blank=True)

    class Meta:
        verbose_name = _("reporting procedure")
        verbose_name_plural = _("reporting procedures")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProcedureVersion(models.Model):
    procedure = models.ForeignKey(
        ReportingProcedure, verbose_name=_("procedure"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    body = models.TextField(_("text"), blank=True)
    steps = models.JSONField(
        _("steps"), default=list, blank=True, help_text=_("A list of {what, to, within_minutes, channel}.")
    )
    published_at = models.DateTimeField(_("in force from"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("procedure version")
        verbose_name_plural = _("procedure versions")
        ordering = ["procedure", "-number"]
        constraints = [models.UniqueConstraint(fields=["procedure", "number"], name="procedure_version_once")]

    def __str__(self) -> str:
        return f"{self.procedure} v{self.number}"


class ProcedureAcknowledgement(models.Model):
    version = models.ForeignKey(
        ProcedureVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="acknowledgements"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.CASCADE, related_name="+"
    )
    at = models.DateTimeField(_("acknowledged at"))

    class Meta:
        verbose_name = _("acknowledgement")
        verbose_name_plural = _("acknowledgements")
        ordering = ["-at"]
        constraints = [models.UniqueConstraint(fields=["version", "user"], name="procedure_ack_once")]

    def __str__(self) -> str:
        return f"{self.user_id} v{self.version_id}"


class EmergencyContact(models.Model):
    """A team's emergency contact, exported as vCard and CSV for work phones."""

    team = models.ForeignKey(
        "escalation.Team", verbose_name=_("team"), on_delete=models.CASCADE, related_name="emergency_contacts"
    )
    name = models.CharField(_("name"), max_length=150)
    role = models.CharField(_("role"), max_length=100, blank=True)
    organisation = models.CharField(_("organisation"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    mobile = models.CharField(_("mobile"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=1)

    class Meta:
        verbose_name = _("emergency contact")
        verbose_name_plural = _("emergency contacts")
        ordering = ["team", "position", "name"]

    def __str__(self) -> str:
        return self.name
