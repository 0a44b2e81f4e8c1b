"""The audit log of configuration changes: who, when, through what, before and after; written in the change's
transaction by the API, the admin and the services; readable by managers, never editable."""

import pytest
from django.contrib.auth.models import Group, User
from django.db import DatabaseError, transaction
from django.urls import reverse

from escalation.models import AuditEntry, EscalationPolicy, SlaPolicy
from incidents.models import Integration
from tests.escalation.factories import EscalationPolicyFactory, SlaPolicyFactory
from tests.incidents.factories import UserFactory

pytestmark = pytest.mark.django_db


def _entries(model: type) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            content_type__app_label=model._meta.app_label, content_type__model=model._meta.model_name
        ).order_by("id")
    )


def test_a_policy_created_changed_and_deleted_through_the_api_is_audited(api, as_role):
    manager = as_role("managers")
    alice = UserFactory()
    created = api.post(
        "/api/v1/escalation-policies/",
        {"name": "Payments", "levels": [{"position": 1, "users": [alice.pk]}]},
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert (
        api.patch(f"/api/v1/escalation-policies/{pk}/", {"repeat_count": 2}, format="json").status_code == 200
    )
    # A refused write leaves no entry, and a write that changes nothing leaves none either.
    assert (
        api.patch(f"/api/v1/escalation-policies/{pk}/", {"repeat_count": "x"}, format="json").status_code
        == 400
    )
    assert (
        api.patch(f"/api/v1/escalation-policies/{pk}/", {"repeat_count": 2}, format="json").status_code == 200
    )
    assert api.delete(f"/api/v1/escalation-policies/{pk}/").status_code == 204

    create, update, delete = _entries(EscalationPolicy)
    assert [e.action for e in (create, update, delete)] == ["create", "update", "delete"]
    assert {(e.actor_id, e.actor_name, e.via, e.object_id) for e in (create, update, delete)} == {
        (manager.pk, manager.username, "api", str(pk))
    }
    assert create.before is None
    assert create.after["name"] == "Payments"
    assert [level["users"] for level in create.after["levels"]] == [[alice.pk]]
    assert (update.before["repeat_count"], update.after["repeat_count"]) == (0, 2)
    assert delete.after is None
    assert delete.before["levels"][0]["users"] == [alice.pk]
    assert delete.object_repr == "Payments"


def test_an_sla_policy_changed_in_the_admin_is_audited_once(client):
    admin = User.objects.create_superuser("root", "root@example.org", "x")
    client.force_login(admin)
    policy = SlaPolicyFactory(name="P1 response")
    url = reverse("admin:escalation_slapolicy_change", args=[policy.pk])
    page = client.get(url)
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data = {k: ([str(x) for x in v] if isinstance(v, list) else v) for k, v in data.items()}
    data["name"] = "P1 first response"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    (entry,) = _entries(SlaPolicy)
    assert (entry.action, entry.via, entry.actor_id) == ("update", "admin", admin.pk)
    assert (entry.before["name"], entry.after["name"]) == ("P1 response", "P1 first response")


def test_integration_keys_are_audited_without_showing_them(api, as_role):
    as_role("managers")
    created = api.post("/api/v1/integrations/", {"name": "prom", "kind": "alertmanager"}, format="json")
    assert created.status_code == 201, created.json()
    pk, key = created.json()["id"], created.json()["key"]
    rotated = api.post(f"/api/v1/integrations/{pk}/rotate-key/")
    assert rotated.status_code == 200
    create, rotate = _entries(Integration)
    assert (create.action, rotate.action, rotate.via) == ("create", "update", "api")
    assert rotate.before["key_hash"] != rotate.after["key_hash"]
    assert rotate.after["key_hash"].startswith("(hidden)")
    text = str([create.after, rotate.before, rotate.after])
    for secret in (key, rotated.json()["key"], Integration.objects.get(pk=pk).key_hash):
        assert secret not in text


def test_role_changes_are_audited(client):
    admin = User.objects.create_superuser("root", "root@example.org", "x")
    client.force_login(admin)
    user = UserFactory()
    agents = Group.objects.get(name="agents")
    url = reverse("admin:auth_user_change", args=[user.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() not in (None, [])}
    data.pop("password", None)
    data["groups"] = [str(agents.pk)]
    data["date_joined_0"], data["date_joined_1"] = user.date_joined.strftime("%Y-%m-%d"), "00:00:00"
    data.pop("date_joined", None)
    data.pop("last_login", None)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    (entry,) = [e for e in _entries(User) if e.object_id == str(user.pk)]
    assert (entry.before["groups"], entry.after["groups"]) == ([], [agents.pk])
    assert "pbkdf2" not in str(entry.before) + str(entry.after)


def test_managers_read_the_log_and_nobody_writes_it(api, as_role):
    manager = as_role("managers")
    api.post(
        "/api/v1/sla-policies/",
        {"name": "x", "priority": 1, "time_to_acknowledge_seconds": 600, "time_to_resolve_seconds": 3600},
        format="json",
    )
    EscalationPolicyFactory()  # written outside an audited path: not in the log
    listed = api.get("/api/v1/audit-log/?kind=escalation.slapolicy")
    assert listed.status_code == 200
    assert [e["action"] for e in listed.json()["results"]] == ["create"]
    assert listed.json()["results"][0]["actor"] == manager.pk
    entry_id = listed.json()["results"][0]["id"]
    # No write at all: refused (no permission exists to hold) or not a method of the route.
    assert api.put(f"/api/v1/audit-log/{entry_id}/", {}, format="json").status_code in (403, 405)
    assert api.delete(f"/api/v1/audit-log/{entry_id}/").status_code in (403, 405)
    assert api.post("/api/v1/audit-log/", {}, format="json").status_code in (403, 405)
    as_role("agents")
    assert api.get("/api/v1/audit-log/").status_code == 403


def test_the_database_refuses_to_rewrite_the_log(api, as_role):
    as_role("managers")
    api.post(
        "/api/v1/sla-policies/",
        {"name": "x", "priority": 1, "time_to_acknowledge_seconds": 600, "time_to_resolve_seconds": 3600},
        format="json",
    )
    assert AuditEntry.objects.exists()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.update(actor_name="someone else")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.filter(actor_name="someone else").count() == 0


def test_the_admin_shows_the_log_read_only(client):
    manager = UserFactory(role="managers", is_staff=True)
    client.force_login(manager)
    SlaPolicyFactory()
    from escalation.audit import audit_change

    policy = SlaPolicy.objects.first()
    with audit_change(model=SlaPolicy, pk=policy.pk, by=manager):
        SlaPolicy.objects.filter(pk=policy.pk).update(name="renamed")
    entry = AuditEntry.objects.get()
    page = client.get(reverse("admin:escalation_auditentry_change", args=[entry.pk]))
    assert page.status_code == 200
    assert "renamed" in page.content.decode()
    assert client.post(reverse("admin:escalation_auditentry_change", args=[entry.pk]), {}).status_code == 403
    assert client.get(reverse("admin:escalation_auditentry_delete", args=[entry.pk])).status_code == 403
    assert client.get(reverse("admin:escalation_auditentry_add")).status_code == 403


def test_admin_adds_and_bulk_deletes_are_audited(client):
    admin = User.objects.create_superuser("root", "root@example.org", "x")
    client.force_login(admin)
    response = client.post(
        reverse("admin:escalation_team_add"), {"name": "Payments", "description": "", "members": []}
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    from escalation.models import Team

    (created,) = _entries(Team)
    assert (created.action, created.via, created.before, created.after["name"]) == (
        "create",
        "admin",
        None,
        "Payments",
    )
    one, two = SlaPolicyFactory(), SlaPolicyFactory()
    response = client.post(
        reverse("admin:escalation_slapolicy_changelist"),
        {"action": "delete_selected", "_selected_action": [one.pk, two.pk], "post": "yes"},
    )
    assert response.status_code == 302
    deleted = _entries(SlaPolicy)
    assert sorted((e.action, e.object_id) for e in deleted) == [
        ("delete", str(one.pk)),
        ("delete", str(two.pk)),
    ]
    assert all(e.after is None and e.before["name"] for e in deleted)


def test_a_risk_matrix_changed_through_the_api_is_audited(api, as_role):
    from risks.models import RiskMatrix
    from tests.risks.factories import RiskMatrixFactory

    manager = as_role("managers")
    matrix = RiskMatrixFactory(size=5)
    before = api.get(f"/api/v1/risk-matrices/{matrix.pk}/").json()
    renamed = api.patch(f"/api/v1/risk-matrices/{matrix.pk}/", {"name": "Operations"}, format="json")
    assert renamed.status_code == 200, renamed.json()
    (update,) = _entries(RiskMatrix)
    assert (update.action, update.via, update.actor_id) == ("update", "api", manager.pk)
    assert (update.before["name"], update.after["name"]) == (before["name"], "Operations")
