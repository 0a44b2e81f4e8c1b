"""The change desk in the admin: changes with one button per allowed transition, approve and reject (with the
reason), the approvals inline, the linked problem and major incident, the log; the change calendar; the
approval rules per risk level and the configuration. Every write goes through incidents/changes/services.py.
Registered from incidents/admin.py."""

from datetime import datetime, timedelta
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_fsm import can_proceed

from config.errors import VigilError
from config.permissions import acting_user
from escalation.admin.base import AuditedAdminMixin

from ..models import (
    Change,
    ChangeApproval,
    ChangeApprovalRule,
    ChangeLogEntry,
    ChangeState,
    ProblemChangeConfiguration,
)
from ..models.change import CHANGE_TRANSITION_LABELS
from . import services
from .selectors import approval_status, change_calendar, change_list, change_search


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ApprovalInline(_ReadOnlyInline):
    model = ChangeApproval
    fields = (
        "approval_round",
        "approver",
        "as_manager",
        "decision",
        "reason",
        "decided_at",
        "after_the_fact",
    )
    readonly_fields = fields


class ChangeLogInline(_ReadOnlyInline):
    model = ChangeLogEntry
    fields = ("created_at", "kind", "actor", "from_state", "to_state", "transition", "note")
    readonly_fields = fields
    ordering = ("-created_at", "-id")


class AwaitingMyApprovalFilter(admin.SimpleListFilter):
    """Submitted changes the current user may still decide on (not theirs, not decided yet this round)."""

    title = _("approval")
    parameter_name = "awaiting"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("me", _("awaiting my decision"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Change]) -> QuerySet[Change]:
        if self.value() != "me":
            return queryset
        user = request.user
        decided = ChangeApproval.objects.filter(
            change=OuterRef("pk"), approval_round=OuterRef("approval_round"), approver=user.pk
        )
        return (
            queryset.filter(state=ChangeState.SUBMITTED)
            .exclude(owner=user.pk)
            .exclude(requested_by=user.pk)
            .exclude(Exists(decided))
        )


