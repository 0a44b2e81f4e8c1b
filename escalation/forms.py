"""Forms people fill in outside the admin's model pages."""

import zoneinfo
from functools import cache
from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import UserProfile


@cache
def _zones() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class PreferencesForm(forms.ModelForm):
    """The language Vigil speaks to a person and the zone it shows them times in."""

    language = forms.ChoiceField(
        label=_("language"),
        required=False,
        help_text=_("Empty: the language of your browser."),
    )
    time_zone = forms.ChoiceField(
        label=_("time zone"),
        required=False,
        help_text=_("Times are shown in this zone. Empty: the server's zone (%(zone)s)."),
    )

    class Meta:
        model = UserProfile
        fields = ("language", "time_zone")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["language"]).choices = [("", "-"), *settings.LANGUAGES]
        cast(forms.ChoiceField, self.fields["time_zone"]).choices = [("", "-"), *_zones()]
        self.fields["time_zone"].help_text = self.fields["time_zone"].help_text % {"zone": settings.TIME_ZONE}
