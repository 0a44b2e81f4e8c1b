"""Filters the reports pages and the weekly digest share."""

from typing import Any

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration(seconds: Any) -> str:
    """1 d 2 h, 3 h 5 min, 4 min 10 s; an en dash when there is nothing to show."""
    if seconds is None or seconds == "":
        return "\u2013"
    seconds = round(float(seconds))
    days, rest = divmod(seconds, 86400)
    hours_, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return _("%(d)s d %(h)s h") % {"d": days, "h": hours_}
    if hours_:
        return _("%(h)s h %(m)s min") % {"h": hours_, "m": minutes}
    if minutes:
        return _("%(m)s min %(s)s s") % {"m": minutes, "s": secs}
    return _("%(s)s s") % {"s": secs}


@register.filter
def percent(value: Any) -> str:
    if value is None or value == "":
        return "\u2013"
    return f"{float(value):.1f} %"


@register.filter
def trend(current: Any, previous: Any) -> str:
    """The change from the previous period in percent (+12 %, -5 %), or nothing."""
    if current in (None, "") or previous in (None, "", 0):
        return ""
    change = (float(current) - float(previous)) / float(previous) * 100
    return f"{change:+.0f} %"
