"""Helpers for changes: people who may approve, a change through the services, moved to a state."""

from datetime import UTC, datetime, timedelta
from typing import Any

from incidents.changes.services import change_create, change_transition
from incidents.models import Change
from tests.incidents.factories import ServiceFactory, TeamFactory, UserFactory

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def new_change(by: Any = None, **kwargs: Any) -> Change:
    kwargs.setdefault("title", "Raise the checkout pool size")
    if "services" not in kwargs:
        kwargs["services"] = [ServiceFactory()]
    kwargs.setdefault("planned_start", T0 + timedelta(days=1))
    kwargs.setdefault("planned_end", T0 + timedelta(days=1, hours=1))
    return change_create(by=by, **kwargs)


def agent(**kwargs: Any) -> Any:
    return UserFactory(role="agents", **kwargs)


def manager(**kwargs: Any) -> Any:
    return UserFactory(role="managers", **kwargs)


def go(change: Change, name: str, by: Any = None, **params: Any) -> Change:
    return change_transition(change_id=change.pk, name=name, by=by, **params)


def approved(change: Change, approvers: list[Any] | None = None) -> Change:
    """Submitted and approved by enough people for a low or medium risk (one agent by default)."""
    change = go(change, "submit")
    for person in approvers or [agent()]:
        change = go(change, "approve", by=person)
    return change


__all__ = ["T0", "TeamFactory", "agent", "approved", "go", "manager", "new_change"]
