"""Filters that show the engine's codes (events, SLA clocks) in the reader's language, in notifications.

Notification contexts carry codes, not labels: a delayed page's context waits in a timer as JSON, and is
rendered when it fires, in its recipient's language (escalation.notify.message_render)."""

from django import template

from ..models import Event, SlaClockKind

register = template.Library()


@register.filter
def event_label(code: str) -> str:
    """`incident.created` -> "incident created", translated; an event without a label shows its code."""
    try:
        return str(Event(code).label)
    except ValueError:
        return code


@register.filter
def sla_clock_label(code: str) -> str:
    """`acknowledge` -> "time to acknowledge", translated; a label passed in already is kept."""
    try:
        return str(SlaClockKind(code).label)
    except ValueError:
        return code
