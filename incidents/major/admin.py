"""The commanders' desk in the admin: major incidents with one button per allowed transition, the roles, the
team, objectives, the action plan, logistics, costs and status updates inline, the log; the configuration,
templates, outside people, tasks, the status page's services and subscribers. Every write goes through the
services in incidents/major/, so the admin checks permissions and writes the log as the API does. Registered
from incidents/admin.py."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
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

from ..models import (
    ActionPlanStep,
    ActionPlanTemplate,
    CommandRole,
    Cost,
    FundAllocation,
    Incident,
    MajorIncident,
    MajorIncidentConfiguration,
    MajorIncidentLink,
    MajorIncidentLogEntry,
    MajorIncidentState,
    Objective,
    OutsidePerson,
    ResourceRequest,
    RoleAssignment,
    StatusPageService,
    StatusSubscription,
    StatusUpdate,
    Task,
    TeamMember,
)
from ..models.major_comms import update_audience_choices
from ..models.major_incident import DeclaredVia
from . import actionplan, command, comms, logistics, services
from .selectors import commander_of, finance_summary, major_incident_list, major_incident_search

# Classes of static/vigil/vigil.css (no inline style under the Content-Security-Policy), the priorities' colours.
SEVERITY_CLASSES = {1: "p1", 2: "p2", 3: "p3"}


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class _AddOnlyInline(admin.TabularInline):
    """Rows are added here (through the services); existing rows are history, shown read-only."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LinkInline(_ReadOnlyInline):
    model = MajorIncidentLink
    fields = ("incident", "is_primary", "linked_at", "linked_by")
    readonly_fields = fields
    verbose_name_plural = _("incidents")


class RoleInline(_ReadOnlyInline):
    model = RoleAssignment
    fields = ("role", "user", "person", "assigned_at", "assigned_by", "ended_at", "note")
    readonly_fields = fields
    ordering = ("-ended_at", "role", "assigned_at")


class TeamInline(_AddOnlyInline):
    model = TeamMember
    fields = ("user", "person", "responsibility", "joined_at", "left_at")
    readonly_fields = ("joined_at", "left_at")
    autocomplete_fields = ("person",)


class ObjectiveInline(admin.TabularInline):
    model = Objective
    fields = ("position", "text", "achieved_at")
    readonly_fields = ("achieved_at",)
    extra = 0
    can_delete = False


class TaskInline(admin.TabularInline):
    model = Task
    fk_name = "major_incident"
    fields = ("position", "title", "owner_user", "owner_person", "workstream", "priority", "due_at", "state")
    readonly_fields = ("state",)
    extra = 0
    can_delete = False
    autocomplete_fields = ("owner_person",)
    verbose_name_plural = _("action plan")


class ResourceInline(_AddOnlyInline):
    model = ResourceRequest
    fields = ("kind", "description", "note", "state", "requested_by", "requested_at", "provided_by")
    readonly_fields = ("state", "requested_by", "requested_at", "provided_by")


class CostInline(_AddOnlyInline):
    model = Cost
    fields = ("category", "amount", "currency", "note", "incurred_at", "recorded_by")
    readonly_fields = ("incurred_at", "recorded_by")


class FundInline(_AddOnlyInline):
    model = FundAllocation
    fields = ("amount", "currency", "note", "allocated_at", "allocated_by")
    readonly_fields = ("allocated_at", "allocated_by")


