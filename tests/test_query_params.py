"""Unknown query parameters on list endpoints answer 400 naming them (config/filters.py), on every list
endpoint of every app; and the engine's lists select rows about one subject (`?incident=`)."""

from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.generics import GenericAPIView
from rest_framework.mixins import ListModelMixin, RetrieveModelMixin
from rest_framework.views import APIView
from rest_framework.viewsets import ViewSetMixin

from config.filters import DeclaredQueryParams, StrictQueryParams
from escalation.models import Escalation, Notification
from tests.incidents.factories import IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db


def _walk(patterns: list[Any], prefix: str = "") -> list[tuple[str, Any]]:
    found = []
    for pattern in patterns:
        text = prefix + str(pattern.pattern).lstrip("^").rstrip("$")
        if isinstance(pattern, URLResolver):
            found += _walk(pattern.url_patterns, text)
        elif isinstance(pattern, URLPattern):
            found.append((text, pattern.callback))
    return found


def list_endpoints() -> list[tuple[str, Any]]:
    """Every list endpoint of the API without a parameter in its path, with its view class."""
    endpoints = {}
    for path, callback in _walk(get_resolver().url_patterns):
        cls = getattr(callback, "cls", None)
        if cls is None or not path.startswith("api/v1/") or "(?P" in path or "<" in path or "\\." in path:
            continue
        actions = getattr(callback, "actions", None)
        is_list = (
            actions.get("get") == "list"
            if actions is not None
            else issubclass(cls, ListModelMixin) and not issubclass(cls, RetrieveModelMixin)
        )
        if is_list:
            endpoints["/" + path] = cls
    return sorted(endpoints.items())


def test_there_are_list_endpoints_in_every_app():
    modules = {cls.__module__.split(".")[0] for _path, cls in list_endpoints()}
    assert {"escalation", "incidents", "postmortems"} <= modules


@pytest.mark.parametrize(("path", "cls"), list_endpoints(), ids=[p for p, _c in list_endpoints()])
def test_every_list_endpoint_refuses_unknown_parameters(api, path, cls):
    assert StrictQueryParams in cls.filter_backends, f"{cls.__name__}: put STRICT_LIST_BACKENDS first"
    api.force_authenticate(UserFactory(is_superuser=True, is_staff=True))
    answer = api.get(path, {"page": 1, "page_size": 5, "format": "json", "no_such_filter": "x", "zz": "1"})
    assert answer.status_code == 400, path
    body = answer.json()
    assert body["code"] == "unknown_query_parameters"
    assert body["parameters"] == ["no_such_filter", "zz"]
    assert "no_such_filter" in body["detail"]
    assert {"page", "page_size", "format"} <= set(body["allowed"])
    assert api.get(path, {"page": 1, "page_size": 5, "format": "json"}).status_code == 200, path


def own_get_views() -> list[tuple[str, Any]]:
    """Every API route answered by an `APIView` of ours that writes its own GET (not a view set, not a
    generic list, whose filter backends check the parameters)."""
    views = {}
    for path, callback in _walk(get_resolver().url_patterns):
        cls = getattr(callback, "cls", None)
        if cls is None or not path.startswith("api/v1/") or not issubclass(cls, APIView):
            continue
        if issubclass(cls, ViewSetMixin) or (
            issubclass(cls, GenericAPIView) and issubclass(cls, ListModelMixin)
        ):
            continue
        if hasattr(cls, "get"):
            views["/" + path] = cls
    return sorted(views.items())


def test_every_own_get_view_declares_its_query_parameters():
    views = own_get_views()
    # The walk finds them: a few whose GET is their own, from three apps.
    assert {"/api/v1/metrics/summary/", "/api/v1/oncall-feed/", "/api/v1/risk-radar/"} <= dict(views).keys()
    undeclared = [f"{path} {cls.__name__}" for path, cls in views if not issubclass(cls, DeclaredQueryParams)]
    assert undeclared == [], "mix in config.filters.DeclaredQueryParams and name what GET reads"


@pytest.mark.parametrize(
    ("path", "known"),
    [
        ("/api/v1/metrics/summary/", {"since": "2026-01-01", "group_by": "priority"}),
        ("/api/v1/metrics/timeseries/", {"interval": "week", "team": ""}),
        ("/api/v1/oncall-feed/", {}),
        ("/api/v1/risk-radar/", {}),
        ("/api/v1/problems/known-errors/", {"q": "disk"}),
        ("/api/v1/changes/calendar/", {"since": "2026-01-01T00:00:00Z", "until": "2026-02-01T00:00:00Z"}),
        ("/api/v1/incidents/{incident}/similar/", {}),
    ],
)
def test_own_get_views_refuse_unknown_parameters(api, path, known):
    api.force_authenticate(UserFactory(is_superuser=True, is_staff=True))
    path = path.format(incident=IncidentFactory().pk)
    answer = api.get(path, {**known, "zz": "1"})
    assert answer.status_code == 400, (path, answer.content)
    assert (answer.json()["code"], answer.json()["parameters"]) == ("unknown_query_parameters", ["zz"])
    assert api.get(path, {**known, "format": "json"}).status_code == 200, path


