"""The audit log of configuration changes: which models are configuration, and how a change is recorded.

The engine owns the log and names none of the higher apps' models: each app registers its configuration
models with `audit_register` from its `AppConfig.ready()` (the engine registers its own, and Django's groups
and users, whose groups are Vigil's roles). A change is recorded by the code that makes it, in its transaction:

    with audit_change(model=EscalationPolicy, pk=policy.pk, by=user, via=AuditVia.API) as change:
        ...  # the write; for a create, set change.pk once the row exists

`audit_change` locks the row, takes the "before" snapshot, lets the write happen, takes the "after" snapshot
and writes one `AuditEntry` (nothing when nothing changed, nothing when the write raised). The API's
configuration view sets (`AuditedViewSetMixin`) and the admin's configuration pages (`AuditedAdminMixin`) do
this for every registered model; services that change configuration outside them call it themselves."""

import hashlib
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction

from .models import AuditAction, AuditEntry, AuditVia

HIDDEN = "(hidden)"


@dataclass(frozen=True)
class AuditSpec:
    # Fields never written out (secrets, key digests): the log says whether they changed, not what they are.
    secret: frozenset[str] = frozenset()
    # Fields left out altogether (bookkeeping such as last_login).
    exclude: frozenset[str] = frozenset()
    # Reverse relations whose rows are part of the configuration (the levels of a policy).
    children: tuple[str, ...] = ()


_audited: dict[type[models.Model], AuditSpec] = {}
_via: ContextVar[str] = ContextVar("audit_via", default=AuditVia.OTHER)
# The models being recorded by an enclosing audit_change: a service called from an audited admin page or view
# does not record the same change a second time.
_recording: ContextVar[frozenset[type[models.Model]]] = ContextVar("audit_recording", default=frozenset())


def audit_register(
    model: type[models.Model],
    *,
    secret: Iterable[str] = (),
    exclude: Iterable[str] = (),
    children: Iterable[str] = (),
) -> None:
    """Declare `model` configuration: its changes through the API, the admin and the services are audited."""
    _audited[model] = AuditSpec(frozenset(secret), frozenset(exclude), tuple(children))


def audit_registered(model: type[models.Model] | None) -> bool:
    return model in _audited


def audited_models() -> list[type[models.Model]]:
    return list(_audited)


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _fingerprint(value: Any) -> str:
    if value in (None, ""):
        return ""
    return f"{HIDDEN} {hashlib.sha256(str(value).encode()).hexdigest()[:8]}"


def _row(instance: models.Model, spec: AuditSpec, skip: set[str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for model_field in instance._meta.concrete_fields:
        if model_field.name in spec.exclude or model_field.name in skip:
            continue
        value = getattr(instance, model_field.attname)
        data[model_field.name] = _fingerprint(value) if model_field.name in spec.secret else value
    for model_field in instance._meta.many_to_many:
        if model_field.name not in spec.exclude:
            data[model_field.name] = sorted(getattr(instance, model_field.name).values_list("pk", flat=True))
    return data


def audit_snapshot(instance: models.Model) -> dict[str, Any]:
    """The row as the log shows it: its fields (foreign keys as ids), many-to-many ids, and its child rows
    (and theirs: a schedule's rotations with their members)."""
    return _plain(_tree(instance, set()))


def _tree(instance: models.Model, skip: set[str]) -> dict[str, Any]:
    spec = _audited.get(type(instance), AuditSpec())
    data = _row(instance, spec, skip)
    for name in spec.children:
        relation = instance._meta.get_field(name)
        parent_field = relation.field.name  # type: ignore[union-attr]
        data[name] = [_tree(child, {parent_field}) for child in getattr(instance, name).order_by("pk")]
    return data


@dataclass
class AuditChange:
    """What `audit_change` yields: set `pk` when the write creates the row."""

    pk: Any = None
    entry: AuditEntry | None = field(default=None)


def _actor(by: Any) -> Any:
    return None if by is None or isinstance(by, AnonymousUser) or not by.is_authenticated else by


@contextmanager
def audit_via(via: str) -> Iterator[None]:
    """Changes recorded inside are marked as made through `via` (the API, the admin)."""
    token = _via.set(via)
    try:
        yield
    finally:
        _via.reset(token)


@contextmanager
def audit_change(
    *, model: type[models.Model], pk: Any = None, by: Any, via: str | None = None
) -> Iterator[AuditChange]:
    """Record the change the block makes to one row of `model` (see the module's docstring). Opens (or joins)
    the transaction, and locks the row for it, so that the before and after are the block's own."""
    change = AuditChange(pk=pk)
    if not audit_registered(model) or model in _recording.get():
        with transaction.atomic():
            yield change
        return
    manager = model._default_manager
    token = _recording.set(_recording.get() | {model})
    try:
        with transaction.atomic():
            before = None
            if pk is not None:
                current = manager.select_for_update().filter(pk=pk).first()
                before = audit_snapshot(current) if current is not None else None
            yield change
            current = manager.filter(pk=change.pk).first() if change.pk is not None else None
            after = audit_snapshot(current) if current is not None else None
            if before != after:
                change.entry = _entry(model, change.pk, current, before, after, by, via)
    finally:
        _recording.reset(token)


def _entry(
    model: type[models.Model],
    pk: Any,
    current: models.Model | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    by: Any,
    via: str | None,
) -> AuditEntry:
    if before is None:
        action = AuditAction.CREATE
    elif after is None:
        action = AuditAction.DELETE
    else:
        action = AuditAction.UPDATE
    actor = _actor(by)
    return AuditEntry.objects.create(
        actor=actor,
        actor_name=actor.get_username() if actor is not None else "",
        via=via or _via.get(),
        action=action,
        content_type=ContentType.objects.get_for_model(model),
        object_id=str(pk),
        object_repr=str(current if current is not None else _repr(model, before))[:200],
        before=before,
        after=after,
    )


def _repr(model: type[models.Model], snapshot: dict[str, Any] | None) -> str:
    snapshot = snapshot or {}
    for name in ("name", "title", "username", "label"):
        if snapshot.get(name):
            return str(snapshot[name])
    return f"{model._meta.verbose_name} {snapshot.get('id', '')}".strip()
