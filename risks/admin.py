"""The risk owners' desk: the register with one button per allowed transition (through the same services as
the API), assessments and history read-only, KRIs and readings, the radar, precursors, drills, checklists,
procedures and emergency contacts."""

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_fsm import has_transition_perm

from config.errors import VigilError
from config.permissions import acting_user
from escalation.admin.base import AuditedAdminMixin

from . import kris, services
from .models import (
    KRI,
    Area,
    ChecklistItem,
    Drill,
    DrillFinding,
    DrillRun,
    DrillStep,
    DrillStepResult,
    EmergencyContact,
    KRIReading,
    KRIStateChange,
    LevelEscalation,
    OutsideChange,
    PrecursorRule,
    PrecursorWarning,
    ProcedureAcknowledgement,
    ProcedureVersion,
    RadarSnapshot,
    ReportingProcedure,
    ResponseChecklist,
    Risk,
    RiskAssessment,
    RiskHistory,
    RiskLink,
    RiskMatrix,
    RiskState,
)
from .models.matrix import DEFAULT_COLOURS, RiskLevel
from .models.risk import TRANSITION_LABELS


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RiskMatrix)
class RiskMatrixAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "size", "is_default"]


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "matrix", "radar_threshold"]
    search_fields = ["name"]
    autocomplete_fields = ["owner"]


class AssessmentInline(ReadOnlyInline):
    model = RiskAssessment
    readonly_fields = (
        "at",
        "by",
        "inherent_likelihood",
        "inherent_impact",
        "residual_likelihood",
        "residual_impact",
        "previous_level",
        "level",
        "note",
    )
    fields = readonly_fields


def state_label(code: str) -> str:
    """A risk's or a KRI's state as people read it (history rows store the code)."""
    from .models import KRIState

    for choices in (RiskState, KRIState):
        if code in choices.values:
            return str(choices(code).label)
    return code


class HistoryInline(ReadOnlyInline):
    model = RiskHistory
    readonly_fields = ("at", "by", "kind", "from_shown", "to_shown", "note")
    fields = readonly_fields

    @admin.display(description=_("from"))
    def from_shown(self, obj: RiskHistory) -> str:
        return state_label(obj.from_state)

    @admin.display(description=_("to"))
    def to_shown(self, obj: RiskHistory) -> str:
        return state_label(obj.to_state)


class LinkInline(ReadOnlyInline):
    model = RiskLink
    readonly_fields = (
        "target_type",
        "target_id",
        "note",
        "created_at",
    )
    fields = readonly_fields
    can_delete = True


