"""The managers' report pages under /reports/: server-rendered, charts as inline SVG, no scripts.

Login (the admin's login page) and the `postmortems.view_reports` permission, which the managers' group
holds; others get 403."""

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import InvalidInput
from escalation.models import SlaClock, SlaClockState, Team
from incidents.metrics import major_incident_declarations, reporting_calendar_cached
from incidents.models import Incident, IncidentCategory, Priority, Service

from .api.views import REPORTS_PERMISSION, postmortem_context
from .charts import bar_chart, hours, line_chart
from .models import Postmortem
from .params import metrics_query_parse
from .selectors import (
    MetricsQuery,
    action_items_overdue,
    metrics_summary,
    metrics_timeseries,
    postmortem_list,
)


def reports_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    @login_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.has_perm(REPORTS_PERMISSION):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _query(request: HttpRequest) -> tuple[MetricsQuery, dict[str, list[str]]]:
    """The filters asked for; a bad one is shown on the page and the default used instead."""
    try:
        return metrics_query_parse(request.GET), {}
    except InvalidInput as error:
        return metrics_query_parse({}), error.extra.get("fields", {})


def _filter_context(
    request: HttpRequest, query: MetricsQuery, errors: dict[str, list[str]]
) -> dict[str, Any]:
    first, last = query.days()  # the query carries the calendar metrics_query_parse loaded
    chosen = {group: (values[0] if values else None) for group, values in query.filters.items()}
    return {
        "query": query,
        "errors": errors,
        "first_day": first,
        "last_day": last,
        "since_value": first.isoformat(),
        "until_value": (last + dt.timedelta(days=1)).isoformat(),
        "chosen": chosen,
        "choices": {
            "priority": [(value, str(label)) for value, label in Priority.choices],
            "service": list(Service.objects.order_by("name").values_list("pk", "name")),
            "team": list(Team.objects.order_by("name").values_list("pk", "name")),
            "category": list(IncidentCategory.objects.order_by("name").values_list("pk", "name")),
        },
        "querystring": request.GET.urlencode(),
    }


def _interval(first: dt.date, last: dt.date) -> str:
    days = (last - first).days + 1
    return "day" if days <= 62 else "week" if days <= 400 else "month"


@reports_view
def dashboard(request: HttpRequest) -> HttpResponse:
    query, errors = _query(request)
    context = _filter_context(request, query, errors)
    summary = metrics_summary(query)
    span = query.until - query.since
    previous = metrics_summary(query.but(since=query.since - span, until=query.since))
    interval = _interval(context["first_day"], context["last_day"])
    series = metrics_timeseries(query.but(interval=interval))["series"]
    labels = [
        point["period"].isoformat()[5:] if interval == "day" else point["period"].isoformat()
        for point in series
    ]
    by_priority = metrics_summary(query.but(group_by="priority"))["groups"]
    context.update(
        {
            "summary": summary,
            "previous": previous,
            "by_priority": by_priority,
            "interval": interval,
            "count_chart": bar_chart(
                title=_("Incidents reported per %(interval)s") % {"interval": interval},
                labels=labels,
                values=[point["incident_count"] for point in series],
            ),
            "time_chart": line_chart(
                title=_("Mean time to acknowledge and to resolve, hours"),
                labels=labels,
                series=[
                    (_("MTTA"), [hours(point["mtta_seconds"]) for point in series]),
                    (_("MTTR"), [hours(point["mttr_seconds"]) for point in series]),
                ],
                unit=" h",
            ),
            "sla_chart": line_chart(
                title=_("SLA met, percent"),
                labels=labels,
                series=[
                    (_("acknowledge"), [point["sla_ack_met_pct"] for point in series]),
                    (_("resolve"), [point["sla_resolve_met_pct"] for point in series]),
                ],
                unit=" %",
            ),
        }
    )
    return render(request, "reports/dashboard.html", context)


@reports_view
def sla_report(request: HttpRequest) -> HttpResponse:
    query, errors = _query(request)
    context = _filter_context(request, query, errors)
    incidents = Incident.objects.filter(reported_at__gte=query.since, reported_at__lt=query.until).exclude(
        state="cancelled"
    )
    for group, values in query.filters.items():
        if values:
            incidents = incidents.filter(
                **{f"{'priority' if group == 'priority' else group + '_id'}__in": values}
            )
    breached = (
        SlaClock.objects.filter(
            subject_type=ContentType.objects.get_for_model(Incident),
            state=SlaClockState.BREACHED,
            subject_id__in=incidents.values("pk"),
        )
        .order_by("-breached_at")
        .values("subject_id", "kind", "breached_at", "target")[:200]
    )
    rows = list(breached)
    found = Incident.objects.in_bulk([row["subject_id"] for row in rows])
    context.update(
        {
            "summary": metrics_summary(query),
            "by_priority": metrics_summary(query.but(group_by="priority"))["groups"],
            "breaches": [{**row, "incident": found.get(row["subject_id"])} for row in rows],
        }
    )
    return render(request, "reports/sla.html", context)


@reports_view
def major_incidents(request: HttpRequest) -> HttpResponse:
    query, errors = _query(request)
    context = _filter_context(request, query, errors)
    context.update(
        {
            "summary": metrics_summary(query),
            "majors": major_incident_declarations(since=query.since, until=query.until),
            "postmortems": postmortem_list().order_by("-created_at")[:200],
        }
    )
    return render(request, "reports/major_incidents.html", context)


@reports_view
def action_items(request: HttpRequest) -> HttpResponse:
    today = reporting_calendar_cached().day(timezone.now())
    return render(
        request, "reports/action_items.html", {"items": action_items_overdue(today=today), "today": today}
    )


@reports_view
def postmortem_print(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = get_object_or_404(Postmortem, pk=pk)
    return render(request, "reports/postmortem_print.html", postmortem_context(postmortem))
