"""Communicating: structured status updates to the plan's audiences and the public, the cadence the
communication plan sets (reminders to the communications lead, then the commander), escalation beyond the
team, and the status page's e-mail subscribers."""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from config.errors import InvalidInput
from escalation.events import event_emit
from escalation.models import Audience, Channel, Notification, StakeholderGroup, Team
from escalation.notify import notify_group, page_users
from escalation.oncall import team_oncall
from escalation.outbox import notification_write
from escalation.reminders import REMINDER_TIMER, ReminderStep, reminder_schedule
from escalation.selectors import communication_cadence
from escalation.subjects import subject_describe
from escalation.timers import timer_cancel

from ..events import MajorIncidentEvent
from ..models import (
    MajorIncident,
    MajorIncidentConfiguration,
    MajorIncidentLogEntry,
    OutsidePerson,
    StatusSubscription,
    StatusUpdate,
)
from ..models.major_comms import PUBLIC, update_audience_choices
from .common import check_can_see, check_commandable, lock, log, require

UPDATE_EVENT = MajorIncidentEvent.STATUS_UPDATE
SUBSCRIPTION_SALT = "incidents.status-subscription"
CONFIRM_MAX_AGE = timedelta(days=7)


def _reminder_key(audience: str) -> str:
    return f"update:{audience}"


def cadence_schedule(
    major_incident: MajorIncident,
    *,
    audiences: list[str],
    since: datetime,
    promised_at: datetime | None = None,
) -> datetime | None:
    """After an update to `audiences` (or the declaration, for all of them): each audience's next update is due
    within its cadence (the communication plan's `update_interval` for this severity), or at the time the
    last update promised, whichever comes first. The communications lead is reminded when it falls due, the
    commander if it is still missing a few minutes later. Returns the earliest next update due, and keeps it
    on the major incident. The caller holds the major incident's lock."""
    cadence = communication_cadence(event=UPDATE_EVENT, priority=major_incident.severity)
    grace = timedelta(minutes=MajorIncidentConfiguration.load().missed_update_minutes)
    steps = [ReminderStep(timedelta(0), ("communications_lead",)), ReminderStep(grace, ("commander",))]
    targets = set(audiences) & set(cadence)
    if promised_at is not None:
        targets |= {a for a in audiences if a != PUBLIC} or {PUBLIC}
    for audience in sorted(targets):
        candidates = [since + cadence[audience]] if audience in cadence else []
        if promised_at is not None:
            candidates.append(promised_at)
        reminder_schedule(
            subject=major_incident,
            key=_reminder_key(audience),
            due_at=min(candidates),
            steps=steps,
            template="status_update_due",
            context={"audience": dict(update_audience_choices()).get(audience, audience)},
        )
    from escalation.models import Timer, TimerState
    from escalation.subjects import subject_filter

    pending = (
        Timer.objects.filter(**subject_filter(major_incident), kind=REMINDER_TIMER, state=TimerState.PENDING)
        .filter(data__key__startswith="update:", data__step=0)
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )
    major_incident.next_update_at = pending
    MajorIncident.objects.filter(pk=major_incident.pk).update(next_update_at=pending)
    return pending


def cadence_stop(major_incident: MajorIncident) -> None:
    """No more update reminders (resolved or cancelled). The caller holds the lock."""
    timer_cancel(subject=major_incident, kinds=[REMINDER_TIMER], where=None)
    major_incident.next_update_at = None
    MajorIncident.objects.filter(pk=major_incident.pk).update(next_update_at=None)


def _clean_audiences(audiences: Any) -> list[str]:
    known = {value for value, _label in update_audience_choices()}
    if not isinstance(audiences, list | tuple) or not audiences:
        raise InvalidInput(
            _("A status update needs at least one audience."),
            fields={"audiences": [_("Choose at least one audience.")]},
        )
    unknown = [a for a in audiences if a not in known]
    if unknown:
        raise InvalidInput(
            _("Unknown audiences: %(a)s.") % {"a": ", ".join(map(str, unknown))},
            fields={"audiences": [_("Choose among: %(known)s.") % {"known": ", ".join(sorted(known))}]},
        )
    return list(dict.fromkeys(audiences))


