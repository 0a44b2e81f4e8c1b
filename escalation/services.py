"""What the apps above tell the engine about their subjects. Each `subject_*` function runs in the caller's
transaction (which must hold the subject's row lock) and only writes rows: timers, clocks, escalations, outbox
rows. Delivery starts after that transaction commits. The people-facing writes below them (a contact method's
test, a person's calendar feed) own their transaction."""

import secrets
import uuid
from datetime import datetime

from django.contrib.auth.models import User
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .escalations import escalation_acknowledge, escalation_start, escalation_stop, escalation_switch
from .events import reporting_rules_apply
from .models import (
    ContactMethod,
    Escalation,
    EscalationPolicy,
    EscalationState,
    Notification,
    OnCallFeed,
    SlaClockKind,
)
from .outbox import notification_write
from .selectors import escalation_policy_for
from .sla import (
    sla_clocks_pause,
    sla_clocks_reopen,
    sla_clocks_reprioritise,
    sla_clocks_resume,
    sla_clocks_start,
    sla_clocks_stop,
    sla_policy_of,
)
from .subjects import subject_describe, subject_filter


def subject_engage(*, subject: models.Model, at: datetime, policy: EscalationPolicy | None = None) -> None:
    """A new subject: start its SLA clocks, its escalation (the policy given, else the one its SLA policy
    names, else the default) and the reporting rules that match it."""
    info = subject_describe(subject)
    clocks = sla_clocks_start(subject=subject, at=at, info=info)
    policy = policy or escalation_policy_for(sla_policy=clocks[0].policy if clocks else None)
    if policy is not None:
        escalation_start(subject=subject, policy=policy, at=at, info=info)
    reporting_rules_apply(subject=subject, at=at, info=info)


def subject_acknowledge(*, subject: models.Model, by: User | None, at: datetime) -> None:
    """Someone answered: stop the acknowledge clock and the escalation."""
    sla_clocks_stop(subject=subject, kinds=[SlaClockKind.ACKNOWLEDGE], at=at)
    escalation_acknowledge(subject=subject, by=by, at=at)


def subject_pause(*, subject: models.Model, at: datetime) -> None:
    sla_clocks_pause(subject=subject, at=at)


def subject_resume(*, subject: models.Model, at: datetime) -> None:
    sla_clocks_resume(subject=subject, at=at)


def subject_finish(*, subject: models.Model, at: datetime, cancelled: bool = False) -> None:
    """The subject ended: resolved (clocks met or breached) or cancelled (clocks cancelled); paging stops."""
    sla_clocks_stop(
        subject=subject, kinds=[SlaClockKind.ACKNOWLEDGE, SlaClockKind.RESOLVE], at=at, cancel=cancelled
    )
    escalation_stop(subject=subject, at=at)


def subject_reprioritise(*, subject: models.Model, at: datetime) -> None:
    """Its priority (or service, category) changed: open clocks recompute on the policy now in force (or
    start, if no policy applied before), and an escalation nobody acknowledged yet switches to the policy
    now in force."""
    info = subject_describe(subject)
    sla_clocks_reprioritise(subject=subject, at=at, info=info)
    sla_policy = sla_policy_of(subject=subject, info=info)
    escalation_switch(subject=subject, policy=escalation_policy_for(sla_policy=sla_policy), at=at, info=info)


def subject_reopen(*, subject: models.Model, at: datetime, page: bool = False) -> None:
    """A resolved subject is open again: its resolve clock runs again if it had been met. With `page`, it is
    paged again from the first level of the policy now in force (a fresh escalation; the one that ended with
    the resolution stays in the history): the app must then offer a way to answer that page
    (`subject_acknowledge`) although the subject is past its own acknowledgement."""
    sla_clocks_reopen(subject=subject, at=at)
    if not page:
        return
    info = subject_describe(subject)
    policy = escalation_policy_for(sla_policy=sla_policy_of(subject=subject, info=info))
    if policy is not None and info.is_open:
        escalation_start(subject=subject, policy=policy, at=at, info=info)


def subject_paging(*, subject: models.Model) -> bool:
    """Whether an escalation is paging people about the subject (active, or exhausted and not answered)."""
    return Escalation.objects.filter(
        **subject_filter(subject), state__in=[EscalationState.ACTIVE, EscalationState.EXHAUSTED]
    ).exists()


def contact_method_test(*, method: ContactMethod, by: User) -> Notification:
    """A test message to one contact method (the contact method is its own subject), sent after commit."""
    key = f"test:{method.pk}:{uuid.uuid4().hex}"
    with transaction.atomic():
        notification_write(
            subject=method,
            reason="test",
            channel=method.channel,
            address=method.address,
            idempotency_key=key,
            title=_("Vigil test message"),
            body=_("This is a test message from Vigil to %(label)s, requested by %(user)s.")
            % {"label": method.label or method.get_channel_display(), "user": by.get_username()},
            payload={"event": "test", "contact_method": method.pk},
            recipient=method.user,
            contact_method_id=method.pk,
        )
    return Notification.objects.get(idempotency_key=key)


def oncall_feed_create(*, user: User) -> str:
    """Make (or replace) the person's private on-call calendar feed; answers its URL, which holds the secret
    and is shown only now (only its hash is kept). A replaced URL stops working at once."""
    from .feeds import feed_token_hash, feed_url

    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        OnCallFeed.objects.update_or_create(
            user=user, defaults={"token_hash": feed_token_hash(token), "created_at": timezone.now()}
        )
    return feed_url(token)


def oncall_feed_revoke(*, user: User) -> bool:
    """Revoke the person's feed URL; False when they had none."""
    deleted, _rows = OnCallFeed.objects.filter(user=user).delete()
    return bool(deleted)
