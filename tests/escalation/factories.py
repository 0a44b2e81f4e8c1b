"""Factories for the escalation app's tables. Users and teams come from tests.incidents.factories (one
definition)."""

import datetime as dt

import factory

from escalation.models import (
    BusinessCalendar,
    Channel,
    ContactMethod,
    EscalationLevel,
    EscalationPolicy,
    Holiday,
    NotificationRule,
    Override,
    Rotation,
    RotationMember,
    Schedule,
    SlaPolicy,
    StakeholderGroup,
    WebhookSubscription,
    WorkingInterval,
)
from tests.incidents.factories import TeamFactory, UserFactory

__all__ = [
    "BusinessCalendarFactory",
    "ContactMethodFactory",
    "EscalationLevelFactory",
    "EscalationPolicyFactory",
    "HolidayFactory",
    "NotificationRuleFactory",
    "OverrideFactory",
    "RotationFactory",
    "RotationMemberFactory",
    "ScheduleFactory",
    "SlaPolicyFactory",
    "StakeholderGroupFactory",
    "TeamFactory",
    "UserFactory",
    "WebhookSubscriptionFactory",
    "WorkingIntervalFactory",
    "office_hours",
]


class BusinessCalendarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BusinessCalendar

    name = factory.Sequence(lambda n: f"Calendar {n}")
    time_zone = "Europe/Paris"


class WorkingIntervalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkingInterval

    calendar = factory.SubFactory(BusinessCalendarFactory)
    weekday = 0
    start = dt.time(9)
    end = dt.time(17)


class HolidayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Holiday

    calendar = factory.SubFactory(BusinessCalendarFactory)
    date = dt.date(2026, 12, 25)
    name = "Christmas"


def office_hours(
    calendar: BusinessCalendar,
    *,
    weekdays: range = range(5),
    spans: tuple[tuple[dt.time, dt.time], ...] = ((dt.time(9), dt.time(12)), (dt.time(13), dt.time(18))),
) -> BusinessCalendar:
    """Give the calendar the same working intervals on each of `weekdays` (default Monday to Friday, 9-12
    and 13-18)."""
    WorkingInterval.objects.bulk_create(
        WorkingInterval(calendar=calendar, weekday=day, start=start, end=end)
        for day in weekdays
        for start, end in spans
    )
    return calendar


class ScheduleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Schedule

    name = factory.Sequence(lambda n: f"Schedule {n}")
    team = factory.SubFactory(TeamFactory)
    time_zone = "Europe/Paris"


class RotationFactory(factory.django.DjangoModelFactory):
    """A weekly rotation handing off on Mondays at 09:00. `users=[a, b]` sets the order."""

    class Meta:
        model = Rotation
        skip_postgeneration_save = True

    schedule = factory.SubFactory(ScheduleFactory)
    name = "primary"
    hand_off = "weekly"
    hand_off_time = dt.time(9)
    hand_off_weekday = 0
    starts_at = dt.datetime(2026, 1, 5, 8, tzinfo=dt.UTC)  # Monday 09:00 in Paris

    @factory.post_generation
    def users(self, create, extracted, **kwargs):
        if create and extracted:
            RotationMember.objects.bulk_create(
                RotationMember(rotation=self, user=user, position=index)
                for index, user in enumerate(extracted)
            )


class RotationMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RotationMember

    rotation = factory.SubFactory(RotationFactory)
    user = factory.SubFactory(UserFactory)
    position = factory.Sequence(lambda n: n)


class OverrideFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Override

    schedule = factory.SubFactory(ScheduleFactory)
    user = factory.SubFactory(UserFactory)
    start = dt.datetime(2026, 1, 7, 12, tzinfo=dt.UTC)
    end = dt.datetime(2026, 1, 8, 12, tzinfo=dt.UTC)


class EscalationPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EscalationPolicy

    name = factory.Sequence(lambda n: f"Policy {n}")


class EscalationLevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EscalationLevel
        skip_postgeneration_save = True

    policy = factory.SubFactory(EscalationPolicyFactory)
    position = factory.Sequence(lambda n: n + 1)
    delay = dt.timedelta(0)

    @factory.post_generation
    def users(self, create, extracted, **kwargs):
        if create and extracted:
            self.users.add(*extracted)


class SlaPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SlaPolicy

    name = factory.Sequence(lambda n: f"SLA {n}")
    priority = 1
    time_to_acknowledge = dt.timedelta(minutes=15)
    time_to_resolve = dt.timedelta(hours=4)


class ContactMethodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactMethod

    user = factory.SubFactory(UserFactory)
    channel = Channel.EMAIL
    address = factory.LazyAttribute(lambda m: m.user.email)


class NotificationRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NotificationRule

    contact_method = factory.SubFactory(ContactMethodFactory)
    user = factory.LazyAttribute(lambda r: r.contact_method.user)
    delay = dt.timedelta(0)


class WebhookSubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookSubscription

    name = factory.Sequence(lambda n: f"CRM {n}")
    url = "http://127.0.0.1:9/hook"
    secret = "s3cret"


class StakeholderGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StakeholderGroup
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Group {n}")
    audience = "management"

    @factory.post_generation
    def users(self, create, extracted, **kwargs):
        if create and extracted:
            self.users.add(*extracted)