def status_update_publish(
    *,
    major_incident_id: int,
    by: User | None,
    status: str,
    audiences: list[str],
    impact: str = "",
    actions: str = "",
    next_update_at: datetime | None = None,
    public_text: str = "",
) -> StatusUpdate:
    """Publish a structured update: each chosen audience hears it through the communication plan (its rules
    for `major_incident.status_update`: channel, template, each reader's language); `public` shows it on the
    status page and mails its confirmed subscribers. The cadence of those audiences starts again."""
    audiences = _clean_audiences(audiences)
    if not status.strip():
        raise InvalidInput(
            _("Say what the status is."), fields={"status": [_("This field may not be blank.")]}
        )
    now = timezone.now()
    if next_update_at is not None and next_update_at <= now:
        raise InvalidInput(
            _("The next update must be in the future."),
            fields={"next_update_at": [_("Give a time to come.")]},
        )
    require(by, "incidents.add_statusupdate", _("You may not publish status updates."))
    with transaction.atomic():
        major_incident = lock(major_incident_id)
        check_can_see(major_incident=major_incident, by=by)
        check_commandable(major_incident)
        update = StatusUpdate.objects.create(
            major_incident=major_incident,
            status=status,
            impact=impact,
            actions=actions,
            next_update_at=next_update_at,
            audiences=audiences,
            is_public=PUBLIC in audiences,
            public_text=public_text,
            published_at=now,
            published_by=by,
        )
        plan_audiences = [a for a in audiences if a != PUBLIC]
        update.event_id = event_emit(
            subject=major_incident,
            event=UPDATE_EVENT,
            at=now,
            by=by,
            audiences=plan_audiences,
            data={
                "update": update.pk,
                "status": status,
                "impact": impact,
                "actions": actions,
                "next_update_at": next_update_at,
                "audiences": audiences,
            },
        )
        update.save(update_fields=["event_id"])
        if update.is_public:
            _mail_subscribers(major_incident, update=update, at=now)
        cadence_schedule(major_incident, audiences=audiences, since=now, promised_at=next_update_at)
        sent = update_deliveries(update).count()
        log(
            major_incident,
            kind=MajorIncidentLogEntry.Kind.UPDATE,
            by=by,
            at=now,
            note=status,
            data={"update": update.pk, "audiences": audiences, "notifications": sent},
        )
    return update


def update_deliveries(update: StatusUpdate) -> Any:
    """The outbox rows a status update produced: the plan's notices and the subscribers' mails."""
    from django.db.models import Q

    query = Q(idempotency_key__startswith=f"status:{update.pk}:")
    if update.event_id:
        query |= Q(idempotency_key__startswith=f"comms:{update.event_id}:")
    return Notification.objects.filter(query).select_related("recipient").order_by("id")


def _base_url() -> str:
    return settings.VIGIL_BASE_URL.rstrip("/")


def subscription_token(subscription: StatusSubscription, purpose: str) -> str:
    return signing.dumps({"id": subscription.pk, "p": purpose}, salt=SUBSCRIPTION_SALT, compress=True)


def subscription_from_token(token: str, purpose: str) -> StatusSubscription | None:
    """The subscription a signed link names, or None (tampered, expired, or gone). Confirmation links expire
    after a week; unsubscribe links never do."""
    max_age = CONFIRM_MAX_AGE if purpose == "confirm" else None
    try:
        data = signing.loads(token, salt=SUBSCRIPTION_SALT, max_age=max_age)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("p") != purpose:
        return None
    subscription_id = data.get("id")
    if not isinstance(subscription_id, int):
        return None
    return StatusSubscription.objects.filter(pk=subscription_id).first()