def test_filters_ordering_and_search_are_known(api, as_role):
    as_role("agents")
    for params in ({"search": "x"}, {"ordering": "-reported_at"}, {"state": "new"}, {"reported_after": ""}):
        assert api.get("/api/v1/incidents/", params).status_code == 200, params
    assert api.get("/api/v1/incidents/", {"serach": "x"}).json()["parameters"] == ["serach"]


def test_detail_endpoints_are_left_alone(api, as_role):
    as_role("agents")
    incident = IncidentFactory()
    assert api.get(f"/api/v1/incidents/{incident.pk}/", {"whatever": 1}).status_code == 200


def test_nested_lists_refuse_unknown_parameters_too(api, as_role):
    as_role("agents")
    incident = IncidentFactory()
    assert api.get(f"/api/v1/incidents/{incident.pk}/timeline/", {"kind": "x"}).status_code == 400


@pytest.mark.parametrize("path", ["/api/v1/escalations/", "/api/v1/notifications/"])
def test_the_engine_lists_filter_by_incident(api, path):
    from django.contrib.contenttypes.models import ContentType

    from incidents.models import Incident

    mine, other = IncidentFactory(), IncidentFactory()
    incident_type = ContentType.objects.get_for_model(Incident)
    model = Escalation if "escalations" in path else Notification
    rows = {}
    for incident in (mine, other):
        rows[incident.pk] = _engine_row(model, incident_type, incident.pk)
    # A row about another subject type with the same id must not be taken for the incident's.
    _engine_row(model, ContentType.objects.get_for_model(Escalation), mine.pk)
    api.force_authenticate(UserFactory(is_superuser=True, is_staff=True))

    def ids(params: dict[str, Any]) -> list[int]:
        answer = api.get(path, params)
        assert answer.status_code == 200, answer.json()
        return [row["id"] for row in answer.json()["results"]]

    assert ids({"incident": mine.pk}) == [rows[mine.pk].pk]
    assert ids({"subject_type": "incidents.incident", "subject_id": other.pk}) == [rows[other.pk].pk]
    assert len(ids({})) == 3
    assert api.get(path, {"incident": "abc"}).status_code == 400


def _engine_row(model: Any, subject_type: Any, subject_id: int) -> Any:
    from django.utils import timezone

    if model is Notification:
        return Notification.objects.create(
            subject_type=subject_type,
            subject_id=subject_id,
            reason="test",
            channel="email",
            address="a@example.org",
            idempotency_key=f"t:{subject_type.pk}:{subject_id}",
            title="t",
            body="b",
            created_at=timezone.now(),
            next_attempt_at=timezone.now(),
        )
    return Escalation.objects.create(
        subject_type=subject_type, subject_id=subject_id, started_at=timezone.now(), snapshot={}
    )


def test_the_subject_filters_are_in_the_schema(api):
    api.force_authenticate(UserFactory(is_superuser=True, is_staff=True))
    schema = api.get("/api/schema/", {"format": "json"}).json()
    for path in ("/api/v1/escalations/", "/api/v1/notifications/"):
        names = {p["name"] for p in schema["paths"][path]["get"]["parameters"]}
        assert {"incident", "major_incident", "subject_type", "subject_id"} <= names, path


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/problems/known-errors/", {"q": "x"}),
        ("/api/v1/problems/recurring/", {"window_days": 7}),
        ("/api/v1/changes/calendar/", {"since": "2026-03-01T00:00:00Z", "until": "2026-03-02T00:00:00Z"}),
    ],
)
def test_lists_that_read_their_own_parameters_refuse_unknown_ones(api, path, params):
    api.force_authenticate(UserFactory(is_superuser=True, is_staff=True))
    assert api.get(path, params).status_code == 200, path
    answer = api.get(path, {**params, "qq": "1"})
    assert answer.status_code == 400
    assert answer.json()["parameters"] == ["qq"]


@pytest.mark.parametrize(
    ("path", "after", "before"),
    [
        ("/api/v1/incidents/", "reported_after", "reported_before"),
        ("/api/v1/major-incidents/", "declared_after", "declared_before"),
        ("/api/v1/problems/", "opened_after", "opened_before"),
        ("/api/v1/changes/", "starts_after", "starts_before"),
        ("/api/v1/audit-log/", "since", "until"),
    ],
)
def test_date_filters_take_any_offset_python_takes(api, path, after, before):
    # PostgreSQL refuses offsets beyond +-15:59 and dates outside its calendar; the filters compare in UTC.
    api.force_authenticate(UserFactory(is_superuser=True, is_staff=True))
    for params in (
        {after: "2026-03-01T00:00:00+20:00"},
        {before: "2026-03-01T00:00:00-23:59"},
        {after: "0001-01-01T00:00:00+01:00"},
        {before: "9999-12-31T23:59:59-01:00"},
    ):
        answer = api.get(path, params)
        assert answer.status_code == 200, (path, params, answer.content[:300])
    assert api.get(path, {after: "not a date"}).status_code == 400
