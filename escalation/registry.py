"""What the apps above plug into the engine: their subject types, their events and their timer handlers.

Each app registers explicitly from its `AppConfig.ready()` (never as a side effect of an import), and the
system check in `escalation/checks.py` proves, in every process that runs `manage.py check` or starts a
Celery worker, that every pending timer kind and every event named by a rule has what handles it.

This module imports no model, so models can take their choices from it (`event_choices`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise

if TYPE_CHECKING:
    from django.db import models

    from .models import Timer
    from .subjects import SubjectType

TimerHandler = Callable[["Timer", datetime], None]


@dataclass(frozen=True)
class EventType:
    """Something that happens to a subject and that webhooks and the communication plan can hear about.

    `name` is what receivers see (`X-Vigil-Event`, the payload's `event`); `label` is what people read when
    they choose events in a subscription or a communication rule; `app` names who registered it."""

    name: str
    label: str | Promise
    app: str


EventListener = Callable[..., None]

_events: dict[str, EventType] = {}
_listeners: dict[str, list[EventListener]] = {}
_timer_handlers: dict[str, TimerHandler] = {}
_subject_types: dict[str, SubjectType] = {}


def event_register(*, name: str, label: str | Promise, app: str) -> EventType:
    """Declare an event. Registering the same name twice from two apps is a configuration error; the same
    app registering it again (tests reloading apps) replaces it."""
    existing = _events.get(name)
    if existing is not None and existing.app != app:
        raise ImproperlyConfigured(f"event {name!r} is registered by {existing.app} already, not {app}")
    _events[name] = event = EventType(name=name, label=label, app=app)
    return event


def event_type(name: str) -> EventType:
    """The registered event, or ImproperlyConfigured: emitting an event nobody declared is a bug."""
    try:
        return _events[name]
    except KeyError:
        raise ImproperlyConfigured(
            f"event {name!r} is not registered (escalation.registry.event_register)"
        ) from None


def event_types() -> list[EventType]:
    return sorted(_events.values(), key=lambda event: event.name)


def event_choices() -> list[tuple[str, str | Promise]]:
    """(name, label) of every registered event: the choices of communication rules and subscriptions."""
    return [(event.name, event.label) for event in event_types()]


def event_listener_register(name: str, listener: EventListener) -> None:
    """Call `listener(subject=, event=, at=, by=, data=, info=)` whenever `name` is emitted, inside the
    emitting transaction (after the webhook and communication plan rows are written): how an app above
    reacts to another app's events (a post-mortem opened when a major incident resolves, a checklist when an
    incident of a category opens) without either importing the other. A listener that raises rolls the
    cause back with it, so listeners only write rows; anything slow goes to a timer or a task."""
    listeners = _listeners.setdefault(name, [])
    if all(_qualname(existing) != _qualname(listener) for existing in listeners):
        listeners.append(listener)


def event_listeners(name: str) -> list[EventListener]:
    return list(_listeners.get(name, ()))


def timer_handler_register(kind: str, handler: TimerHandler) -> None:
    """What a kind of timer does: `handler(timer, now)`, run inside the sweep's transaction with the timer
    row locked. It must lock whatever else it changes and re-check that the timer still means something."""
    existing = _timer_handlers.get(kind)
    if existing is not None and existing is not handler and _qualname(existing) != _qualname(handler):
        raise ImproperlyConfigured(f"timer kind {kind!r} has a handler already: {_qualname(existing)}")
    _timer_handlers[kind] = handler


def timer_handler_for(kind: str) -> TimerHandler | None:
    return _timer_handlers.get(kind)


def timer_kinds() -> list[str]:
    return sorted(_timer_handlers)


def subject_type_register(subject_type: SubjectType) -> None:
    """Tell the engine how to find, describe, route and render one model's rows (see `SubjectType`)."""
    _subject_types[subject_type.model._meta.label_lower] = subject_type


def subject_type_for(model: type[models.Model] | models.Model | str) -> SubjectType | None:
    label = model if isinstance(model, str) else model._meta.label_lower
    return _subject_types.get(label)


def subject_types() -> list[SubjectType]:
    return [_subject_types[label] for label in sorted(_subject_types)]


def _qualname(function: Callable[..., Any]) -> str:
    return f"{function.__module__}.{function.__qualname__}"