def _mail_subscribers(major_incident: MajorIncident, *, update: StatusUpdate, at: datetime) -> None:
    """One e-mail per confirmed subscriber, in their language, with a one-click unsubscribe link."""
    info = subject_describe(major_incident)
    for subscription in StatusSubscription.objects.filter(confirmed_at__isnull=False).order_by("pk"):
        unsubscribe = _base_url() + reverse(
            "status-unsubscribe", args=[subscription_token(subscription, "unsubscribe")]
        )
        with translation.override(subscription.language or settings.LANGUAGE_CODE):
            context = {
                "update": update,
                "status_url": _base_url() + reverse("status"),
                "unsubscribe": unsubscribe,
            }
            title = " ".join(render_to_string("incidents/status/mail_update_subject.txt", context).split())
            body = render_to_string("incidents/status/mail_update_body.txt", context)
        notification_write(
            subject=major_incident,
            reason="status.update",
            channel=Channel.EMAIL,
            address=subscription.email,
            idempotency_key=f"status:{update.pk}:{subscription.pk}",
            title=title,
            body=body,
            payload={"event": "status.update", "subject": {"reference": info.reference}, "update": update.pk},
        )


def subscription_request(*, email: str, language: str) -> StatusSubscription:
    """Someone asked to follow the status page: the confirmation mail (double opt-in) leaves through the
    outbox. Asking again re-sends it at most every 10 minutes; a confirmed address is left as it is."""
    email = email.strip().lower()
    now = timezone.now()
    with transaction.atomic():
        subscription, _created = StatusSubscription.objects.select_for_update().get_or_create(
            email=email, defaults={"language": language, "created_at": now}
        )
        if subscription.confirmed_at is not None:
            return subscription
        if subscription.confirmation_sent_at and now - subscription.confirmation_sent_at < timedelta(
            minutes=10
        ):
            return subscription
        subscription.language = language
        subscription.confirmation_sent_at = now
        subscription.save(update_fields=["language", "confirmation_sent_at"])
        confirm = _base_url() + reverse("status-confirm", args=[subscription_token(subscription, "confirm")])
        with translation.override(language or settings.LANGUAGE_CODE):
            context = {"confirm": confirm, "status_url": _base_url() + reverse("status")}
            title = " ".join(render_to_string("incidents/status/mail_confirm_subject.txt", context).split())
            body = render_to_string("incidents/status/mail_confirm_body.txt", context)
        notification_write(
            subject=subscription,
            reason="status.confirm",
            channel=Channel.EMAIL,
            address=email,
            idempotency_key=f"status-confirm:{subscription.pk}:{now.isoformat()}",
            title=title,
            body=body,
            payload={"event": "status.confirm"},
        )
    return subscription


def subscription_confirm(*, subscription: StatusSubscription) -> StatusSubscription:
    if subscription.confirmed_at is None:
        subscription.confirmed_at = timezone.now()
        subscription.save(update_fields=["confirmed_at"])
    return subscription


def subscription_cancel(*, subscription: StatusSubscription) -> None:
    """Unsubscribing forgets the address."""
    subscription.delete()


class EscalationTarget:
    MANAGEMENT = "management"
    GROUP = "group"
    TEAM = "team"
    PERSON = "person"
    ALL = (MANAGEMENT, GROUP, TEAM, PERSON)


