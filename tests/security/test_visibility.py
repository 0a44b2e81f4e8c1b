"""One visibility rule per model (config.permissions): a related field or a filter accepts only the rows the
user may see, and a row that is not theirs answers exactly as one that does not exist."""

import importlib
import pkgutil

import pytest
from rest_framework import serializers

from config.serializers import VisibleRelatedField
from escalation.models import ContactMethod
from incidents.models import Incident
from tests.escalation.factories import ContactMethodFactory
from tests.incidents.factories import IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db


def _missing_id(model: type) -> int:
    return (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000


def _same_answer(hidden: object, missing: object, hidden_id: int, missing_id: int) -> None:
    """The answer about a row that is not the user's, with its id replaced, equals the one about no row."""
    assert hidden.status_code == missing.status_code == 400, (hidden.json(), missing.json())
    assert str(hidden.json()).replace(str(hidden_id), "ID") == str(missing.json()).replace(
        str(missing_id), "ID"
    )


def test_a_reporter_cannot_name_an_incident_they_cannot_see_as_parent(api, as_role):
    reporter = as_role("reporters")
    others = IncidentFactory(reporter=UserFactory())
    own = IncidentFactory(reporter=reporter)
    missing = _missing_id(Incident)
    body = {"title": "printer on fire", "impact": 3, "urgency": 3}

    hidden = api.post("/api/v1/incidents/", {**body, "parent": others.pk}, format="json")
    nothing = api.post("/api/v1/incidents/", {**body, "parent": missing}, format="json")
    _same_answer(hidden, nothing, others.pk, missing)
    assert list(hidden.json()) == ["code", "detail", "fields"] or "parent" in str(hidden.json())
    assert not Incident.objects.filter(parent=others).exists()

    created = api.post("/api/v1/incidents/", {**body, "parent": own.pk}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["parent"] == own.pk


def test_the_parent_filter_does_not_tell_which_ids_exist(api, as_role):
    reporter = as_role("reporters")
    others = IncidentFactory(reporter=UserFactory())
    own = IncidentFactory(reporter=reporter)
    IncidentFactory(reporter=reporter, parent=own)
    missing = _missing_id(Incident)

    hidden = api.get(f"/api/v1/incidents/?parent={others.pk}")
    nothing = api.get(f"/api/v1/incidents/?parent={missing}")
    _same_answer(hidden, nothing, others.pk, missing)
    mine = api.get(f"/api/v1/incidents/?parent={own.pk}")
    assert mine.status_code == 200
    assert mine.json()["count"] == 1


def test_an_agent_sees_every_incident_so_names_any_parent(api, as_role):
    as_role("agents")
    others = IncidentFactory(reporter=UserFactory())
    response = api.post(
        "/api/v1/incidents/", {"title": "x", "impact": 3, "urgency": 3, "parent": others.pk}, format="json"
    )
    assert response.status_code == 201, response.json()


def test_a_reporter_names_only_themselves_as_a_person(api, as_role):
    reporter = as_role("reporters")
    someone = UserFactory()
    missing = _missing_id(type(someone))
    body = {"title": "x", "impact": 3, "urgency": 3}
    hidden = api.post("/api/v1/incidents/", {**body, "assignee": someone.pk}, format="json")
    nothing = api.post("/api/v1/incidents/", {**body, "assignee": missing}, format="json")
    _same_answer(hidden, nothing, someone.pk, missing)
    assert api.post("/api/v1/incidents/", {**body, "assignee": reporter.pk}, format="json").status_code == 201


def test_a_reporter_cannot_gather_other_peoples_incidents_into_a_major_incident(api, as_role):
    reporter = as_role("reporters")
    others = IncidentFactory(reporter=UserFactory())
    own = IncidentFactory(reporter=reporter)
    missing = _missing_id(Incident)
    body = {"title": "all down", "severity": 1}
    hidden = api.post("/api/v1/major-incidents/", {**body, "incidents": [others.pk]}, format="json")
    nothing = api.post("/api/v1/major-incidents/", {**body, "incidents": [missing]}, format="json")
    _same_answer(hidden, nothing, others.pk, missing)
    created = api.post("/api/v1/major-incidents/", {**body, "incidents": [own.pk]}, format="json")
    assert created.status_code == 201, created.json()


def test_a_notification_rule_names_only_ones_own_contact_method(api, as_role):
    user = as_role("agents")
    others = ContactMethodFactory(user=UserFactory())
    own = ContactMethodFactory(user=user)
    missing = _missing_id(ContactMethod)
    url = "/api/v1/notification-rules/"
    hidden = api.post(url, {"contact_method": others.pk}, format="json")
    nothing = api.post(url, {"contact_method": missing}, format="json")
    _same_answer(hidden, nothing, others.pk, missing)
    assert api.post(url, {"contact_method": own.pk}, format="json").status_code == 201


def test_a_postmortem_is_opened_only_on_a_visible_incident(api, as_role):
    user = as_role("agents")
    # An agent who lost the right to see incidents (a custom group): the incident is "not found" for them.
    user.groups.clear()
    from django.contrib.auth.models import Permission

    user.user_permissions.add(*Permission.objects.filter(codename__in=["add_postmortem", "view_postmortem"]))
    incident = IncidentFactory()
    missing = _missing_id(Incident)
    hidden = api.post("/api/v1/postmortems/", {"incident": incident.pk}, format="json")
    nothing = api.post("/api/v1/postmortems/", {"incident": missing}, format="json")
    _same_answer(hidden, nothing, incident.pk, missing)


def _api_serializers() -> list[type[serializers.Serializer]]:
    for app in ("escalation", "incidents", "postmortems", "risks"):
        package = importlib.import_module(app)
        for module in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" not in module.name and ".tests" not in module.name:
                importlib.import_module(module.name)
    found, todo = [], [serializers.BaseSerializer]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in ("escalation", "incidents", "postmortems", "risks"):
            found.append(cls)
    return found


def test_every_writable_related_field_checks_visibility() -> None:
    """A new serializer cannot forget the rule: every related field a client can write is a VisibleRelatedField
    (declared, or built by a model serializer through `VisibleRelationsMixin`)."""
    offenders = []
    checked = 0
    for cls in _api_serializers():
        if issubclass(cls, serializers.ListSerializer):
            continue
        try:
            fields = cls().fields
        except (TypeError, AssertionError):
            continue
        for name, field in fields.items():
            relation = field.child_relation if isinstance(field, serializers.ManyRelatedField) else field
            if isinstance(relation, serializers.RelatedField) and not field.read_only:
                checked += 1
                if not isinstance(relation, VisibleRelatedField):
                    offenders.append(f"{cls.__module__}.{cls.__qualname__}.{name}")
    assert checked > 20
    assert not offenders, f"related fields that accept rows the user cannot see: {offenders}"
