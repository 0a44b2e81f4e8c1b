"""From "tell these people about this" to outbox rows: rendering, personal rules, stakeholder groups.

Everything here runs in the caller's transaction and only writes rows."""

import contextlib
import hashlib
import json
import zoneinfo
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import timezone, translation

from .actions import action_links
from .models import Channel, ContactMethod, NotificationRule, StakeholderGroup
from .models.stakeholder import plain_address_channel
from .outbox import notification_write
from .subjects import SubjectInfo, subject_record
from .timers import timer_schedule

PAGE_TIMER = "escalation.page"


def message_render(
    *,
    template: str,
    context: dict[str, Any],
    language: str | None = None,
    time_zone: str | None = None,
    subject: models.Model | None = None,
) -> tuple[str, str]:
    """(title, body) from `escalation/notifications/<template>_subject.txt` and `_body.txt`, in the reader's
    language, with times in the reader's zone. A subject type's own version
    (`escalation/notifications/<app>/<model>/<template>_...`) comes first; a template that does not exist falls
    back to `event`."""
    names = [template, "event"]
    if subject is not None:
        names.insert(0, f"{subject._meta.app_label}/{subject._meta.model_name}/{template}")
    try:
        zone = timezone.override(zoneinfo.ZoneInfo(time_zone)) if time_zone else contextlib.nullcontext()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = contextlib.nullcontext()
    with translation.override(language or translation.get_language()), zone:
        for name in names:
            # Both halves from the same name: a type's own subject line never pairs with the general body.
            try:
                title = get_template(f"escalation/notifications/{name}_subject.txt")
                body = get_template(f"escalation/notifications/{name}_body.txt")
            except TemplateDoesNotExist:
                continue
            break
        title_text, body_text = title.render(context), body.render(context)
    return " ".join(title_text.split()), body_text.strip() + "\n"


def _preferences(user: User | None) -> dict[str, str | None]:
    """The reader's language and time zone from their profile (None: the defaults)."""
    profile = getattr(user, "vigil_profile", None) if user is not None else None
    if profile is None:
        return {"language": None, "time_zone": None}
    return {"language": profile.language or None, "time_zone": profile.time_zone or None}


def payload_for(*, subject: models.Model, info: SubjectInfo, reason: str, at: datetime, data: dict) -> dict:
    """The JSON a webhook receives (also kept on every row, for the admin and the API)."""
    return {
        "event": reason,
        "occurred_at": at.isoformat(),
        "subject": {
            "type": subject._meta.label_lower,
            "id": subject.pk,
            "reference": info.reference,
            "title": info.title,
            "priority": info.priority,
            "state": info.state,
            "url": info.url,
        },
        # Through Django's encoder: instants, decimals and ids in `data` become JSON-safe strings.
        "data": json.loads(json.dumps(data, cls=DjangoJSONEncoder)),
    }


def user_channels(*, user: User, priority: int | None) -> list[tuple[ContactMethod | None, timedelta]]:
    """The user's contact methods with their delays, by their notification rules for this priority.

    No rule: every active e-mail contact method at once; no contact method either: the account's e-mail."""
    effective = priority or 1
    rules = (
        NotificationRule.objects.filter(
            user=user, contact_method__is_active=True, max_priority__gte=effective
        )
        .select_related("contact_method")
        .order_by("delay", "id")
    )
    found: list[tuple[ContactMethod | None, timedelta]] = [
        (rule.contact_method, rule.delay) for rule in rules
    ]
    if found:
        return found
    methods = ContactMethod.objects.filter(user=user, is_active=True, channel=Channel.EMAIL)
    found = [(method, timedelta(0)) for method in methods]
    if found or not getattr(user, "email", ""):
        return found
    return [(None, timedelta(0))]


def _key(*parts: Any) -> str:
    raw = ":".join(str(p) for p in parts)
    if len(raw) <= 200:
        return raw
    return raw[:150] + ":" + hashlib.sha256(raw.encode()).hexdigest()[:40]


