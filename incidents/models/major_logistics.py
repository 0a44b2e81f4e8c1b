"""Logistics and finance of a major incident: resource requests, costs and the funds allocated to it."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# ISO 4217 codes of the currencies in use (funds and codes for precious metals and testing left out).
CURRENCIES = frozenset(
    [
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "ANG",
        "AOA",
        "ARS",
        "AUD",
        "AWG",
        "AZN",
        "BAM",
        "BBD",
        "BDT",
        "BGN",
        "BHD",
        "BIF",
        "BMD",
        "BND",
        "BOB",
        "BRL",
        "BSD",
        "BTN",
        "BWP",
        "BYN",
        "BZD",
        "CAD",
        "CDF",
        "CHF",
        "CLP",
        "CNY",
        "COP",
        "CRC",
        "CUP",
        "CVE",
        "CZK",
        "DJF",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "ERN",
        "ETB",
        "EUR",
        "FJD",
        "FKP",
        "GBP",
        "GEL",
        "GHS",
        "GIP",
        "GMD",
        "GNF",
        "GTQ",
        "GYD",
        "HKD",
        "HNL",
        "HTG",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "IQD",
        "IRR",
        "ISK",
        "JMD",
        "JOD",
        "JPY",
        "KES",
        "KGS",
        "KHR",
        "KMF",
        "KPW",
        "KRW",
        "KWD",
        "KYD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "LRD",
        "LSL",
        "LYD",
        "MAD",
        "MDL",
        "MGA",
        "MKD",
        "MMK",
        "MNT",
        "MOP",
        "MRU",
        "MUR",
        "MVR",
        "MWK",
        "MXN",
        "MYR",
        "MZN",
        "NAD",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "OMR",
        "PAB",
        "PEN",
        "PGK",
        "PHP",
        "PKR",
        "PLN",
        "PYG",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "RWF",
        "SAR",
        "SBD",
        "SCR",
        "SDG",
        "SEK",
        "SGD",
        "SHP",
        "SLE",
        "SOS",
        "SRD",
        "SSP",
        "STN",
        "SVC",
        "SYP",
        "SZL",
        "THB",
        "TJS",
        "TMT",
        "TND",
        "TOP",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "UGX",
        "USD",
        "UYU",
        "UZS",
        "VED",
        "VES",
        "VND",
        "VUV",
        "WST",
        "XAF",
        "XCD",
        "XCG",
        "XOF",
        "XPF",
        "YER",
        "ZAR",
        "ZMW",
        "ZWG",
    ]
)


def currency_validate(value: str) -> None:
    if value not in CURRENCIES:
        raise ValidationError(
            _("%(value)s is not an ISO 4217 currency code (EUR, USD, JPY...)."), params={"value": value}
        )


class ResourceRequest(models.Model):
    """Something the response needs (people, equipment, access, outside help): who asked, in which state it
    is, who provided it."""

    class Kind(models.TextChoices):
        PEOPLE = "people", _("people")
        EQUIPMENT = "equipment", _("equipment")
        ACCESS = "access", _("access")
        OUTSIDE_HELP = "outside_help", _("outside help")
        OTHER = "other", _("other")

    class State(models.TextChoices):
        REQUESTED = "requested", _("requested")
        PROVIDED = "provided", _("provided")
        REFUSED = "refused", _("refused")
        CANCELLED = "cancelled", _("cancelled")

    major_incident = models.ForeignKey(
        "incidents.MajorIncident",
        verbose_name=_("major incident"),
        on_delete=models.CASCADE,
        related_name="resource_requests",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    description = models.CharField(_("what is needed"), max_length=500)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.REQUESTED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"))
    provided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("provided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("resource request")
        verbose_name_plural = _("resource requests")
        ordering = ["major_incident", "requested_at", "id"]

    def __str__(self) -> str:
        return self.description


class Cost(models.Model):
    """Money spent on the response (overtime, an outside firm, credits to customers)."""

    class Category(models.TextChoices):
        STAFF = "staff", _("staff time and overtime")
        OUTSIDE_SERVICES = "outside_services", _("outside services")
        EQUIPMENT = "equipment", _("equipment")
        TRAVEL = "travel", _("travel")
        COMPENSATION = "compensation", _("customer compensation and credits")
        PENALTIES = "penalties", _("penalties and fees")
        OTHER = "other", _("other")

    major_incident = models.ForeignKey(
        "incidents.MajorIncident",
        verbose_name=_("major incident"),
        on_delete=models.CASCADE,
        related_name="costs",
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, validators=[currency_validate])
    note = models.CharField(_("note"), max_length=500, blank=True)
    incurred_at = models.DateTimeField(_("incurred at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("cost")
        verbose_name_plural = _("costs")
        ordering = ["major_incident", "incurred_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="cost_amount_not_negative")]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.get_category_display()})"


class FundAllocation(models.Model):
    """Money set aside for the response; costs are reported against it, per currency."""

    major_incident = models.ForeignKey(
        "incidents.MajorIncident",
        verbose_name=_("major incident"),
        on_delete=models.CASCADE,
        related_name="fund_allocations",
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, validators=[currency_validate])
    note = models.CharField(_("note"), max_length=500, blank=True)
    allocated_at = models.DateTimeField(_("allocated at"))
    allocated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("allocated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("allocated funds")
        verbose_name_plural = _("allocated funds")
        ordering = ["major_incident", "allocated_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="fund_amount_not_negative")]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"