@admin.register(Change)
class ChangeAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        "title",
        "state",
        "change_type",
        "risk_level",
        "owner",
        "planned_start",
        "planned_end",
    )
    list_filter = (AwaitingMyApprovalFilter, "state", "change_type", "risk_level", "services")
    search_fields = ("title",)
    date_hierarchy = "planned_start"
    filter_horizontal = ("services",)
    readonly_fields = (
        "reference",
        "state",
        "requested_by",
        "approval",
        "approved_after",
        "rejection_reason",
        "failure_reason",
        "cancel_reason",
        "collisions_confirmed",
        "review_fixed",
        "review_side_effects",
        "review_due_at",
        "created_at",
        "submitted_at",
        "approved_at",
        "rejected_at",
        "scheduled_at",
        "started_at",
        "implemented_at",
        "failed_at",
        "rolled_back_at",
        "reviewed_at",
        "closed_at",
        "cancelled_at",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "reference",
                    "title",
                    "description",
                    "state",
                    "change_type",
                    "risk_level",
                    "services",
                    "owner",
                    "requested_by",
                    "team",
                )
            },
        ),
        (_("What it fixes"), {"fields": ("problem", "major_incident")}),
        (_("Window"), {"fields": ("planned_start", "planned_end", "collisions_confirmed")}),
        (_("Plans"), {"fields": ("implementation_plan", "rollback_plan", "test_plan")}),
        (
            _("Approval"),
            {"fields": ("approval", "approved_after", "rejection_reason")},
        ),
        (
            _("Outcome and review"),
            {
                "fields": (
                    "failure_reason",
                    "cancel_reason",
                    "review_due_at",
                    "review_fixed",
                    "review_side_effects",
                )
            },
        ),
        (
            _("Milestones"),
            {
                "fields": (
                    "created_at",
                    "submitted_at",
                    "approved_at",
                    "rejected_at",
                    "scheduled_at",
                    "started_at",
                    "implemented_at",
                    "failed_at",
                    "rolled_back_at",
                    "reviewed_at",
                    "closed_at",
                    "cancelled_at",
                )
            },
        ),
    )
    inlines = [ApprovalInline, ChangeLogInline]
    change_form_template = "admin/incidents/change/change_form.html"
    change_list_template = "admin/incidents/change/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Change]:
        return change_list(user=request.user)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """What the state no longer lets change is shown, not offered (the service would refuse it)."""
        readonly = list(self.readonly_fields)
        if obj is None:
            return readonly
        frozen = [name for name in services.DRAFT_FIELDS if name not in services.editable_fields(obj)]
        if obj.state == ChangeState.SCHEDULED:
            # Moving a scheduled window needs the collision check's confirmation: the API's `confirm`.
            frozen += list(services.WINDOW_FIELDS)
        return readonly + frozen

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Change], search_term: str
    ) -> tuple[QuerySet[Change], bool]:
        return change_search(queryset, search_term), False

    def get_inlines(self, request: HttpRequest, obj: Any) -> list:
        return self.inlines if obj is not None else []

    @admin.display(description=_("reference"), ordering="id")
    def reference(self, obj: Change) -> str:
        return obj.reference

    @admin.display(description=_("approvals"))
    def approval(self, obj: Change) -> str:
        if not obj.pk:
            return "-"
        status = approval_status(obj)
        return str(
            _("%(approved)s of %(needed)s approvals (managers: %(managers_approved)s of %(managers_needed)s)")
            % status
        )

    def save_model(self, request: HttpRequest, obj: Change, form: Any, change: bool) -> None:
        """Saves through the services: created as a draft, or edited (logged; what may change depends on the
        state)."""
        by = acting_user(request)
        fields = {f: form.cleaned_data[f] for f in services.DRAFT_FIELDS if f in form.cleaned_data}
        if change:
            changed = {f: v for f, v in fields.items() if f in form.changed_data}
            if "services" in changed:
                changed["services"] = list(changed["services"])
            saved = services.change_update(change_id=obj.pk, by=by, changes=changed)
        else:
            chosen = list(fields.pop("services", []) or [])
            saved = services.change_create(
                by=by,
                title=fields.pop("title"),
                services=chosen,
                **{k: v for k, v in fields.items() if v not in (None, "")},
            )
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Services are saved by save_model; the inlines are read-only."""

    def get_urls(self) -> list:
        own = [
            path(
                "<int:pk>/transition/<str:name>/",
                self.admin_site.admin_view(require_POST(self.transition_view)),
                name="incidents_change_transition",
            ),
            path(
                "calendar/", self.admin_site.admin_view(self.calendar_view), name="incidents_change_calendar"
            ),
        ]
        return own + super().get_urls()

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        extra_context = extra_context or {}
        change = self.get_object(request, object_id)
        if change is not None:
            names = [n for n in Change.TRANSITIONS if can_proceed(getattr(change, n), check_conditions=False)]
            if change.state in (ChangeState.SUBMITTED, ChangeState.APPROVED) and not change.is_emergency:
                names = [n for n in names if n != "start"]
            can_decide = request.user.has_perm("incidents.approve_change")
            can_move = request.user.has_perm("incidents.transition_change")
            decisions = ("approve", "reject")
            extra_context["transitions"] = [
                (name, CHANGE_TRANSITION_LABELS[name])
                for name in names
                if (can_decide if name in decisions else can_move)
            ]
            if services._may_decide_after(change) and can_decide:
                extra_context["transitions"] += [(n, CHANGE_TRANSITION_LABELS[n]) for n in decisions]
        return super().change_view(request, object_id, form_url, extra_context)

    def transition_view(self, request: HttpRequest, pk: int, name: str) -> HttpResponse:
        get_object_or_404(self.get_queryset(request), pk=pk)
        fixed = request.POST.get("fixed", "")
        try:
            change = services.change_transition(
                change_id=pk,
                name=name,
                by=acting_user(request),
                note=request.POST.get("note", ""),
                reason=request.POST.get("reason", ""),
                confirm=request.POST.get("confirm") == "on",
                fixed={"yes": True, "no": False}.get(fixed),
                side_effects=request.POST.get("side_effects", ""),
            )
        except VigilError as error:
            messages.error(request, error.detail)
        else:
            messages.success(
                request,
                _("%(ref)s is now %(state)s.")
                % {"ref": change.reference, "state": ChangeState(change.state).label},
            )
        return HttpResponseRedirect(reverse("admin:incidents_change_change", args=[pk]))

    def calendar_view(self, request: HttpRequest) -> HttpResponse:
        """The change calendar: changes whose window overlaps the period, day by day (the user's zone)."""
        if not request.user.has_perm("incidents.view_change"):
            raise PermissionDenied
        today = timezone.localdate()
        since_day = parse_date(request.GET.get("since", "") or "") or today - timedelta(days=today.weekday())
        until_day = parse_date(request.GET.get("until", "") or "") or since_day + timedelta(days=28)
        zone = timezone.get_current_timezone()
        since = datetime.combine(since_day, datetime.min.time(), tzinfo=zone)
        until = datetime.combine(until_day, datetime.min.time(), tzinfo=zone)
        changes = list(change_calendar(user=request.user, since=since, until=until))
        days: list[dict[str, Any]] = []
        day = since_day
        while day < until_day and len(days) < 366:
            start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
            end = start + timedelta(days=1)
            rows = [
                c
                for c in changes
                if c.planned_start and c.planned_end and c.planned_start < end and c.planned_end > start
            ]
            if rows:
                days.append({"day": day, "changes": rows})
            day += timedelta(days=1)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Change calendar"),
            "opts": self.model._meta,
            "since": since_day,
            "until": until_day,
            "days": days,
        }
        return TemplateResponse(request, "admin/incidents/change/calendar.html", context)


@admin.register(ChangeApprovalRule)
class ChangeApprovalRuleAdmin(admin.ModelAdmin):
    list_display = ("risk_level", "approvers", "managers")


@admin.register(ProblemChangeConfiguration)
class ProblemChangeConfigurationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = (
        "__str__",
        "recurring_window_days",
        "recurring_min_incidents",
        "approval_reminder_hours",
        "review_after_days",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not ProblemChangeConfiguration.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