def notify_user_now(
    *,
    subject: models.Model,
    info: SubjectInfo,
    user: User,
    method: ContactMethod | None,
    reason: str,
    key: str,
    template: str,
    context: dict[str, Any],
    at: datetime,
    deadline_at: datetime | None = None,
    actions: bool = False,
) -> None:
    """One outbox row for one user over one contact method (None: the account's e-mail). A page (`actions`)
    carries the signed links its subject type offers, in the text (`actions` in the templates) and in a
    webhook's payload (`data.actions`, by name)."""
    channel = method.channel if method else Channel.EMAIL
    address = method.address if method else user.email
    links = action_links(subject=subject, user=user, at=at) if actions else []
    data = context.get("data", {})
    if links:
        data = {**data, "actions": {link.name: link.url for link in links}}
    full = {**context, "subject": info, "recipient": user, "reason": reason, "actions": links}
    title, body = message_render(template=template, context=full, subject=subject, **_preferences(user))
    notification_write(
        subject=subject,
        reason=reason,
        channel=channel,
        address=address,
        idempotency_key=_key(key, "u", user.pk, "m", method.pk if method else "account"),
        title=title,
        body=body,
        payload=payload_for(subject=subject, info=info, reason=reason, at=at, data=data),
        recipient=user,
        contact_method_id=method.pk if method else None,
        deadline_at=deadline_at,
    )
    subject_record(
        subject,
        what="notified",
        at=at,
        data={
            "reason": reason,
            "user_id": user.pk,
            "username": user.get_username(),
            "channel": channel,
            "level": context.get("level"),
        },
    )


def page_users(
    *,
    subject: models.Model,
    info: SubjectInfo,
    users: list[User],
    reason: str,
    key: str,
    template: str,
    context: dict[str, Any],
    at: datetime,
) -> None:
    """Page people by their personal rules: immediate rules write outbox rows now, delayed ones schedule a
    timer (cancelled when the subject is acknowledged). Every page carries the subject's action links."""
    for user in users:
        for method, delay in user_channels(user=user, priority=info.priority):
            if delay <= timedelta(0):
                notify_user_now(
                    subject=subject,
                    info=info,
                    user=user,
                    method=method,
                    reason=reason,
                    key=key,
                    template=template,
                    context=context,
                    at=at,
                    actions=True,
                )
                continue
            timer_schedule(
                subject=subject,
                kind=PAGE_TIMER,
                due_at=at + delay,
                data={
                    "user_id": user.pk,
                    "method_id": method.pk if method else None,
                    "reason": reason,
                    "key": key,
                    "template": template,
                    "context": json.loads(json.dumps(context, cls=DjangoJSONEncoder)),
                },
            )


def notify_user_at_once(
    *,
    subject: models.Model,
    info: SubjectInfo,
    user: User,
    channel: str,
    reason: str,
    key: str,
    template: str,
    context: dict[str, Any],
    at: datetime,
    deadline_at: datetime | None = None,
) -> None:
    """Tell one person now over their immediate contact methods (only those of `channel` when given): a
    notice, not a page, so rules with a delay are left out."""
    for method, delay in user_channels(user=user, priority=info.priority):
        if delay > timedelta(0) or (channel and method is not None and method.channel != channel):
            continue
        notify_user_now(
            subject=subject,
            info=info,
            user=user,
            method=method,
            reason=reason,
            key=key,
            template=template,
            context=context,
            at=at,
            deadline_at=deadline_at,
        )


def group_recipients(group: StakeholderGroup) -> tuple[list[User], list[str]]:
    users = {u.pk: u for u in group.users.filter(is_active=True)}
    for team in group.teams.all():
        for member in team.members.filter(is_active=True):
            users.setdefault(member.pk, member)
    return list(users.values()), group.address_list()


def notify_group(
    *,
    subject: models.Model,
    info: SubjectInfo,
    group: StakeholderGroup,
    channel: str,
    reason: str,
    key: str,
    template: str,
    context: dict[str, Any],
    at: datetime,
    deadline_at: datetime | None = None,
) -> None:
    """Tell a stakeholder group: users over their immediate contact methods (or only those of `channel`),
    plain addresses as e-mail when they hold an @, else as Apprise URLs. Every row names the group's audience
    (`data.audience`): the subject's page lists what each audience was told."""
    users, addresses = group_recipients(group)
    context = {**context, "data": {**context.get("data", {}), "audience": group.audience}}
    for user in users:
        notify_user_at_once(
            subject=subject,
            info=info,
            user=user,
            channel=channel,
            reason=reason,
            key=key,
            template=template,
            context=context,
            at=at,
            deadline_at=deadline_at,
        )
    full = {**context, "subject": info, "recipient": None, "reason": reason}
    # Plain addresses have no profile: the installation's language and zone, whoever caused the message.
    title, body = message_render(
        template=template,
        context=full,
        subject=subject,
        language=settings.LANGUAGE_CODE,
        time_zone=settings.TIME_ZONE,
    )
    for address in addresses:
        kind = plain_address_channel(address)
        notification_write(
            subject=subject,
            reason=reason,
            channel=kind,
            address=address,
            idempotency_key=_key(key, "a", hashlib.sha256(address.encode()).hexdigest()[:16]),
            title=title,
            body=body,
            payload=payload_for(
                subject=subject, info=info, reason=reason, at=at, data=context.get("data", {})
            ),
            deadline_at=deadline_at,
        )
        subject_record(
            subject, what="notified", at=at, data={"reason": reason, "address": address, "channel": kind}
        )
