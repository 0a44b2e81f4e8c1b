"""Managing integrations: create one (its key answered once), change it, rotate its key."""

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import InvalidInput, NotFound, PermissionDenied
from escalation.audit import audit_change

from ..models import Integration
from ..models.integration import key_generate

EDITABLE_FIELDS = (
    "name",
    "kind",
    "service",
    "severity_map",
    "enabled",
    "hmac_secret",
    "storm_rate_per_minute",
    "hard_cap_per_minute",
    "reopen_window_minutes",
    "heartbeat_interval_minutes",
)


def _validate(integration: Integration) -> None:
    """The model's own validation, as a 400 with the fields in error (never a 500 from a direct caller)."""
    try:
        integration.full_clean()
    except ValidationError as error:
        raise InvalidInput(
            _("The integration is not valid."), fields=getattr(error, "message_dict", {"": error.messages})
        ) from None


def _check(by: User | None, permission: str) -> None:
    if by is not None and not by.has_perm(f"incidents.{permission}_integration"):
        raise PermissionDenied(_("Only managers may manage integrations."))


def _unknown(fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput(_("These fields cannot be set: %(f)s.") % {"f": ", ".join(sorted(unknown))})


def _locked(integration_id: int) -> Integration:
    """The integration's row, locked until the caller's transaction ends; NotFound when there is none."""
    integration = Integration.objects.select_for_update().filter(pk=integration_id).first()
    if integration is None:
        raise NotFound(_("Integration %(id)s does not exist.") % {"id": integration_id})
    return integration


def integration_create(*, by: User | None, name: str, kind: str, **fields: Any) -> tuple[Integration, str]:
    """A new integration and its key. The key is returned here and never again: only its digest is stored."""
    _check(by, "add")
    _unknown(fields)
    key = key_generate()
    integration = Integration(name=name, kind=kind, key_rotated_at=timezone.now(), **fields)
    integration.set_key(key)
    _validate(integration)
    with audit_change(model=Integration, by=by) as change:
        integration.save()
        change.pk = integration.pk
    return integration, key


def integration_update(*, integration_id: int, by: User | None, changes: dict[str, Any]) -> Integration:
    """Changes settings. A new heartbeat interval moves the next check-in due from the last one."""
    _check(by, "change")
    _unknown(changes)
    with audit_change(model=Integration, pk=integration_id, by=by):
        integration = _locked(integration_id)
        for name, value in changes.items():
            setattr(integration, name, value)
        if "heartbeat_interval_minutes" in changes:
            from .heartbeats import heartbeat_next_due

            integration.heartbeat_due_at = heartbeat_next_due(integration)
        _validate(integration)
        integration.save()
    return integration


def integration_rotate_key(*, integration_id: int, by: User | None) -> tuple[Integration, str]:
    """A new key for the integration; the old one stops working (in other web processes within
    VIGIL_INTEGRATION_CACHE_SECONDS, see selectors.integration_by_key)."""
    _check(by, "change")
    key = key_generate()
    with audit_change(model=Integration, pk=integration_id, by=by):
        integration = _locked(integration_id)
        integration.set_key(key)
        integration.key_rotated_at = timezone.now()
        integration.save(update_fields=["key_hash", "key_hint", "key_rotated_at"])
    return integration, key