class StatusUpdateForm(forms.ModelForm):
    audiences = forms.MultipleChoiceField(
        label=_("audiences"), choices=update_audience_choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = StatusUpdate
        fields = ("status", "impact", "actions", "next_update_at", "audiences", "public_text")


class StatusUpdateInline(_AddOnlyInline):
    model = StatusUpdate
    form = StatusUpdateForm
    fields = ("status", "impact", "actions", "next_update_at", "audiences", "public_text", "published_at")
    readonly_fields = ("published_at",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields


class LogInline(_ReadOnlyInline):
    model = MajorIncidentLogEntry
    fields = ("created_at", "actor", "kind", "transition", "from_state", "to_state", "note")
    readonly_fields = fields
    ordering = ("created_at", "id")
    verbose_name_plural = _("log")


@admin.register(MajorIncident)
class MajorIncidentAdmin(admin.ModelAdmin):
    list_display = (
        "reference_link",
        "title",
        "state",
        "severity_badge",
        "commander",
        "declared_at",
        "next_update_at",
    )
    list_filter = ("state", "severity", "cause", "declared_via", "services")
    search_fields = ("title", "summary")
    date_hierarchy = "declared_at"
    filter_horizontal = ("services",)
    readonly_fields = (
        "reference",
        "state",
        "primary_incident",
        "declared_by",
        "declared_via",
        "flag",
        "still_ongoing",
        "reporter_contact",
        "no_problem_reason",
        "cancel_reason",
        "next_update_at",
        "declared_at",
        "acknowledged_at",
        "investigating_at",
        "identified_at",
        "mitigated_at",
        "resolved_at",
        "reviewed_at",
        "closed_at",
        "cancelled_at",
        "finance",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "reference",
                    "title",
                    "summary",
                    "state",
                    "severity",
                    "cause",
                    "category",
                    "services",
                )
            },
        ),
        (_("Impact"), {"fields": ("impact", "customer_impact", "still_ongoing", "reporter_contact")}),
        (_("Where the team meets"), {"fields": ("bridge_url", "war_room")}),
        (
            _("Declaration"),
            {"fields": ("primary_incident", "declared_by", "declared_via", "flag", "next_update_at")},
        ),
        (_("Resolution"), {"fields": ("resolution_summary", "no_problem_reason", "cancel_reason")}),
        (_("Finance"), {"fields": ("finance",)}),
        (
            _("Milestones"),
            {
                "fields": (
                    "occurred_at",
                    "detected_at",
                    "declared_at",
                    "acknowledged_at",
                    "investigating_at",
                    "identified_at",
                    "mitigated_at",
                    "resolved_at",
                    "reviewed_at",
                    "closed_at",
                    "cancelled_at",
                )
            },
        ),
    )
    inlines = [
        LinkInline,
        RoleInline,
        TeamInline,
        ObjectiveInline,
        TaskInline,
        ResourceInline,
        CostInline,
        FundInline,
        StatusUpdateInline,
        LogInline,
    ]
    change_form_template = "admin/incidents/majorincident/change_form.html"
    # Links people paste without a scheme (bridge) are https, as Django 6 will assume.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_queryset(self, request: HttpRequest) -> QuerySet[MajorIncident]:
        return major_incident_list(user=request.user)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[MajorIncident], search_term: str
    ) -> tuple[QuerySet[MajorIncident], bool]:
        return major_incident_search(queryset, search_term), False

    def get_inlines(self, request: HttpRequest, obj: Any) -> list:
        return self.inlines if obj is not None else []

    @admin.display(description=_("reference"), ordering="id")
    def reference_link(self, obj: MajorIncident) -> str:
        return obj.reference

    @admin.display(description=_("severity"), ordering="severity")
    def severity_badge(self, obj: MajorIncident) -> str:
        return format_html(
            '<span class="vigil-badge vigil-{}">SEV{}</span>',
            SEVERITY_CLASSES.get(obj.severity, "p4"),
            obj.severity,
        )

    @admin.display(description=_("commander"))
    def commander(self, obj: MajorIncident) -> str:
        assignment = commander_of(obj)
        return assignment.holder_name if assignment else "-"

    @admin.display(description=_("spent against allocated"))
    def finance(self, obj: MajorIncident) -> str:
        rows = finance_summary(obj) if obj.pk else []
        if not rows:
            return "-"
        return format_html(
            "<br>".join(["{}"] * len(rows)),
            *[
                _("%(currency)s: spent %(spent)s of %(allocated)s (remaining %(remaining)s)")
                % {k: row[k] for k in ("currency", "spent", "allocated", "remaining")}
                for row in rows
            ],
        )

    def save_model(self, request: HttpRequest, obj: MajorIncident, form: Any, change: bool) -> None:
        """Saves through the services: a new one is declared (paging, plan, notices), a change is logged."""
        fields = {f: form.cleaned_data[f] for f in services.EDITABLE_FIELDS if f in form.cleaned_data}
        if change:
            changed = {f: v for f, v in fields.items() if f in form.changed_data}
            if "services" in changed:
                changed["services"] = list(changed["services"])
            saved = services.major_incident_update(
                major_incident_id=obj.pk, by=acting_user(request), changes=changed
            )
        else:
            chosen = list(fields.pop("services", []) or [])
            title, severity = fields.pop("title"), fields.pop("severity")
            saved = services.major_incident_declare(
                by=acting_user(request),
                title=title,
                severity=severity,
                services=chosen or None,
                via=DeclaredVia.ADMIN,
                **{k: v for k, v in fields.items() if v not in (None, "")},
            )
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Services are saved by the services (save_model); only the inlines are left.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """Each inline row through its service."""
        major_incident = form.instance
        by = request.user
        # What the admin's history message reads (formset.save() would set them; the services save instead).
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            if not inline_form.has_changed() or not inline_form.cleaned_data:
                continue
            data = dict(inline_form.cleaned_data)
            row = inline_form.instance
            new = row.pk is None
            try:
                self._save_row(major_incident, formset.model, data, row=row, new=new, form=inline_form, by=by)
            except VigilError as error:
                messages.error(request, error.detail)

    def _save_row(
        self,
        major_incident: MajorIncident,
        model: Any,
        data: dict,
        *,
        row: Any,
        new: bool,
        form: Any,
        by: Any,
    ) -> None:
        pk = major_incident.pk
        if model is Task:
            fields = {k: data[k] for k in actionplan.TASK_FIELDS if k in data}
            if new:
                actionplan.task_create(by=by, major_incident=major_incident, **fields)
            else:
                changes = {k: fields[k] for k in form.changed_data if k in fields}
                actionplan.task_update(task_id=row.pk, by=by, changes=changes)
        elif model is TeamMember and new:
            command.member_add(
                major_incident_id=pk,
                by=by,
                user=data.get("user"),
                person=data.get("person"),
                responsibility=data.get("responsibility", ""),
            )
        elif model is Objective:
            if new:
                command.objective_add(
                    major_incident_id=pk, by=by, text=data["text"], position=data.get("position")
                )
            else:
                changes = {k: data[k] for k in form.changed_data if k in ("text", "position")}
                command.objective_update(objective_id=row.pk, by=by, changes=changes)
        elif model is ResourceRequest and new:
            logistics.resource_request_create(
                major_incident_id=pk,
                by=by,
                kind=data["kind"],
                description=data["description"],
                note=data.get("note", ""),
            )
        elif model is Cost and new:
            logistics.cost_add(
                major_incident_id=pk,
                by=by,
                category=data["category"],
                amount=data["amount"],
                currency=data["currency"],
                note=data.get("note", ""),
            )
        elif model is FundAllocation and new:
            logistics.funds_allocate(
                major_incident_id=pk,
                by=by,
                amount=data["amount"],
                currency=data["currency"],
                note=data.get("note", ""),
            )
        elif model is StatusUpdate and new:
            comms.status_update_publish(
                major_incident_id=pk,
                by=by,
                status=data["status"],
                audiences=list(data["audiences"]),
                impact=data.get("impact", ""),
                actions=data.get("actions", ""),
                next_update_at=data.get("next_update_at"),
                public_text=data.get("public_text", ""),
            )

    def get_urls(self) -> list:
        own = [
            path(
                "<int:pk>/transition/<str:name>/",
                self.admin_site.admin_view(require_POST(self.transition_view)),
                name="incidents_majorincident_transition",
            ),
            path(
                "<int:pk>/assign-role/",
                self.admin_site.admin_view(require_POST(self.assign_role_view)),
                name="incidents_majorincident_assign_role",
            ),
        ]
        return own + super().get_urls()

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        extra_context = extra_context or {}
        major_incident = self.get_object(request, object_id)
        if major_incident is not None:
            names = [
                name
                for name in services.allowed_transitions(major_incident)
                if has_transition_perm(getattr(major_incident, name), request.user)
            ]
            extra_context["transitions"] = names
            extra_context["can_acknowledge"] = (
                major_incident.acknowledged_at is None
                and major_incident.is_active
                and request.user.has_perm("incidents.transition_majorincident")
            )
            extra_context["can_assign"] = request.user.has_perm("incidents.add_roleassignment")
            extra_context["roles"] = CommandRole.choices
            extra_context["people"] = OutsidePerson.objects.order_by("name")[:500]
            from django.contrib.auth import get_user_model

            extra_context["users"] = (
                get_user_model().objects.filter(is_active=True).order_by("username")[:500]
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def _back(self, pk: int) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:incidents_majorincident_change", args=[pk]))

    def transition_view(self, request: HttpRequest, pk: int, name: str) -> HttpResponse:
        get_object_or_404(self.get_queryset(request), pk=pk)
        try:
            if name == "acknowledge":
                major_incident = services.major_incident_acknowledge(
                    major_incident_id=pk, by=acting_user(request)
                )
            else:
                major_incident = services.major_incident_transition(
                    major_incident_id=pk,
                    name=name,
                    by=acting_user(request),
                    note=request.POST.get("note", ""),
                    no_problem_reason=request.POST.get("no_problem_reason", ""),
                    resolution_summary=request.POST.get("resolution_summary", ""),
                    reason=request.POST.get("reason", ""),
                )
        except VigilError as error:
            messages.error(request, error.detail)
        else:
            messages.success(
                request,
                _("%(ref)s is now %(state)s.")
                % {"ref": major_incident.reference, "state": MajorIncidentState(major_incident.state).label},
            )
        return self._back(pk)

    def assign_role_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        get_object_or_404(self.get_queryset(request), pk=pk)
        from django.contrib.auth import get_user_model

        user_id, person_id = request.POST.get("user", ""), request.POST.get("person", "")
        user = get_user_model().objects.filter(pk=user_id).first() if user_id.isdigit() else None
        person = OutsidePerson.objects.filter(pk=person_id).first() if person_id.isdigit() else None
        try:
            assignment = command.role_assign(
                major_incident_id=pk,
                role=request.POST.get("role", ""),
                by=acting_user(request),
                user=user,
                person=person,
                note=request.POST.get("note", ""),
            )
        except VigilError as error:
            messages.error(request, error.detail)
        else:
            messages.success(request, str(assignment))
        return self._back(pk)


@admin.register(MajorIncidentConfiguration)
class MajorIncidentConfigurationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "escalation_policy", "commander_schedule")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not MajorIncidentConfiguration.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class StepInline(admin.TabularInline):
    model = ActionPlanStep
    fields = ("position", "title", "workstream", "priority", "due_after", "owner_role")
    extra = 1


