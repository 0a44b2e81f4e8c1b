"""Filters that show the incidents app's codes in the reader's language, in notifications (see
escalation/templatetags/engine_labels.py for why contexts carry codes)."""

from django import template

from ..models import MajorIncidentFlag

register = template.Library()


@register.filter
def major_flag_label(code: str) -> str:
    """`storm` -> "alert storm", translated; a label passed in already is kept."""
    try:
        return str(MajorIncidentFlag.Kind(code).label)
    except ValueError:
        return code
