"""Which of the engine's rows a user may name in a related field or a filter (`config.permissions`)."""

from django.contrib.auth.models import User
from django.db.models import QuerySet

from config.permissions import visible_register

from .models import ContactMethod


def visible_contact_methods(user: User) -> QuerySet[ContactMethod]:
    """Each user's own; all of them for the holders of the view permission (managers)."""
    if user.has_perm("escalation.view_contactmethod"):
        return ContactMethod.objects.all()
    return ContactMethod.objects.filter(user=user)


def visibility_register() -> None:
    visible_register(ContactMethod, visible_contact_methods)
