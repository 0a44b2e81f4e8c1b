"""The problem desk in the admin: problems with one button per allowed transition, linked incidents and major
incidents, the log; the recurring incidents with no problem, each a click away from one; the known errors an
agent searches. Every write goes through incidents/problems/services.py. Registered from incidents/admin.py."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_fsm import can_proceed

from config.errors import VigilError
from config.permissions import acting_user

from ..models import Problem, ProblemIncident, ProblemLogEntry, ProblemState
from ..models.problem import PROBLEM_TRANSITION_LABELS, TRANSITION_PERMISSION
from ..selectors import incident_list
from . import services
from .selectors import known_error_search, problem_list, problem_search, recurring_incidents


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class IncidentLinkInline(_ReadOnlyInline):
    model = ProblemIncident
    fields = ("incident", "linked_at", "linked_by", "workaround_applied_at")
    readonly_fields = fields
    verbose_name_plural = _("linked incidents (link more with the API or the incident's known-error search)")


class ProblemLogInline(_ReadOnlyInline):
    model = ProblemLogEntry
    fields = ("created_at", "kind", "actor", "from_state", "to_state", "transition", "note")
    readonly_fields = fields
    ordering = ("-created_at", "-id")


class ProblemForm(forms.ModelForm):
    """States the service's rule where the admin can show it next to the field: a known error keeps its
    workaround."""

    class Meta:
        model = Problem
        fields = [*services.EDITABLE_FIELDS, "major_incidents"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            self.instance.pk
            and self.instance.state == ProblemState.KNOWN_ERROR
            and "workaround" in data
            and not str(data["workaround"]).strip()
        ):
            self.add_error("workaround", _("A known error needs a workaround."))
        return data


@admin.register(Problem)
class ProblemAdmin(admin.ModelAdmin):
    form = ProblemForm
    list_display = ("reference", "title", "state", "priority", "owner", "opened_at", "known_error_at")
    list_filter = ("state", "priority", "category", "services")
    search_fields = ("title",)
    date_hierarchy = "opened_at"
    filter_horizontal = ("services", "major_incidents")
    readonly_fields = (
        "reference",
        "state",
        "created_by",
        "opened_at",
        "investigating_at",
        "known_error_at",
        "resolved_at",
        "closed_at",
        "changes_fixing",
    )
    fieldsets = (
        (
            None,
            {"fields": ("reference", "title", "state", "priority", "owner", "team", "category", "services")},
        ),
        (_("Diagnosis"), {"fields": ("symptoms", "root_cause", "workaround", "resolution")}),
        (_("Linked records"), {"fields": ("major_incidents", "changes_fixing")}),
        (
            _("Milestones"),
            {
                "fields": (
                    "created_by",
                    "opened_at",
                    "investigating_at",
                    "known_error_at",
                    "resolved_at",
                    "closed_at",
                )
            },
        ),
    )
    inlines = [IncidentLinkInline, ProblemLogInline]
    change_form_template = "admin/incidents/problem/change_form.html"
    change_list_template = "admin/incidents/problem/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Problem]:
        return problem_list(user=request.user)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Problem], search_term: str
    ) -> tuple[QuerySet[Problem], bool]:
        return problem_search(queryset, search_term), True

    def get_inlines(self, request: HttpRequest, obj: Any) -> list:
        return self.inlines if obj is not None else []

    @admin.display(description=_("reference"), ordering="id")
    def reference(self, obj: Problem) -> str:
        return obj.reference

    @admin.display(description=_("changes that fix it"))
    def changes_fixing(self, obj: Problem) -> str:
        if not obj.pk:
            return "-"
        return ", ".join(f"{c.reference} ({c.get_state_display()})" for c in obj.changes.all()) or "-"

    def save_model(self, request: HttpRequest, obj: Problem, form: Any, change: bool) -> None:
        """Saves through the services: opened (logged, event) or changed (logged)."""
        fields = {f: form.cleaned_data[f] for f in services.EDITABLE_FIELDS if f in form.cleaned_data}
        majors = list(form.cleaned_data.get("major_incidents") or [])
        by = acting_user(request)
        if change:
            changed = {f: v for f, v in fields.items() if f in form.changed_data}
            if "services" in changed:
                changed["services"] = list(changed["services"])
            saved = services.problem_update(problem_id=obj.pk, by=by, changes=changed)
            if "major_incidents" in form.changed_data:
                current = set(saved.major_incidents.values_list("pk", flat=True))
                for major in majors:
                    if major.pk not in current:
                        services.problem_link_major_incident(
                            problem_id=saved.pk, major_incident_id=major.pk, by=by
                        )
                for pk in current - {m.pk for m in majors}:
                    services.problem_unlink_major_incident(problem_id=saved.pk, major_incident_id=pk, by=by)
        else:
            chosen = list(fields.pop("services", []) or [])
            saved = services.problem_open(
                by=by,
                title=fields.pop("title"),
                services=chosen,
                major_incidents=majors,
                **{k: v for k, v in fields.items() if v not in (None, "")},
            )
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Services and links are saved by save_model; the inlines are read-only."""

    def get_urls(self) -> list:
        own = [
            path(
                "<int:pk>/transition/<str:name>/",
                self.admin_site.admin_view(require_POST(self.transition_view)),
                name="incidents_problem_transition",
            ),
            path(
                "recurring/",
                self.admin_site.admin_view(self.recurring_view),
                name="incidents_problem_recurring",
            ),
            path(
                "known-errors/",
                self.admin_site.admin_view(self.known_errors_view),
                name="incidents_problem_known_errors",
            ),
        ]
        return own + super().get_urls()

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        extra_context = extra_context or {}
        problem = self.get_object(request, object_id)
        if problem is not None:
            # The permission alone: django-fsm's has_transition_perm checks the conditions too, and the workaround
            # a known error needs may be written in the transition's own form.
            may = request.user.has_perm(TRANSITION_PERMISSION)
            extra_context["transitions"] = [
                (name, PROBLEM_TRANSITION_LABELS[name])
                for name in Problem.TRANSITIONS
                if may and name in _reachable(problem)
            ]
        return super().change_view(request, object_id, form_url, extra_context)

    def transition_view(self, request: HttpRequest, pk: int, name: str) -> HttpResponse:
        get_object_or_404(self.get_queryset(request), pk=pk)
        try:
            problem = services.problem_transition(
                problem_id=pk,
                name=name,
                by=acting_user(request),
                note=request.POST.get("note", ""),
                workaround=request.POST.get("workaround", ""),
                root_cause=request.POST.get("root_cause", ""),
                resolution=request.POST.get("resolution", ""),
            )
        except VigilError as error:
            messages.error(request, error.detail)
        else:
            messages.success(
                request,
                _("%(ref)s is now %(state)s.")
                % {"ref": problem.reference, "state": ProblemState(problem.state).label},
            )
        return HttpResponseRedirect(reverse("admin:incidents_problem_change", args=[pk]))

    def known_errors_view(self, request: HttpRequest) -> HttpResponse:
        return _known_errors_view(self, request)

    def recurring_view(self, request: HttpRequest) -> HttpResponse:
        """GET lists recurring incidents with no problem; POST opens a problem for one row (one click)."""
        if not request.user.has_perm("incidents.view_problem"):
            raise PermissionDenied
        if request.method == "POST":
            service, category = request.POST.get("service", ""), request.POST.get("category", "")
            try:
                problem = services.problem_open_from_recurring(
                    by=acting_user(request),
                    service_id=int(service) if service.isdigit() else None,
                    category_id=int(category) if category.isdigit() else None,
                )
            except VigilError as error:
                messages.error(request, error.detail)
                return HttpResponseRedirect(reverse("admin:incidents_problem_recurring"))
            messages.success(request, _("%(ref)s opened.") % {"ref": problem.reference})
            return HttpResponseRedirect(reverse("admin:incidents_problem_change", args=[problem.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Recurring incidents without a problem"),
            "opts": self.model._meta,
            "rows": recurring_incidents(),
            "can_open": request.user.has_perm("incidents.add_problem"),
        }
        return TemplateResponse(request, "admin/incidents/problem/recurring.html", context)


def _known_errors_view(admin_obj: ProblemAdmin, request: HttpRequest) -> HttpResponse:
    """GET: the known errors for an incident (its service, category and title by default, or the words typed);
    POST: link the incident to one, which copies the workaround onto its timeline, and go back to it."""
    if not request.user.has_perm("incidents.view_problem"):
        raise PermissionDenied
    source = request.POST if request.method == "POST" else request.GET
    incident_id = source.get("incident", "")
    incident = (
        incident_list(user=request.user).filter(pk=int(incident_id)).first()
        if incident_id.isdigit()
        else None
    )
    if request.method == "POST":
        problem_id = request.POST.get("problem", "")
        if incident is None or not problem_id.isdigit():
            messages.error(request, _("Choose an incident and a known error."))
            return HttpResponseRedirect(reverse("admin:incidents_problem_known_errors"))
        try:
            link = services.problem_link_incident(
                problem_id=int(problem_id), incident_id=incident.pk, by=acting_user(request)
            )
        except VigilError as error:
            messages.error(request, error.detail)
        else:
            messages.success(
                request,
                _("%(inc)s linked to %(ref)s; the workaround is on its timeline.")
                % {"inc": incident.reference, "ref": link.problem.reference},
            )
        return HttpResponseRedirect(reverse("admin:incidents_incident_change", args=[incident.pk]))
    text = request.GET.get("q", "")[:200]
    rows = known_error_search(
        user=request.user, incident=incident, text=text or (incident.title if incident else "")
    )
    if incident is not None and not text and not rows.exists():
        rows = known_error_search(user=request.user, incident=incident)
    context = {
        **admin_obj.admin_site.each_context(request),
        "title": _("Known errors"),
        "opts": admin_obj.model._meta,
        "incident": incident,
        "q": text,
        "rows": list(rows.prefetch_related("services")[:50]),
        "can_link": request.user.has_perm("incidents.change_problem") and incident is not None,
    }
    return TemplateResponse(request, "admin/incidents/problem/known_errors.html", context)


def _reachable(problem: Problem) -> set[str]:
    """Transitions from the current state, conditions left to the service (which says what is missing): the
    workaround of a known error may be written in the same form."""
    return {
        name for name in Problem.TRANSITIONS if can_proceed(getattr(problem, name), check_conditions=False)
    }
