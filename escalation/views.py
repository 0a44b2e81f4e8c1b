"""People's own settings: the language switch and their preferences page."""

from typing import Literal, cast

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from config.permissions import acting_user

from .forms import PreferencesForm
from .models import UserProfile


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
    context = {**admin.site.each_context(request), "form": form, "title": _("My preferences")}
    return render(request, "escalation/preferences.html", context)
