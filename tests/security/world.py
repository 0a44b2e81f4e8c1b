"""The rows the access matrix requests: the demo data and one of each record the demo leaves out, written
by people who are not the matrix's users (so a reporter's row-level visibility is tested too)."""

from typing import Any

from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import call_command

from incidents.major import actionplan, command, logistics
from incidents.major.services import major_incident_declare
from incidents.models import Incident, Integration, IntegrationKind, MajorIncident
from incidents.models.integration import key_generate
from postmortems import services as postmortems

from .routes import Route

# The model behind `<pk>` after each path segment; a new route family with its own segment adds its model.
PK_MODELS = {
    "teams": "escalation.team",
    "calendars": "escalation.businesscalendar",
    "schedules": "escalation.schedule",
    "sla-policies": "escalation.slapolicy",
    "escalation-policies": "escalation.escalationpolicy",
    "contact-methods": "escalation.contactmethod",
    "notification-rules": "escalation.notificationrule",
    "stakeholder-groups": "escalation.stakeholdergroup",
    "communication-rules": "escalation.communicationrule",
    "reporting-rules": "escalation.reportingrule",
    "webhook-subscriptions": "escalation.webhooksubscription",
    "notifications": "escalation.notification",
    "sla-clocks": "escalation.slaclock",
    "escalations": "escalation.escalation",
    "incidents": "incidents.incident",
    "integrations": "incidents.integration",
    "silences": "incidents.silence",
    "alerts": "incidents.alert",
    "major-incidents": "incidents.majorincident",
    "tasks": "incidents.task",
    "outside-people": "incidents.outsideperson",
    "postmortems": "postmortems.postmortem",
    "action-items": "postmortems.actionitem",
    "declare": "incidents.majorincident",
    "problems": "incidents.problem",
    "changes": "incidents.change",
    "risks": "risks.risk",
    "risk-areas": "risks.area",
    "risk-matrices": "risks.riskmatrix",
    "kris": "risks.kri",
    "precursor-rules": "risks.precursorrule",
    "precursor-warnings": "risks.precursorwarning",
    "drills": "risks.drill",
    "drill-findings": "risks.drillfinding",
    "response-checklists": "risks.responsechecklist",
    "procedures": "risks.reportingprocedure",
    "emergency-contacts": "risks.emergencycontact",
}
# Other path arguments: the model whose row they name.
KWARG_MODELS = {
    "member_id": "incidents.teammember",
    "objective_id": "incidents.objective",
    "request_id": "incidents.resourcerequest",
    "incident_id": "incidents.incident",
    "user_id": "auth.user",
    "link_id": "postmortems.postmortemlink",
    "content_type_id": "contenttypes.contenttype",
    "major_incident_id": "incidents.majorincident",
    "team_id": "escalation.team",
}
KWARG_VALUES = {"role": "commander", "token": "no-such-token", "fmt": "csv"}


def _first(label: str) -> int:
    model = apps.get_model(label)
    pk = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
    return pk if pk is not None else 1


def build() -> dict[str, Any]:
    """Loads the world in the test's transaction and answers what the routes need to be requested."""
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    owner = User.objects.create(username="matrix-owner", is_staff=True)
    owner.groups.add(*apps.get_model("auth", "Group").objects.filter(name="managers"))
    incident = Incident.objects.order_by("pk").first()
    assert incident is not None
    major = major_incident_declare(by=owner, title="matrix outage", incidents=[incident])
    actionplan.task_create(by=owner, title="matrix task", major_incident=major, owner_user=owner)
    command.member_add(major_incident_id=major.pk, by=owner, user=owner)
    command.objective_add(major_incident_id=major.pk, by=owner, text="matrix objective")
    logistics.resource_request_create(
        major_incident_id=major.pk,
        by=owner,
        kind=_first_choice("incidents.resourcerequest", "kind"),
        description="x",
    )
    postmortem, _ = postmortems.postmortem_open(record=incident, by=owner)
    postmortems.action_item_create(postmortem_id=postmortem.pk, by=owner, title="matrix item")
    postmortems.link_add(
        postmortem_id=postmortem.pk,
        by=owner,
        kind="incidents.incident",
        target_id=incident.pk,
        purpose="related",
    )
    postmortems.postmortem_reviewer_add(postmortem_id=postmortem.pk, reviewer=owner, by=owner)
    # One integration per kind, its plain key by the last path segment of its endpoint.
    keys = {}
    for kind in IntegrationKind.values:
        key = key_generate()
        integration = Integration(name=f"matrix-{kind}", kind=kind)
        integration.set_key(key)
        integration.save()
        keys[kind] = key
    keys["heartbeat"] = keys[IntegrationKind.GENERIC]
    assert MajorIncident.objects.filter(pk=major.pk).exists()

    def kwarg(route: Route, name: str) -> Any:
        if name in KWARG_VALUES:
            return KWARG_VALUES[name]
        if name == "key":
            kind = route.route.split("/")[-2]
            return keys.get(kind, "no-such-key")
        if name == "object_id" and route.model_label:
            return str(_first(route.model_label))
        if name == "object_id":
            return "1"
        if name in KWARG_MODELS:
            return _first(KWARG_MODELS[name])
        if name == "pk":
            segments = [part for part in route.route.split("/") if part and not part.startswith("<")]
            for segment in reversed(segments):
                if segment in PK_MODELS:
                    return _first(PK_MODELS[segment])
            return 1
        return 1

    return {"kwarg": kwarg, "keys": keys, "incident": incident, "major": major}


def _first_choice(label: str, field: str) -> str:
    return apps.get_model(label)._meta.get_field(field).choices[0][0]