@admin.register(Risk)
class RiskAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "title",
        "area",
        "category",
        "level_badge",
        "state",
        "owner",
        "next_review_at",
    ]
    list_filter = ["state", "level", "category", "area", "treatment"]
    search_fields = ["title", "description"]
    autocomplete_fields = ["owner"]
    readonly_fields = [
        "state",
        "level",
        "matrix",
        "acceptance_approver",
        "acceptance_reason",
        "acceptance_expires_on",
        "next_review_at",
        "last_reviewed_at",
        "reported_by",
        "created_at",
        "closed_at",
    ]
    fields = [
        "title",
        "description",
        "area",
        "category",
        "owner",
        "controls",
        "treatment",
        "review_interval_days",
        "inherent_likelihood",
        "inherent_impact",
        "residual_likelihood",
        "residual_impact",
        *readonly_fields,
    ]
    inlines = [AssessmentInline, LinkInline, HistoryInline]
    change_form_template = "admin/risks/risk/change_form.html"

    @admin.display(description=_("reference"), ordering="id")
    def reference(self, obj: Risk) -> str:
        return obj.reference

    @admin.display(description=_("level"), ordering="level")
    def level_badge(self, obj: Risk) -> str:
        if not obj.level:
            return "-"
        return format_html(
            '<span style="background:{};color:#fff;padding:1px 6px;border-radius:3px">{}</span>',
            obj.matrix.colour(obj.level) if obj.matrix_id else DEFAULT_COLOURS[RiskLevel(obj.level)],
            obj.get_level_display(),
        )

    def save_model(self, request: HttpRequest, obj: Risk, form: Any, change: bool) -> None:
        """Saves through the services: an assessment row and the level when likelihood or impact changed."""
        by = acting_user(request)
        cells = {f: form.cleaned_data.get(f) for f in services.ASSESSMENT_FIELDS}
        data = {f: form.cleaned_data[f] for f in services.EDITABLE_FIELDS if f in form.cleaned_data}
        if change:
            edited = {f: v for f, v in data.items() if f in form.changed_data}
            saved = services.risk_update(risk_id=obj.pk, by=by, changes=edited) if edited else obj
            if any(f in form.changed_data for f in services.ASSESSMENT_FIELDS):
                saved = services.risk_assess(
                    risk_id=obj.pk, by=by, note=str(_("Assessed in the admin")), **cells
                )
        else:
            saved = services.risk_create(
                by=by,
                **{k: v for k, v in data.items() if v not in (None, "")},
                **{k: v for k, v in cells.items() if v is not None},
            )
        obj.pk = saved.pk
        obj.refresh_from_db()

    def get_urls(self) -> list:
        own = [
            path(
                "<int:pk>/transition/<str:name>/",
                self.admin_site.admin_view(require_POST(self.transition_view)),
                name="risks_risk_transition",
            ),
            path(
                "<int:pk>/review/",
                self.admin_site.admin_view(require_POST(self.review_view)),
                name="risks_risk_review",
            ),
        ]
        return own + super().get_urls()

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        extra_context = extra_context or {}
        risk = self.get_object(request, object_id)
        if risk is not None:
            extra_context["transitions"] = [
                (name, TRANSITION_LABELS[name])
                for name in services.allowed_transitions(risk)
                if has_transition_perm(getattr(risk, name), request.user)
            ]
            extra_context["can_review"] = risk.state != RiskState.CLOSED and request.user.has_perm(
                "risks.change_risk"
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def _back(self, pk: int) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:risks_risk_change", args=[pk]))

    def transition_view(self, request: HttpRequest, pk: int, name: str) -> HttpResponse:
        get_object_or_404(self.get_queryset(request), pk=pk)
        try:
            risk = services.risk_transition(risk_id=pk, name=name, by=acting_user(request), note="")
        except VigilError as error:
            messages.error(request, error.detail)
        else:
            messages.success(
                request,
                _("%(ref)s is now %(state)s.") % {"ref": risk.reference, "state": risk.get_state_display()},
            )
        return self._back(pk)

    def review_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        get_object_or_404(self.get_queryset(request), pk=pk)
        try:
            risk = services.risk_review(risk_id=pk, by=acting_user(request))
        except VigilError as error:
            messages.error(request, error.detail)
        else:
            messages.success(request, _("%(ref)s reviewed.") % {"ref": risk.reference})
        return self._back(pk)


@admin.register(LevelEscalation)
class LevelEscalationAdmin(admin.ModelAdmin):
    list_display = ["level", "policy", "audience"]


@admin.register(OutsideChange)
class OutsideChangeAdmin(admin.ModelAdmin):
    list_display = ["title", "area", "kind", "recorded_at", "reviews_opened"]
    list_filter = ["kind", "area"]
    readonly_fields = ["recorded_by", "recorded_at", "reviews_opened"]

    def save_model(self, request: HttpRequest, obj: OutsideChange, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        saved = services.outside_change_record(
            by=acting_user(request),
            area=obj.area,
            kind=obj.kind,
            title=obj.title,
            description=obj.description,
        )
        obj.pk = saved.pk
        obj.refresh_from_db()


class StateChangeInline(ReadOnlyInline):
    model = KRIStateChange
    readonly_fields = (
        "at",
        "from_state",
        "to_state",
        "value",
        "incident_id",
    )
    fields = readonly_fields


@admin.register(KRI)
class KRIAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "state", "value", "unit", "yellow", "red", "source", "is_active"]
    list_filter = ["state", "source", "is_active"]
    search_fields = ["name"]
    filter_horizontal = ["risks"]
    readonly_fields = [
        "state",
        "state_since",
        "value",
        "evaluated_at",
        "red_acknowledged_at",
        "red_acknowledged_by",
    ]
    inlines = [StateChangeInline]
    change_form_template = "admin/risks/kri/change_form.html"

    def get_urls(self) -> list:
        own = [
            path(
                "<int:pk>/acknowledge/",
                self.admin_site.admin_view(require_POST(self.acknowledge_view)),
                name="risks_kri_acknowledge",
            )
        ]
        return own + super().get_urls()

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        extra_context = extra_context or {}
        kri = self.get_object(request, object_id)
        extra_context["can_acknowledge"] = (
            kri is not None and kri.state == "red" and kri.red_acknowledged_at is None
        )
        return super().change_view(request, object_id, form_url, extra_context)

    def acknowledge_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        get_object_or_404(self.get_queryset(request), pk=pk)
        try:
            kris.kri_acknowledge(kri_id=pk, by=acting_user(request))
        except VigilError as error:
            messages.error(request, error.detail)
        return HttpResponseRedirect(reverse("admin:risks_kri_change", args=[pk]))


@admin.register(KRIReading)
class KRIReadingAdmin(admin.ModelAdmin):
    list_display = ["kri", "at", "value", "received_at"]
    list_filter = ["kri"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False  # readings go through POST /api/v1/kris/<id>/readings/, which evaluates them

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RadarSnapshot)
class RadarSnapshotAdmin(admin.ModelAdmin):
    list_display = ["week_start", "area", "index", "previous_index", "threshold", "alerted"]
    list_filter = ["area", "alerted"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PrecursorRule)
class PrecursorRuleAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "service",
        "category",
        "min_priority",
        "window_days",
        "count",
        "risk",
        "is_active",
    ]


