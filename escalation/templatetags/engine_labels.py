"""Filters that show the engine's codes (events, SLA clocks) in the reader's language, in notifications.

Notification contexts carry codes, not labels: a delayed page's context waits in a timer as JSON, and is
rendered when it fires, in its recipient's language (escalation.notify.message_render)."""

from django import template
from django.core.exceptions import ImproperlyConfigured

from ..models import SlaClockKind
from ..registry import event_type

register = template.Library()


@register.filter
def event_label(name: str) -> str:
    """`incident.created` -> "incident created": the registered event's label, translated; an event nobody
    registered shows its name."""
    try:
        return str(event_type(name).label)
    except ImproperlyConfigured:
        return name


@register.filter
def sla_clock_label(code: str) -> str:
    """`acknowledge` -> "time to acknowledge", translated; a label passed in already is kept."""
    try:
        return str(SlaClockKind(code).label)
    except ValueError:
        return code


@register.filter
def seconds_text(seconds: int | None) -> str:
    """3900 -> "1 hour, 5 minutes" in the reader's language (Django's own wording); "" for None."""
    if seconds is None:
        return ""
    from datetime import timedelta

    from django.utils import timezone
    from django.utils.timesince import timesince

    now = timezone.now()
    return timesince(now - timedelta(seconds=abs(int(seconds))), now)
