"""The agents' desk: incident queues with filters and search, the timeline, one button per allowed transition.

Every write goes through `incidents.services`, so the admin checks permissions and writes the timeline exactly
as the API does."""

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.views.main import ORDER_VAR
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_fsm import has_transition_perm

from config.errors import VigilError
from config.permissions import acting_user
from escalation.admin.base import AuditedAdminMixin
from escalation.models import SlaClockState
from escalation.selectors import breached_subject_ids, paused_subject_ids, running_clock_due_at
from escalation.services import subject_paging

from .models import (
    Incident,
    IncidentCategory,
    IncidentState,
    PriorityMatrixCell,
    Service,
    Source,
    TimelineEvent,
)
from .models.incident import TRANSITION_PERMISSION, transition_label
from .overview import incident_overview
from .selectors import incident_list, incident_search
from .services import (
    EDITABLE_FIELDS,
    allowed_transitions,
    incident_comment,
    incident_create,
    incident_page_acknowledge,
    incident_transition,
    incident_update,
)

# Badge colours are classes of static/vigil/vigil.css: the Content-Security-Policy allows no inline style.
PRIORITY_CLASSES = {1: "p1", 2: "p2", 3: "p3", 4: "p4"}


@admin.register(Service)
class ServiceAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "owning_team", "criticality", "is_active")
    list_filter = ("criticality", "is_active", "owning_team")
    search_fields = ("name", "description")


@admin.register(IncidentCategory)
class IncidentCategoryAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("category_name", "code", "group", "scope", "team", "parent", "is_active")
    list_filter = ("group", "scope", "team", "is_active")
    search_fields = ("name", "code", "definition")
    prepopulated_fields = {"code": ("name",)}
    fields = ("name", "code", "group", "parent", "scope", "team", "definition", "description", "is_active")

    @admin.display(description=_("name"), ordering="name")
    def category_name(self, obj: IncidentCategory) -> str:
        return obj.display_name


@admin.register(PriorityMatrixCell)
class PriorityMatrixCellAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("impact", "urgency", "priority")
    list_editable = ("priority",)
    list_filter = ("impact", "urgency")


