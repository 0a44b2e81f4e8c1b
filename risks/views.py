"""The risk radar page under /reports/risk-radar/ (server-rendered, no scripts), for managers and risk owners:
the matrix as a heat map with counts, the index per area with its trend, the biggest movers, KRIs trending
towards red, acceptances expiring and reviews overdue. Emergency contacts export as vCard and CSV."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse_lazy

from config.permissions import acting_user
from escalation.models import Team

from .contacts import contacts_csv, contacts_vcard
from .forms import RiskReportForm
from .models import Area, RadarSnapshot, Risk
from .selectors import (
    acceptances_expiring,
    biggest_movers,
    heat_map,
    kris_trending_to_red,
    level_counts,
    precursors_open,
    radar_latest,
    reviews_overdue,
)

RADAR_PERMISSION = "risks.view_radarsnapshot"


def _may_see_radar(request: HttpRequest) -> bool:
    user = request.user
    return user.has_perm(RADAR_PERMISSION) or Risk.objects.filter(owner_id=user.pk).exists()


@login_required
def radar(request: HttpRequest) -> HttpResponse:
    if not _may_see_radar(request):
        raise PermissionDenied
    area = None
    if request.GET.get("area", "").isdigit():
        area = get_object_or_404(Area, pk=int(request.GET["area"]))
    snapshots = radar_latest()
    trends = {
        row.area_id: list(
            RadarSnapshot.objects.filter(area_id=row.area_id)
            .order_by("-week_start")
            .values_list("index", flat=True)[:8]
        )[::-1]
        for row in snapshots
    }
    context = {
        "heat": heat_map(matrix=area.matrix if area and area.matrix else None, area=area),
        "areas": Area.objects.all(),
        "area": area,
        "snapshots": [(row, trends.get(row.area_id, [])) for row in snapshots],
        "movers": biggest_movers(),
        "kris": kris_trending_to_red(),
        "acceptances": acceptances_expiring(),
        "overdue": reviews_overdue(),
        "levels": level_counts(),
        "precursors": precursors_open(),
    }
    return render(request, "risks/radar.html", context)


def _contacts_team(request: HttpRequest, team_id: int) -> Team:
    if not request.user.has_perm("risks.view_emergencycontact"):
        raise PermissionDenied
    return get_object_or_404(Team, pk=team_id)


@login_required
def contacts_vcf(request: HttpRequest, team_id: int) -> HttpResponse:
    team = _contacts_team(request, team_id)
    response = HttpResponse(contacts_vcard(team), content_type="text/vcard; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="emergency-contacts-{team.pk}.vcf"'
    return response


@login_required
def contacts_csv_view(request: HttpRequest, team_id: int) -> HttpResponse:
    team = _contacts_team(request, team_id)
    response = HttpResponse(contacts_csv(team), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="emergency-contacts-{team.pk}.csv"'
    return response


@login_required(login_url=reverse_lazy("vigil-login"))
def report_risk(request: HttpRequest) -> HttpResponse:
    """Anyone signed in reports a risk: it lands `identified` for the area's owner to assess (reminded)."""
    from .services import risk_create

    if request.method != "POST":
        return render(request, "risks/report/form.html", {"form": RiskReportForm()})
    form = RiskReportForm(request.POST)
    if not form.is_valid():
        return render(request, "risks/report/form.html", {"form": form}, status=400)
    risk = risk_create(by=acting_user(request), reported=True, **form.cleaned_data)
    return render(request, "risks/report/form.html", {"done": risk})
