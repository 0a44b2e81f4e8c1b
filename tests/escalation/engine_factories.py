"""Factories for the engine's tables (calendars and on-call are in tests/escalation/factories.py)."""

from datetime import timedelta

import factory

from escalation.models import (
    Channel,
    ContactMethod,
    EscalationLevel,
    EscalationPolicy,
    NotificationRule,
    SlaPolicy,
    StakeholderGroup,
    WebhookSubscription,
)
from tests.incidents.factories import UserFactory


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
    delay = timedelta(0)

    @factory.post_generation
    def users(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create and extracted:
            self.users.add(*extracted)


class SlaPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SlaPolicy

    name = factory.Sequence(lambda n: f"SLA {n}")
    priority = 1
    time_to_acknowledge = timedelta(minutes=15)
    time_to_resolve = timedelta(hours=4)


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
    delay = timedelta(0)


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
    def users(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create and extracted:
            self.users.add(*extracted)