class TimelineInline(admin.TabularInline):
    model = TimelineEvent
    fields = (
        "created_at",
        "actor",
        "kind",
        "transition_shown",
        "from_shown",
        "to_shown",
        "note",
        "is_public",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("created_at", "id")
    verbose_name_plural = _("timeline")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    # States and transitions are stored as codes and shown in the reader's language.
    @admin.display(description=_("transition"))
    def transition_shown(self, obj: TimelineEvent) -> str:
        return obj.transition_label

    @admin.display(description=_("from state"))
    def from_shown(self, obj: TimelineEvent) -> str:
        return obj.from_state_label

    @admin.display(description=_("to state"))
    def to_shown(self, obj: TimelineEvent) -> str:
        return obj.to_state_label


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = (
        "reference_link",
        "title",
        "state",
        "priority_badge",
        "sla_badge",
        "service",
        "assignee",
        "age",
    )
    list_filter = ("state", "priority", "service", "team", "category", "source", "assignee")
    list_select_related = ("service", "assignee")
    search_fields = ("title", "description")
    date_hierarchy = "reported_at"
    inlines = [TimelineInline]
    readonly_fields = (
        "reference_link",
        "state",
        "priority",
        "reporter",
        "source",
        "reported_at",
        "acknowledged_at",
        "work_started_at",
        "resolved_at",
        "closed_at",
        "cancelled_at",
        "on_hold_since",
        "time_on_hold",
    )
    fieldsets = (
        (
            None,
            {"fields": ("reference_link", "title", "description", "state", "priority", "impact", "urgency")},
        ),
        (
            _("Routing"),
            {"fields": ("service", "category", "team", "assignee", "parent", "reporter", "source")},
        ),
        (
            _("Report"),
            {
                "fields": (
                    "occurred_at",
                    "detected_at",
                    "impact_scope",
                    "affected_parties",
                    "mitigated_at",
                    "interim_measure",
                )
            },
        ),
        (_("Resolution"), {"fields": ("resolution_code", "resolution_notes")}),
        (
            _("Milestones"),
            {
                "fields": (
                    "reported_at",
                    "acknowledged_at",
                    "work_started_at",
                    "resolved_at",
                    "closed_at",
                    "cancelled_at",
                    "on_hold_since",
                    "time_on_hold",
                )
            },
        ),
    )
    autocomplete_fields = ("service", "parent")
    change_form_template = "admin/incidents/incident/change_form.html"
    actions = ["declare_major_incident"]

    @admin.action(
        description=_("Declare a major incident from the selected incidents"), permissions=["change"]
    )
    def declare_major_incident(
        self, request: HttpRequest, queryset: QuerySet[Incident]
    ) -> HttpResponse | None:
        from .major.admin import incidents_declare_action

        return incidents_declare_action(self, request, queryset)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Incident]:
        # One EXISTS and one subquery per row in the same query: the list shows SLA breaches and the next
        # running clock's due instant without a query per incident.
        return incident_list(user=request.user).annotate(
            sla_breached=Exists(breached_subject_ids(model=Incident).filter(subject_id=OuterRef("pk"))),
            sla_due_at=Subquery(running_clock_due_at(model=Incident).filter(subject_id=OuterRef("pk"))[:1]),
            sla_paused=Exists(paused_subject_ids(model=Incident).filter(subject_id=OuterRef("pk"))),
        )

    @admin.display(description=_("SLA"), boolean=False, ordering="sla_due_at")
    def sla_badge(self, obj: Incident) -> str:
        if getattr(obj, "sla_breached", False):
            return format_html(
                '<span class="vigil-badge vigil-p1">{}</span>',
                _("breached"),
            )
        due_at = getattr(obj, "sla_due_at", None)
        if due_at is None:
            # No running clock: a paused one (on hold), or no SLA policy applies.
            return str(SlaClockState.PAUSED.label) if getattr(obj, "sla_paused", False) else "-"
        now = timezone.now()
        if due_at <= now:
            return format_html('<strong class="vigil-overdue">{}</strong>', _("overdue"))
        return format_html(
            '<time datetime="{}" title="{}">{}</time>',
            due_at.isoformat(),
            date_format(timezone.localtime(due_at), "DATETIME_FORMAT"),
            _("%(time)s left") % {"time": timeuntil(due_at, now)},
        )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Incident], search_term: str
    ) -> tuple[QuerySet[Incident], bool]:
        # The best matches first (incident_search's rank), unless a column was clicked. No duplicates: the
        # search selects by id.
        found = incident_search(queryset, search_term, user=request.user)
        if search_term.strip() and ORDER_VAR in request.GET:
            found = found.order_by(*queryset.query.order_by)
        return found, False

    @admin.display(description=_("reference"), ordering="id")
    def reference_link(self, obj: Incident) -> str:
        return obj.reference

    @admin.display(description=_("priority"), ordering="priority")
    def priority_badge(self, obj: Incident) -> str:
        return format_html(
            '<span class="vigil-badge vigil-{}">P{}</span>',
            PRIORITY_CLASSES.get(obj.priority, "p4"),
            obj.priority,
        )

    @admin.display(description=_("age"), ordering="reported_at")
    def age(self, obj: Incident) -> str:
        return timesince(obj.reported_at, timezone.now())

    def save_model(self, request: HttpRequest, obj: Incident, form: Any, change: bool) -> None:
        """Saves through the services, so priority and timeline follow the same rules as the API."""
        data = {f: form.cleaned_data[f] for f in EDITABLE_FIELDS if f in form.cleaned_data}
        if change:
            changed = {f: v for f, v in data.items() if f in form.changed_data}
            saved = incident_update(incident_id=obj.pk, by=acting_user(request), changes=changed)
        else:
            title, impact, urgency = data.pop("title"), data.pop("impact"), data.pop("urgency")
            description = data.pop("description", "")
            saved = incident_create(
                by=acting_user(request),
                title=title,
                impact=impact,
                urgency=urgency,
                description=description,
                source=Source.ADMIN,
                **{k: v for k, v in data.items() if v not in (None, "")},
            )
        obj.pk = saved.pk
        obj.refresh_from_db()

    def get_urls(self) -> list:
        own = [
            path(
                "<int:pk>/transition/<str:name>/",
                self.admin_site.admin_view(require_POST(self.transition_view)),
                name="incidents_incident_transition",
            ),
            path(
                "<int:pk>/acknowledge-page/",
                self.admin_site.admin_view(require_POST(self.acknowledge_page_view)),
                name="incidents_incident_acknowledge_page",
            ),
            path(
                "<int:pk>/comment/",
                self.admin_site.admin_view(require_POST(self.comment_view)),
                name="incidents_incident_comment",
            ),
        ]
        return own + super().get_urls()

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        extra_context = extra_context or {}
        incident = self.get_object(request, object_id)
        if incident is not None:
            extra_context["transitions"] = [
                (name, transition_label(name))
                for name in allowed_transitions(incident)
                if has_transition_perm(getattr(incident, name), request.user)
            ]
            extra_context["can_comment"] = request.user.has_perm("incidents.change_incident")
            if request.user.has_perm("incidents.view_incident"):
                extra_context["overview"] = incident_overview(incident)
            # A reopened incident is paged again although it is past `new`: its page is answered here.
            extra_context["can_acknowledge_page"] = (
                incident.state != IncidentState.NEW
                and request.user.has_perm(TRANSITION_PERMISSION)
                and subject_paging(subject=incident)
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def _back(self, pk: int) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:incidents_incident_change", args=[pk]))

    @staticmethod
    def _report(request: HttpRequest, error: VigilError) -> None:
        messages.error(request, error.detail)

    def transition_view(self, request: HttpRequest, pk: int, name: str) -> HttpResponse:
        get_object_or_404(self.get_queryset(request), pk=pk)
        try:
            incident = incident_transition(
                incident_id=pk, name=name, by=acting_user(request), note=request.POST.get("note", "")
            )
        except VigilError as error:
            self._report(request, error)
        else:
            messages.success(
                request,
                _("%(ref)s is now %(state)s.")
                % {
                    "ref": incident.reference,
                    "state": IncidentState(incident.state).label,
                },
            )
        return self._back(pk)

    def acknowledge_page_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        get_object_or_404(self.get_queryset(request), pk=pk)
        try:
            incident = incident_page_acknowledge(incident_id=pk, by=acting_user(request))
        except VigilError as error:
            self._report(request, error)
        else:
            messages.success(request, _("Paging about %(ref)s stopped.") % {"ref": incident.reference})
        return self._back(pk)

    def comment_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        get_object_or_404(self.get_queryset(request), pk=pk)
        try:
            incident_comment(
                incident_id=pk,
                by=acting_user(request),
                body=request.POST.get("body", ""),
                public=request.POST.get("public") == "on",
            )
        except VigilError as error:
            self._report(request, error)
        else:
            messages.success(request, _("Comment added."))
        return self._back(pk)


# Integrations, alerts, silences and possible major incidents (issue 4, inbound): registered by importing.
from .changes import admin as changes_admin  # noqa: E402, F401
from .integrations import admin as integrations_admin  # noqa: E402, F401

# Major incidents (issue 9): registered by importing; agents declare one from selected incidents.
from .major import admin as major_admin  # noqa: E402, F401
from .problems import admin as problems_admin  # noqa: E402, F401
