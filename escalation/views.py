"""People's own settings (the language switch, their preferences page) and the links in their pages."""

from typing import Any, Literal, cast

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language

from config.errors import Conflict, VigilError
from config.permissions import acting_user

from .forms import PreferencesForm
from .models import OnCallFeed, UserProfile


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """The language switch: Django's `set_language` (the cookie, then back to `next`), and for a signed-in
    user their profile too, since the profile's language comes before the cookie (docs/languages.md)."""
    response = set_language(request)
    code = request.POST.get("language", "")
    if request.user.is_authenticated and code in dict(settings.LANGUAGES):
        UserProfile.objects.update_or_create(user=request.user, defaults={"language": code})
    return response


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """A person's own language and time zone, inside the admin's frame."""
    user = acting_user(request)
    profile = UserProfile.objects.filter(user=user).first() or UserProfile(user=user)
    form = PreferencesForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        form.save()
        language = form.cleaned_data["language"]
        # The confirmation is shown on the next page, in the language just chosen.
        with translation.override(language or translation.get_language()):
            messages.success(request, _("Your preferences were saved."))
        response = HttpResponseRedirect(reverse("preferences"))
        if language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite=cast(Literal["Lax", "Strict", "None"], settings.LANGUAGE_COOKIE_SAMESITE),
            )
        return response
    context = {
        **admin.site.each_context(request),
        "form": form,
        "title": _("My preferences"),
        "oncall_feed": OnCallFeed.objects.filter(user=user).first(),
    }
    return render(request, "escalation/preferences.html", context)


@login_required
@require_POST
def preferences_oncall_feed(request: HttpRequest) -> HttpResponse:
    """Make (or replace) or revoke one's on-call calendar address; a new address is shown once."""
    from .services import oncall_feed_create, oncall_feed_revoke

    user = acting_user(request)
    if request.POST.get("action") == "revoke":
        oncall_feed_revoke(user=user)
        messages.success(request, _("Your calendar address was revoked."))
    else:
        url = oncall_feed_create(user=user)
        messages.success(request, _("Your calendar address (shown only now): %(url)s") % {"url": url})
    return HttpResponseRedirect(reverse("preferences") + "#oncall-feed")


def _wants_json(request: HttpRequest) -> bool:
    return request.accepts("application/json") and not request.accepts("text/html")


# The signed token is the credential (no session, no ambient authority a forged request could borrow), and the
# person opens it from a mail or chat client, often with no cookie for this site: no CSRF token to check.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def action_link(request: HttpRequest, token: str) -> HttpResponse:
    """A link from a page: GET shows the subject and one button (it changes nothing, since mail scanners open
    links); POST performs the action through the subject type's service, as the linked person. Errors answer
    a page (or JSON, for a client that asks for it) with their status: 404 not valid, 410 expired, 403 not
    that person, 409 too late (with the state)."""
    from .actions import action_claim, action_perform, action_person, action_subject
    from .subjects import subject_describe

    context: dict[str, Any] = {}
    subject = None
    try:
        claim = action_claim(token, now=timezone.now())
        person = action_person(claim, signed_in=request.user)
        subject = action_subject(claim)
        subject_type = claim.subject_type
        context.update(action=claim.action, action_label=subject_type.actions[claim.action], person=person)
        if request.method == "POST":
            subject = action_perform(claim, by=person)
            context.update(done=True, info=subject_describe(subject))
        else:
            context["info"] = info = subject_describe(subject)
            if not subject_type.action_offered(subject, claim.action):
                raise Conflict(
                    _("%(ref)s is %(state)s: it is too late to %(action)s it.")
                    % {
                        "ref": info.reference,
                        "state": info.extra.get("state_label", info.state),
                        "action": subject_type.actions[claim.action],
                    },
                    state=info.state,
                )
    except VigilError as error:
        if "info" not in context and subject is not None:
            context["info"] = subject_describe(subject)
        if _wants_json(request):
            return JsonResponse(error.as_dict(), status=error.status)
        context.update(error=error.detail, status=error.status, state=error.extra.get("state", ""))
        return render(request, "escalation/action.html", context, status=error.status)
    if _wants_json(request):
        info = context["info"]
        return JsonResponse(
            {"reference": info.reference, "state": info.state, "done": bool(context.get("done"))}
        )
    return render(request, "escalation/action.html", context)


@require_http_methods(["GET", "HEAD"])
def oncall_feed(request: HttpRequest, token: str) -> HttpResponse:
    """A person's private on-call calendar, by the secret in its URL (calendar applications do not sign in).
    An unknown or revoked secret is a plain 404."""
    from .feeds import feed_owner, oncall_calendar

    user = feed_owner(token)
    if user is None:
        raise Http404
    response = HttpResponse(
        oncall_calendar(user=user, now=timezone.now()), content_type="text/calendar; charset=utf-8"
    )
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response
