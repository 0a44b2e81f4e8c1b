"""Which rows of this app (and which people) a user may see, and so name in a related field or a filter.

Registered with `config.permissions.visible_register` from `IncidentsConfig.ready()`; models without a rule
here follow the default (their view permission). The rules are the ones the lists apply: a reporter names only
their own incidents and declarations, as they list only those."""

from django.contrib.auth.models import User
from django.db.models import QuerySet

from config.permissions import visible_register

from .major.common import own_declarations, sees_all_major_incidents
from .models import Incident, IncidentCategory, MajorIncident, Service
from .selectors import user_sees_all_incidents


def visible_incidents(user: User) -> QuerySet[Incident]:
    if user_sees_all_incidents(user):
        return Incident.objects.all()
    return Incident.objects.filter(reporter=user)


def visible_major_incidents(user: User) -> QuerySet[MajorIncident]:
    if sees_all_major_incidents(user):
        return MajorIncident.objects.all()
    return MajorIncident.objects.filter(own_declarations(user))


def visible_catalogue_services(user: User) -> QuerySet[Service]:
    # The service catalogue is public (the status page lists it): anyone who reports picks from it.
    return Service.objects.all()


def visible_categories(user: User) -> QuerySet[IncidentCategory]:
    return IncidentCategory.objects.all()


def visible_users(user: User) -> QuerySet[User]:
    """The people a user may name (assignee, commander, owner, member): everyone active for those who work
    incidents or manage people; a reporter only themselves."""
    active = User.objects.filter(is_active=True)
    if user.has_perm("auth.view_user") or user_sees_all_incidents(user):
        return active
    return active.filter(pk=user.pk)


def visibility_register() -> None:
    visible_register(Incident, visible_incidents)
    visible_register(MajorIncident, visible_major_incidents)
    visible_register(Service, visible_catalogue_services)
    visible_register(IncidentCategory, visible_categories)
    visible_register(User, visible_users)
