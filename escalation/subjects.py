"""How the engine knows about the things it works on, without importing the apps that own them.

A subject is any model row (an incident, a major incident, a KRI, an action item). The engine stores a generic
reference to it (content type + object id) and asks the owning app, through the `SubjectType` that app
registers from its `AppConfig.ready()` (`escalation.registry.subject_type_register`), how to find it, who is
involved in it, where it is in its lifecycle and how to render a notification about it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from .registry import subject_type_for

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.utils.functional import Promise


@dataclass(frozen=True)
class SubjectInfo:
    """What the engine needs to know about a subject to route and render notifications."""

    reference: str
    title: str
    priority: int | None = None
    url: str = ""
    state: str = ""
    team_id: int | None = None
    owner_team_id: int | None = None
    service_id: int | None = None
    category_id: int | None = None
    # Where the subject is in its own lifecycle, as far as the engine cares (used on a priority change, and by
    # reminders, which stop once the subject is no longer open).
    is_open: bool = True
    acknowledged: bool = False
    paused: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class SubjectType:
    """What an app tells the engine about one of its models. Subclass it, set `model`, implement `describe`,
    and register an instance from the app's `AppConfig.ready()`:

        class IncidentSubject(SubjectType):
            model = Incident
            roles = {"assignee": _("assignee")}

            def describe(self, obj): return SubjectInfo(reference=obj.reference, title=obj.title, ...)

            def people(self, obj, role): return [obj.assignee] if role == "assignee" and obj.assignee else []

        subject_type_register(IncidentSubject())

    Everything else (SLA clocks, escalation, reminders, the communication plan, reporting rules, outbound
    webhooks, the outbox) then works for its rows unchanged."""

    model: type[models.Model]
    # Roles a person can hold on a subject of this type, by name: escalation levels and reminders name them
    # and `people` answers who holds them. "owner" and "owner_manager" are the usual ones.
    roles: ClassVar[dict[str, str | Promise]] = {}
    # What a paged person may do from the message itself, by name (each page carries one signed link per
    # action: escalation/actions.py); the type performs them in `action_perform`. None by default.
    actions: ClassVar[dict[str, str | Promise]] = {}

    def describe(self, obj: Any) -> SubjectInfo:
        """Reference, title, priority, link, team, service, and where it is in its lifecycle."""
        raise NotImplementedError

    def find(self, pk: int, *, lock: bool = False) -> models.Model | None:
        """The row, or None when it was deleted since; locked for the caller's transaction when `lock`."""
        queryset = self.model._default_manager.all()
        if lock:
            queryset = queryset.select_for_update()
        return queryset.filter(pk=pk).first()

    def people(self, obj: Any, role: str) -> list[User]:
        """Who holds `role` on this subject now (active accounts only); [] for a role it does not know."""
        return []

    def record(self, obj: Any, *, what: str, at: datetime, data: dict[str, Any]) -> None:
        """The engine did something about the subject: `what` is `escalated` (a level fired: `level`, `cycle`,
        `policy`, `users`), `notified` (one message to one person or address: `reason` (`page` for a page,
        with its `level`; `sla.warning`, `sla.breach`, `comms:<event>`, `report`, reminders), `user_id` and
        `username` or `address`, `channel`), `acknowledged` (paging stopped: `by`, `by_id`, `level`,
        `policy`). Runs in the engine's transaction with the subject locked by the caller or the sweep; apps
        write their own history here (the incident timeline). The default keeps nothing."""

    def action_offered(self, obj: Any, action: str) -> bool:
        """Whether `action` can still be taken on the subject now (the link's page says so before the button
        is pressed; the service decides when it is)."""
        return self.describe(obj).is_open

    def action_perform(self, pk: int, *, action: str, by: User) -> models.Model:
        """Do `action` on the subject `pk` as `by`, through the app's own service (the one the admin's button
        calls): its transaction, lock, permission check and history. Raise `config.errors` errors (409 when
        it is too late)."""
        raise NotImplementedError

    def still_due(self, obj: Any, *, kind: str, data: dict[str, Any]) -> bool:
        """Whether a reminder (`kind` is its key) still applies when it fires: by default while the subject is
        open. The app cancels reminders when their reason goes away; this re-check covers a cancel that lost
        the race with the sweep."""
        return self.describe(obj).is_open


class PlainSubject(SubjectType):
    """For rows whose app registered nothing: described by `str(obj)`."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model

    def describe(self, obj: Any) -> SubjectInfo:
        return SubjectInfo(reference=f"{obj._meta.label_lower}:{obj.pk}", title=str(obj))


class ContactMethodSubject(PlainSubject):
    """The engine's own subject: a test message is about the contact method it tests; its owner is its user."""

    roles = {"owner": _("owner")}

    def people(self, obj: Any, role: str) -> list[User]:
        return [obj.user] if role == "owner" else []


def subject_type_of(obj: models.Model | type[models.Model]) -> SubjectType:
    """The registered subject type of a row or model, or a plain one."""
    model = obj if isinstance(obj, type) else type(obj)
    return subject_type_for(model) or PlainSubject(model)


def subject_describe(obj: models.Model) -> SubjectInfo:
    """The subject type's description of a row."""
    return subject_type_of(obj).describe(obj)


def subject_people(obj: models.Model, roles: list[str] | tuple[str, ...]) -> list[User]:
    """Who holds any of these roles on the subject, each person once, in the order the roles are given."""
    subject_type = subject_type_of(obj)
    found: dict[Any, User] = {}
    for role in roles:
        for user in subject_type.people(obj, role):
            if user is not None and user.is_active:
                found.setdefault(user.pk, user)
    return list(found.values())


def subject_record(obj: models.Model, *, what: str, at: datetime, data: dict[str, Any]) -> None:
    """Tell the subject's app what the engine just did about it (see `SubjectType.record`)."""
    subject_type_of(obj).record(obj, what=what, at=at, data=data)


def subject_key(obj: models.Model) -> tuple[int, int]:
    """(content type id, object id): how the engine's tables point at a subject."""
    return ContentType.objects.get_for_model(obj).pk, int(obj.pk)


def subject_filter(obj: models.Model, prefix: str = "subject") -> dict[str, int]:
    """Keyword arguments that select the engine's rows about `obj`."""
    type_id, object_id = subject_key(obj)
    return {f"{prefix}_type_id": type_id, f"{prefix}_id": object_id}


def subject_load(*, type_id: int, object_id: int, lock: bool = False) -> models.Model | None:
    """The subject row, or None when it was deleted since (or its model is gone)."""
    model = ContentType.objects.get_for_id(type_id).model_class()
    if model is None:
        return None
    return subject_type_of(model).find(object_id, lock=lock)


def subject_role_choices() -> list[tuple[str, str | Promise]]:
    """Every role some registered subject type knows, for the admin's and the API's choices."""
    from .registry import subject_types

    found: dict[str, str | Promise] = {}
    for subject_type in subject_types():
        for name, label in subject_type.roles.items():
            found.setdefault(name, label)
    return sorted(found.items())


class SubjectMixin(models.Model):
    """The generic reference to a subject; no foreign key, so the engine never depends on the subject's app."""

    subject_type = models.ForeignKey(
        ContentType, verbose_name=_("subject type"), on_delete=models.CASCADE, related_name="+"
    )
    subject_id = models.PositiveBigIntegerField(_("subject id"))

    class Meta:
        abstract = True

    @property
    def subject(self) -> models.Model | None:
        return subject_load(type_id=self.subject_type_id, object_id=self.subject_id)
