"""How the engine knows about the things it works on, without importing the apps that own them.

A subject is any model row (an incident, a major incident, a KRI breach, an action item). The engine stores
a generic reference to it (content type + object id) and asks the owning app, through an adapter that app
registers at start-up, for what it needs to route and render notifications."""

from dataclasses import dataclass, field
from typing import Any, Protocol

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


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
    # Where the subject is in its own lifecycle, as far as the engine cares (used on a priority change).
    is_open: bool = True
    acknowledged: bool = False
    paused: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class SubjectAdapter(Protocol):
    """What a higher app registers for each of its subject models."""

    def describe(self, obj: Any) -> SubjectInfo: ...


_adapters: dict[str, SubjectAdapter] = {}


def subject_adapter_register(*, model: type[models.Model], adapter: SubjectAdapter) -> None:
    """Called from the owning app's `AppConfig.ready()`; registering again replaces the adapter."""
    _adapters[model._meta.label_lower] = adapter


def subject_describe(obj: models.Model) -> SubjectInfo:
    """The adapter's description, or a plain one (`str(obj)`) when the app registered none."""
    adapter = _adapters.get(obj._meta.label_lower)
    if adapter is None:
        return SubjectInfo(reference=f"{obj._meta.label_lower}:{obj.pk}", title=str(obj))
    return adapter.describe(obj)


def subject_key(obj: models.Model) -> tuple[int, int]:
    """(content type id, object id): how the engine's tables point at a subject."""
    return ContentType.objects.get_for_model(obj).pk, int(obj.pk)


def subject_filter(obj: models.Model, prefix: str = "subject") -> dict[str, int]:
    """Keyword arguments that select the engine's rows about `obj`."""
    type_id, object_id = subject_key(obj)
    return {f"{prefix}_type_id": type_id, f"{prefix}_id": object_id}


def subject_load(*, type_id: int, object_id: int) -> models.Model | None:
    """The subject row, or None when it was deleted since."""
    model = ContentType.objects.get_for_id(type_id).model_class()
    if model is None:
        return None
    return model._default_manager.filter(pk=object_id).first()


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
