"""Factories and helpers for major incidents. Users, teams and services come from tests.incidents.factories."""

from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser

from escalation.models import ContactMethod, EscalationLevel, EscalationPolicy, NotificationRule
from incidents.major.services import major_incident_declare
from incidents.models import MajorIncident, MajorIncidentConfiguration, OutsidePerson
from tests.escalation.factories import RotationFactory, ScheduleFactory
from tests.incidents.factories import TeamFactory, UserFactory

__all__ = ["commander_on_call", "declare", "outside_person"]


def commander_on_call(*, since, users: list[AbstractBaseUser] | None = None) -> dict:
    """A schedule of major-incident commanders (one on call since `since`), a policy that pages the commander
    role at once and the schedule 10 minutes later, and the configuration naming both."""
    commander = (users or [UserFactory(role="agents", username="commander")])[0]
    team = TeamFactory(name="Major incident commanders")
    schedule = ScheduleFactory(name="MI commanders", team=team)
    RotationFactory(schedule=schedule, users=[commander], starts_at=since - timedelta(days=1))
    policy = EscalationPolicy.objects.create(name="Major incident commanders")
    EscalationLevel.objects.create(policy=policy, position=1, subject_roles=["commander"])
    second = EscalationLevel.objects.create(policy=policy, position=2, delay=timedelta(minutes=10))
    second.users.add(commander)
    config = MajorIncidentConfiguration.load()
    config.escalation_policy = policy
    config.commander_schedule = schedule
    config.save()
    return {"commander": commander, "schedule": schedule, "policy": policy, "config": config}


def declare(by: AbstractBaseUser | None = None, **kwargs) -> MajorIncident:
    kwargs.setdefault("title", "Checkout is down")
    kwargs.setdefault("severity", 1)
    return major_incident_declare(by=by, **kwargs)


def outside_person(**kwargs) -> OutsidePerson:
    kwargs.setdefault("name", "Dana Vendor")
    kwargs.setdefault("organisation", "Acme Hosting")
    kwargs.setdefault("email", "dana@acme.example")
    return OutsidePerson.objects.create(**kwargs)


def webhook_contact(user: AbstractBaseUser, url: str) -> ContactMethod:
    """A pager the person is paged on at once, whatever the priority."""
    method = ContactMethod.objects.create(user=user, channel="webhook", address=url, label="pager")
    NotificationRule.objects.create(user=user, contact_method=method, delay=timedelta(0), max_priority=4)
    return method
