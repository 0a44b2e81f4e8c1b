import factory

from risks.models import KRI, Area, Risk, RiskMatrix, matrix_default
from tests.incidents.factories import UserFactory


class RiskMatrixFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RiskMatrix

    name = factory.Sequence(lambda n: f"matrix-{n}")
    size = 5


class AreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Area

    name = factory.Sequence(lambda n: f"Area {n}")
    owner = factory.SubFactory(UserFactory)


class RiskFactory(factory.django.DjangoModelFactory):
    """A risk written straight to the table (tests of the lifecycle go through the services)."""

    class Meta:
        model = Risk

    title = factory.Sequence(lambda n: f"Risk {n}")
    area = factory.SubFactory(AreaFactory)
    category = "system_failure"
    owner = factory.SubFactory(UserFactory)
    matrix = factory.LazyFunction(matrix_default)
    created_at = factory.LazyFunction(lambda: __import__("django.utils.timezone").utils.timezone.now())


class KRIFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KRI

    name = factory.Sequence(lambda n: f"KRI {n}")
    hysteresis = 2.0
