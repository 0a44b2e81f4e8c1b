import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from escalation.models import Team
from incidents.models import Incident, Integration, IntegrationKind, Service
from incidents.models.integration import key_generate
from incidents.selectors import priority_for


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    name = factory.Sequence(lambda n: f"service-{n}")
    owning_team = factory.SubFactory(TeamFactory)


class IncidentFactory(factory.django.DjangoModelFactory):
    """A new incident written straight to the table (tests of the lifecycle go through the services)."""

    class Meta:
        model = Incident

    title = factory.Sequence(lambda n: f"Incident {n}")
    impact = 3
    urgency = 3
    priority = factory.LazyAttribute(lambda i: priority_for(impact=i.impact, urgency=i.urgency))
    reported_at = factory.LazyFunction(timezone.now)


class IntegrationFactory(factory.django.DjangoModelFactory):
    """An integration whose plain key the test can use: `IntegrationFactory(key="...")` or the random `.key`."""

    class Meta:
        model = Integration

    name = factory.Sequence(lambda n: f"integration-{n}")
    kind = IntegrationKind.ALERTMANAGER

    @classmethod
    def _create(cls, model_class, *args, key=None, **kwargs):
        key = key or key_generate()
        integration = model_class(*args, **kwargs)
        integration.set_key(key)
        integration.save()
        integration.key = key  # never stored; the tests post with it
        return integration
