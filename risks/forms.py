"""The form anyone signed in uses to report a risk (`/report-risk/`)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Area, RiskCategory


class RiskReportForm(forms.Form):
    title = forms.CharField(label=_("What could go wrong?"), max_length=200)
    description = forms.CharField(
        label=_("What have you seen?"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Small signals count: a near miss, a workaround everyone uses, a device nobody checks."),
    )
    area = forms.ModelChoiceField(label=_("Area"), queryset=Area.objects.order_by("name"))
    category = forms.ChoiceField(label=_("Kind of risk"), choices=RiskCategory.choices)