def major_incident_escalate(
    *,
    major_incident_id: int,
    by: User | None,
    target: str,
    note: str = "",
    group: StakeholderGroup | None = None,
    team: Team | None = None,
    person: OutsidePerson | None = None,
) -> MajorIncidentLogEntry:
    """Go beyond the team: tell management (every stakeholder group of that audience, and the plan's rules for
    `major_incident.escalated_to_management`), a chosen stakeholder group, another team (whoever is on call
    there is paged) or an outside agency (an outside person, e-mailed and added to the team). Recorded on the
    log with who was reached."""
    if target not in EscalationTarget.ALL:
        raise InvalidInput(
            _("Unknown target."),
            fields={"target": [_("One of: %(t)s.") % {"t": ", ".join(EscalationTarget.ALL)}]},
        )
    needed: dict[str, tuple[str, object]] = {
        EscalationTarget.GROUP: ("group", group),
        EscalationTarget.TEAM: ("team", team),
        EscalationTarget.PERSON: ("person", person),
    }
    if target in needed and needed[target][1] is None:
        field = needed[target][0]
        raise InvalidInput(_("Say whom to bring in."), fields={field: [_("This field is required.")]})
    if target == EscalationTarget.PERSON and person is not None and not person.email:
        raise InvalidInput(
            _("%(name)s has no e-mail address to reach them at.") % {"name": person},
            fields={"person": [_("Add an e-mail address to this outside person first.")]},
        )
    require(by, "incidents.command_majorincident", _("You may not escalate major incidents."))
    with transaction.atomic():
        major_incident = lock(major_incident_id)
        check_can_see(major_incident=major_incident, by=by)
        check_commandable(major_incident)
        now = timezone.now()
        info = subject_describe(major_incident)
        event = (
            MajorIncidentEvent.ESCALATED_TO_MANAGEMENT
            if target == EscalationTarget.MANAGEMENT
            else MajorIncidentEvent.HELP_REQUESTED
        )
        data: dict[str, Any] = {"target": target, "note": note}
        reached: list[str] = []
        if target == EscalationTarget.MANAGEMENT:
            groups = list(StakeholderGroup.objects.filter(audience=Audience.MANAGEMENT))
        elif target == EscalationTarget.GROUP and group is not None:
            groups, data["group"] = [group], group.name
        else:
            groups = []
        event_id = event_emit(
            subject=major_incident,
            event=event,
            at=now,
            by=by,
            data=data,
            info=info,
            audiences=[Audience.MANAGEMENT] if target == EscalationTarget.MANAGEMENT else [],
        )
        for stakeholders in groups:
            # The same key as the plan's notices for this event: whoever the plan already told hears it once.
            notify_group(
                subject=major_incident,
                info=info,
                group=stakeholders,
                channel="",
                reason=f"comms:{event}",
                key=f"comms:{event_id}",
                template="event",
                context={"event": event, "data": data, "at": now},
                at=now,
            )
            reached.append(stakeholders.name)
        if target == EscalationTarget.TEAM and team is not None:
            people = [u for u in team_oncall(team=team, at=now) if u.is_active] or list(
                team.members.filter(is_active=True)
            )
            page_users(
                subject=major_incident,
                info=info,
                users=people,
                reason=event,
                key=f"help:{event_id}",
                template="event",
                context={"event": event, "data": {**data, "team": team.name}, "at": now},
                at=now,
            )
            data["team"] = team.name
            reached += [u.get_username() for u in people]
        if target == EscalationTarget.PERSON and person is not None:
            notification_write(
                subject=major_incident,
                reason=event,
                channel=Channel.EMAIL,
                address=person.email,
                idempotency_key=f"help:{event_id}:person:{person.pk}",
                title=_("%(ref)s: your help is requested") % {"ref": major_incident.reference},
                body=_("%(title)s\n\n%(note)s\n\nBridge: %(bridge)s\nWar room: %(room)s\n")
                % {
                    "title": major_incident.title,
                    "note": note,
                    "bridge": major_incident.bridge_url or "-",
                    "room": major_incident.war_room or "-",
                },
                payload={"event": event, "subject": {"reference": major_incident.reference}},
            )
            from .command import _team_join

            _team_join(
                major_incident, user=None, person=person, responsibility=_("outside agency"), by=by, at=now
            )
            data["person"] = str(person)
            reached.append(str(person))
        return log(
            major_incident,
            kind=MajorIncidentLogEntry.Kind.ESCALATED,
            by=by,
            at=now,
            note=note or _("Escalated: %(target)s.") % {"target": ", ".join(reached) or target},
            data={**data, "reached": reached, "event_id": event_id},
        )