@admin.register(ActionPlanTemplate)
class ActionPlanTemplateAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "cause", "category", "is_active")
    list_filter = ("cause", "is_active")
    search_fields = ("name",)
    inlines = [StepInline]


@admin.register(OutsidePerson)
class OutsidePersonAdmin(admin.ModelAdmin):
    list_display = ("name", "organisation", "email", "phone")
    search_fields = ("name", "organisation", "email")


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "major_incident",
        "incident",
        "owner_user",
        "owner_person",
        "priority",
        "due_at",
        "state",
    )
    list_filter = ("state", "priority", "workstream")
    search_fields = ("title",)
    readonly_fields = (
        "state",
        "major_incident",
        "incident",
        "created_at",
        "created_by",
        "started_at",
        "done_at",
    )
    autocomplete_fields = ("owner_person",)
    raw_id_fields = ("owner_user",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tasks are added on their major incident or through the API

    def save_model(self, request: HttpRequest, obj: Task, form: Any, change: bool) -> None:
        changes = {k: form.cleaned_data[k] for k in form.changed_data if k in actionplan.TASK_FIELDS}
        actionplan.task_update(task_id=obj.pk, by=acting_user(request), changes=changes)
        obj.refresh_from_db()


@admin.register(StatusPageService)
class StatusPageServiceAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("public_name", "service", "position")
    list_editable = ("position",)


@admin.register(StatusSubscription)
class StatusSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("email", "language", "created_at", "confirmed_at")
    list_filter = ("language",)
    search_fields = ("email",)
    readonly_fields = ("email", "language", "created_at", "confirmed_at", "confirmation_sent_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


def incidents_declare_action(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Incident]
) -> Any:
    """The admin's action on incidents: one major incident gathers them, the highest priority as the primary."""
    try:
        major_incident = services.incidents_declare(
            incident_ids=list(queryset.values_list("pk", flat=True)), by=acting_user(request)
        )
    except VigilError as error:
        modeladmin.message_user(request, error.detail, level=messages.ERROR)
        return None
    modeladmin.message_user(request, _("%(ref)s declared.") % {"ref": major_incident.reference})
    return HttpResponseRedirect(reverse("admin:incidents_majorincident_change", args=[major_incident.pk]))
