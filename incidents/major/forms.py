"""The major-incident reporting form (`/declare/`) and the status page's subscription form."""

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import Service, Severity

AFFECTED_LABELS = [
    ("everyone", _("Everyone")),
    ("many", _("Many people or a whole site")),
    ("some", _("Some people")),
]
AFFECTED_SEVERITY = {"everyone": Severity.SEV1, "many": Severity.SEV2, "some": Severity.SEV3}


class DescribedFieldsMixin:
    """Ties each field's help and error text to its input (`aria-describedby`) and marks invalid inputs
    (`aria-invalid`), so that a screen reader reads why a field was refused when it reaches it."""

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        for name, field in self.fields.items():  # type: ignore[attr-defined]
            bound = self[name]  # type: ignore[index]
            ids = [f"{bound.auto_id}_helptext"] if field.help_text else []
            if name in self.errors:  # type: ignore[attr-defined]
                ids.append(f"{bound.auto_id}_error")
                field.widget.attrs["aria-invalid"] = "true"
            if ids:
                field.widget.attrs["aria-describedby"] = " ".join(ids)


class DeclareForm(DescribedFieldsMixin, forms.Form):
    """What a person can tell in under a minute: what, which service, since when, who is affected, how to
    reach them, whether it is still going on. Only the first and the last two are required."""

    title = forms.CharField(
        label=_("What is happening?"),
        max_length=200,
        help_text=_("One sentence, for example: nobody can pay at the checkout."),
    )
    service = forms.ModelChoiceField(
        label=_("Which service?"),
        queryset=Service.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label=_("I don't know"),
    )
    started_at = forms.DateTimeField(
        label=_("Since when?"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave empty if it started just now."),
    )
    affected = forms.ChoiceField(
        label=_("Who is affected?"),
        choices=AFFECTED_LABELS,
        widget=forms.RadioSelect,
        initial="many",
    )
    ongoing = forms.ChoiceField(
        label=_("Is it still going on?"),
        choices=[("yes", _("Yes")), ("no", _("No, it has stopped"))],
        widget=forms.RadioSelect,
        initial="yes",
    )
    contact = forms.CharField(
        label=_("How can the commander reach you?"),
        max_length=200,
        help_text=_("A phone number or an address."),
    )
    details = forms.CharField(
        label=_("Anything else?"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean_started_at(self) -> Any:
        started = self.cleaned_data.get("started_at")
        # A little slack for clocks that run ahead.
        if started is not None and started > timezone.now() + timedelta(minutes=5):
            raise forms.ValidationError(_("This is in the future: give the time it started."))
        return started

    @property
    def severity(self) -> int:
        return AFFECTED_SEVERITY.get(self.cleaned_data.get("affected", ""), Severity.SEV2)


class SubscribeForm(DescribedFieldsMixin, forms.Form):
    email = forms.EmailField(label=_("Your e-mail address"), max_length=254)
