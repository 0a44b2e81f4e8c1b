"""The public pages: the reporting form (`/declare/`, for anyone signed in) and the status page (`/status/`,
for everyone, with an Atom feed and e-mail subscriptions). Server-rendered, no script needed."""

import math
import time
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.contrib.syndication.views import Feed
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone, translation
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from config.errors import VigilError
from config.permissions import acting_user

from ..models import MajorIncident, MajorIncidentConfiguration, StatusUpdate
from ..models.major_incident import DeclaredVia
from . import comms, services
from .forms import AFFECTED_LABELS, DeclareForm, SubscribeForm
from .selectors import matching_open, public_updates_feed, status_page

LOGIN_URL = reverse_lazy("vigil-login")


def rate_limited(*, scope: str, ident: str, limit: int, window: int) -> float | None:
    """Counts one more use in the current fixed window (Django's cache: Redis when REDIS_URL is set). Returns
    None while within `limit`, else the instant (epoch seconds) the next window opens."""
    start = int(time.time() // window) * window
    key = f"vigil:limit:{scope}:{ident}:{start}"
    cache.add(key, 0, timeout=window + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window + 5)
        count = 1
    return None if count <= limit else float(start + window)


def _too_many(request: HttpRequest, retry_at: float) -> HttpResponse:
    seconds = max(1, math.ceil(retry_at - time.time()))
    response = render(
        request,
        "incidents/declare/too_many.html",
        {
            "retry_at": datetime.fromtimestamp(retry_at, tz=timezone.get_current_timezone()),
            "minutes": math.ceil(seconds / 60),
        },
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response


class PublicLoginView(LoginView):
    """Sign-in for everyone (the admin's sign-in admits staff only), on the public pages' base."""

    template_name = "incidents/declare/login.html"
    redirect_authenticated_user = True


@login_required(login_url=LOGIN_URL)
@require_http_methods(["GET", "POST"])
def declare(request: HttpRequest) -> HttpResponse:
    """The reporting form. A valid report that looks like an ongoing major incident (same service, or a
    similar title) first shows those, to join one or to open a new one anyway; then the declaration, and the
    confirmation page with the reference."""
    can_declare = request.user.has_perm("incidents.add_majorincident")
    if request.method == "GET" or not can_declare:
        form = DeclareForm(initial={"contact": getattr(request.user, "email", "")})
        status = 200 if can_declare else 403
        return render(
            request, "incidents/declare/form.html", {"form": form, "can_declare": can_declare}, status=status
        )
    form = DeclareForm(request.POST)
    if not form.is_valid():
        return render(request, "incidents/declare/form.html", {"form": form, "can_declare": True})
    data = form.cleaned_data
    join_id = request.POST.get("join", "")
    if not join_id and request.POST.get("new") != "1":
        matches = matching_open(
            service_id=data["service"].pk if data["service"] else None, title=data["title"]
        )
        if matches:
            return render(request, "incidents/declare/matches.html", {"form": form, "matches": matches})
    retry_at = rate_limited(
        scope="declare",
        ident=str(request.user.pk),
        limit=settings.VIGIL_DECLARE_LIMIT,
        window=settings.VIGIL_DECLARE_WINDOW_SECONDS,
    )
    if retry_at is not None:
        return _too_many(request, retry_at)
    description = _report_text(data)
    try:
        if join_id:
            services.major_incident_join(
                major_incident_id=int(join_id) if join_id.isdigit() else 0,
                by=acting_user(request),
                title=data["title"],
                description=description,
                service=data["service"],
                contact=data["contact"],
            )
            return HttpResponseRedirect(reverse("declare-done", args=[int(join_id)]) + "?joined=1")
        major_incident = services.major_incident_declare(
            by=acting_user(request),
            title=data["title"],
            summary=description,
            severity=form.severity,
            services=[data["service"]] if data["service"] else None,
            via=DeclaredVia.FORM,
            occurred_at=data["started_at"],
            still_ongoing=data["ongoing"] == "yes",
            reporter_contact=data["contact"],
        )
    except VigilError as error:
        form.add_error(None, error.detail)
        return render(
            request, "incidents/declare/form.html", {"form": form, "can_declare": True}, status=error.status
        )
    return HttpResponseRedirect(reverse("declare-done", args=[major_incident.pk]))


def _report_text(data: dict[str, Any]) -> str:
    lines = [data["details"]] if data["details"] else []
    lines.append(
        _("Affected: %(who)s. Still going on: %(ongoing)s.")
        % {
            "who": dict(AFFECTED_LABELS)[data["affected"]],
            "ongoing": _("yes") if data["ongoing"] == "yes" else _("no"),
        }
    )
    lines.append(_("Reporter's contact: %(contact)s") % {"contact": data["contact"]})
    return "\n\n".join(lines)


def _own(request: HttpRequest) -> Any:
    from .selectors import major_incident_list

    return major_incident_list(user=request.user)


@login_required(login_url=LOGIN_URL)
def declare_done(request: HttpRequest, pk: int) -> HttpResponse:
    """The confirmation: the reference and where it stands (a reporter sees no command data)."""
    major_incident = get_object_or_404(_own(request), pk=pk)
    return render(
        request,
        "incidents/declare/done.html",
        {"major_incident": major_incident, "joined": request.GET.get("joined") == "1"},
    )


@login_required(login_url=LOGIN_URL)
def declare_mine(request: HttpRequest) -> HttpResponse:
    """The person's own declarations and their state."""
    from .common import own_declarations

    mine = (
        MajorIncident.objects.filter(own_declarations(acting_user(request)))
        .distinct()
        .order_by("-declared_at")[:100]
    )
    return render(request, "incidents/declare/mine.html", {"major_incidents": mine})


def status(request: HttpRequest) -> HttpResponse:
    """The public status page: services and the public updates of active (and last week's) major incidents."""
    config = MajorIncidentConfiguration.load()
    return render(
        request,
        "incidents/status/page.html",
        {
            **status_page(),
            "config": config,
            "form": SubscribeForm(),
            "subscribed": request.GET.get("subscribed"),
        },
    )


@require_http_methods(["POST"])
def status_subscribe(request: HttpRequest) -> HttpResponse:
    """Asks for e-mail updates: a confirmation mail goes out (double opt-in). Limited per client address."""
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        config = MajorIncidentConfiguration.load()
        context = {**status_page(), "config": config, "form": form}
        return render(request, "incidents/status/page.html", context, status=400)
    retry_at = rate_limited(
        scope="subscribe",
        ident=request.META.get("REMOTE_ADDR", ""),
        limit=settings.VIGIL_SUBSCRIBE_LIMIT,
        window=settings.VIGIL_SUBSCRIBE_WINDOW_SECONDS,
    )
    if retry_at is not None:
        return _too_many(request, retry_at)
    comms.subscription_request(email=form.cleaned_data["email"], language=translation.get_language() or "")
    return HttpResponseRedirect(reverse("status") + "?subscribed=1#subscribe")


def _token_page(request: HttpRequest, token: str, purpose: str) -> HttpResponse:
    """A signed link's page: GET shows one button (mail scanners that open links change nothing), POST acts."""
    subscription = comms.subscription_from_token(token, purpose)
    if subscription is None:
        return render(
            request, "incidents/status/token.html", {"purpose": purpose, "invalid": True}, status=404
        )
    done = False
    if request.method == "POST":
        if purpose == "confirm":
            comms.subscription_confirm(subscription=subscription)
        else:
            comms.subscription_cancel(subscription=subscription)
        done = True
    return render(
        request,
        "incidents/status/token.html",
        {"purpose": purpose, "done": done, "email": subscription.email},
    )


@require_http_methods(["GET", "POST"])
def status_confirm(request: HttpRequest, token: str) -> HttpResponse:
    return _token_page(request, token, "confirm")


# One click from a mail client (RFC 8058 posts here without a session): the signed token is the authority.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def status_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    return _token_page(request, token, "unsubscribe")


class StatusFeed(Feed):
    """The public updates as an Atom feed."""

    feed_type = Atom1Feed

    def title(self) -> str:
        return MajorIncidentConfiguration.load().status_page_title or _("Service status")

    def link(self) -> str:
        return reverse("status")

    def subtitle(self) -> str:
        return _("Public updates on major incidents")

    def items(self) -> Any:
        return public_updates_feed()

    def item_title(self, item: StatusUpdate) -> str:
        return f"{item.major_incident.title} ({item.major_incident.get_state_display()})"

    def item_description(self, item: StatusUpdate) -> str:
        return item.public_message

    def item_link(self, item: StatusUpdate) -> str:
        return reverse("status") + f"#mi-{item.major_incident_id}"

    def item_guid(self, item: StatusUpdate) -> str:
        return f"{settings.VIGIL_BASE_URL.rstrip('/')}/status/updates/{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: StatusUpdate) -> datetime:
        return item.published_at

    def item_updateddate(self, item: StatusUpdate) -> datetime:
        return item.published_at
