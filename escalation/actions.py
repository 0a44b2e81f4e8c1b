"""Acting from the message: every page carries signed links that let the paged person act on its subject
(acknowledge it, resolve it) without signing in.

The engine names no app: a subject type declares the actions it offers (`SubjectType.actions`) and performs
them through its own services (`SubjectType.action_perform`, the same service as the admin's button). The
engine signs a token of (subject type, id, person, action, expiry) with `django.core.signing` under its own
salt, so a link cannot be turned into another action, another subject or another person without breaking the
signature. Opening a link changes nothing (mail scanners open links): the page shows one button that posts.

A link may be used more than once while it lasts; once its action has taken effect the subject's state
refuses it (409), which is what "too late" means to the person holding it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from config.errors import NotFound, PermissionDenied, VigilError

from .registry import subject_type_for
from .subjects import SubjectType

if TYPE_CHECKING:
    from django.utils.functional import Promise

ACTION_SALT = "escalation.action-link"


class LinkExpired(VigilError):
    code = "link_expired"
    status = 410
    default_detail = _("This link has expired. Open the incident in Vigil to act on it.")


@dataclass(frozen=True)
class ActionLink:
    """One link in a message: what it does (`name`, `label`) and where it goes."""

    name: str
    label: str | Promise
    url: str


@dataclass(frozen=True)
class ActionClaim:
    """What a valid token says: who may do what to which subject, until when."""

    model_label: str
    subject_id: int
    user_id: int
    action: str
    expires_at: datetime

    @property
    def subject_type(self) -> SubjectType:
        subject_type = subject_type_for(self.model_label)
        if subject_type is None or self.action not in subject_type.actions:
            raise NotFound(_("This link is not valid."))
        return subject_type


def action_token(*, subject: models.Model, user: User, action: str, expires_at: datetime) -> str:
    """The signed token of one link."""
    return signing.dumps(
        [subject._meta.label_lower, subject.pk, user.pk, action, int(expires_at.timestamp())],
        salt=ACTION_SALT,
        compress=True,
    )


def action_url(token: str) -> str:
    return settings.VIGIL_BASE_URL.rstrip("/") + reverse("action_link", args=[token])


def action_links(*, subject: models.Model, user: User, at: datetime) -> list[ActionLink]:
    """The links a page to `user` about `subject` carries: one per action its subject type offers, each
    lasting `VIGIL_ACTION_LINK_MAX_AGE` seconds from `at`. None for a type that offers no action."""
    subject_type = subject_type_for(subject)
    if subject_type is None or not subject_type.actions:
        return []
    expires_at = at + timedelta(seconds=settings.VIGIL_ACTION_LINK_MAX_AGE)
    return [
        ActionLink(
            name=name,
            label=label,
            url=action_url(action_token(subject=subject, user=user, action=name, expires_at=expires_at)),
        )
        for name, label in subject_type.actions.items()
    ]


def action_claim(token: str, *, now: datetime) -> ActionClaim:
    """What a token says, or NotFound (altered, not ours) or LinkExpired (410)."""
    try:
        label, subject_id, user_id, action, expires = signing.loads(token, salt=ACTION_SALT)
        claim = ActionClaim(
            model_label=str(label),
            subject_id=int(subject_id),
            user_id=int(user_id),
            action=str(action),
            expires_at=datetime.fromtimestamp(int(expires), tz=UTC),
        )
    except (signing.BadSignature, ValueError, TypeError):
        raise NotFound(_("This link is not valid.")) from None
    if now >= claim.expires_at:
        raise LinkExpired()
    return claim


def action_person(claim: ActionClaim, *, signed_in: Any = None) -> User:
    """The person the link was sent to: still active, and the one signed in if anyone is (a forwarded link
    opened in a colleague's browser acts for nobody)."""
    user = User.objects.filter(pk=claim.user_id, is_active=True).first()
    if user is None:
        raise PermissionDenied(_("This link was sent to an account that can no longer act."))
    if signed_in is not None and getattr(signed_in, "is_authenticated", False) and signed_in.pk != user.pk:
        raise PermissionDenied(
            _("This link was sent to %(person)s; you are signed in as someone else.")
            % {"person": user.get_username()}
        )
    return user


def action_subject(claim: ActionClaim) -> models.Model:
    """The subject the link is about (NotFound when it was deleted since)."""
    subject = claim.subject_type.find(claim.subject_id)
    if subject is None:
        raise NotFound(_("This link is not valid."))
    return subject


def action_perform(claim: ActionClaim, *, by: User) -> models.Model:
    """Do what the link says, through the subject type's own service (its transaction, row lock, permission
    check and timeline). Raises what that service raises: 409 when it is too late, 403 without permission."""
    return claim.subject_type.action_perform(claim.subject_id, action=claim.action, by=by)