@admin.register(PrecursorWarning)
class PrecursorWarningAdmin(admin.ModelAdmin):
    list_display = ["rule", "risk", "proposed_title", "suggested_likelihood", "state", "created_at"]
    list_filter = ["state"]
    readonly_fields = [
        "rule",
        "risk",
        "proposed_title",
        "incidents",
        "window_start",
        "window_end",
        "suggested_likelihood",
        "state",
        "created_at",
        "decided_by",
    ]
    actions = ["accept_warnings", "dismiss_warnings"]

    def has_add_permission(self, request):
        return False

    def _decide(self, request: HttpRequest, queryset: Any, decide: Any) -> None:
        for warning in queryset:
            try:
                decide(warning_id=warning.pk, by=acting_user(request))
            except VigilError as error:
                messages.error(request, error.detail)

    @admin.action(description=_("Raise the risks' likelihood as suggested"))
    def accept_warnings(self, request: HttpRequest, queryset: Any) -> None:
        from .precursors import precursor_accept

        self._decide(request, queryset, precursor_accept)

    @admin.action(description=_("Dismiss the warnings"))
    def dismiss_warnings(self, request: HttpRequest, queryset: Any) -> None:
        from .precursors import precursor_dismiss

        self._decide(request, queryset, precursor_dismiss)


class DrillStepInline(admin.TabularInline):
    model = DrillStep
    extra = 1


@admin.register(Drill)
class DrillAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "interval_days", "next_run_at", "is_active"]
    filter_horizontal = ["risks", "services"]
    inlines = [DrillStepInline]

    def save_model(self, request: HttpRequest, obj: Drill, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if "next_run_at" in form.changed_data or "is_active" in form.changed_data or not change:
            from .drills import drill_schedule

            drill_schedule(drill_id=obj.pk, by=acting_user(request), next_run_at=obj.next_run_at)


class StepResultInline(ReadOnlyInline):
    model = DrillStepResult
    readonly_fields = (
        "step",
        "outcome",
        "note",
    )
    fields = readonly_fields


class FindingInline(admin.TabularInline):
    model = DrillFinding
    extra = 0


@admin.register(DrillRun)
class DrillRunAdmin(admin.ModelAdmin):
    list_display = ["drill", "held_at", "recorded_by"]
    inlines = [StepResultInline, FindingInline]
    readonly_fields = ["recorded_by"]

    def save_model(self, request: HttpRequest, obj: DrillRun, form: Any, change: bool) -> None:
        """A new run goes through the service, which schedules the drill's next run."""
        if change:
            super().save_model(request, obj, form, change)
            return
        from .drills import drill_run_record

        saved = drill_run_record(
            drill_id=obj.drill_id, by=acting_user(request), held_at=obj.held_at, notes=obj.notes
        )
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        if formset.model is DrillFinding:
            from .drills import finding_remind

            for finding in DrillFinding.objects.filter(run=form.instance):
                finding_remind(finding)


class ChecklistItemInline(admin.TabularInline):
    model = ChecklistItem
    extra = 1


@admin.register(ResponseChecklist)
class ResponseChecklistAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "is_active"]
    inlines = [ChecklistItemInline]


class VersionInline(ReadOnlyInline):
    model = ProcedureVersion
    readonly_fields = (
        "number",
        "published_at",
        "published_by",
    )
    fields = readonly_fields


@admin.register(ReportingProcedure)
class ReportingProcedureAdmin(admin.ModelAdmin):
    list_display = ["name"]
    filter_horizontal = ["teams"]
    inlines = [VersionInline]
    readonly_fields = ["acknowledgement_status"]

    @admin.display(description=_("not acknowledged yet"))
    def acknowledgement_status(self, obj: ReportingProcedure) -> str:
        """Who has not acknowledged the version in force (managers see it on the procedure)."""
        if obj.pk is None:
            return "-"
        from .procedures import procedure_acknowledgements

        state = procedure_acknowledgements(obj)
        if state["version"] is None:
            return "-"
        return ", ".join(row["username"] for row in state["pending"]) or str(_("everyone"))


@admin.register(ProcedureVersion)
class ProcedureVersionAdmin(admin.ModelAdmin):
    list_display = ["procedure", "number", "published_at"]
    readonly_fields = ["number", "published_at", "published_by"]

    def has_add_permission(self, request):
        return False  # published through POST /api/v1/procedures/<id>/versions/


@admin.register(ProcedureAcknowledgement)
class ProcedureAcknowledgementAdmin(admin.ModelAdmin):
    list_display = ["version", "user", "at"]

    def has_add_permission(self, request):
        return False


@admin.register(EmergencyContact)
class EmergencyContactAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "role", "phone", "mobile", "email", "position"]
    list_filter = ["team"]
