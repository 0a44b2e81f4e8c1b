"""Where people meet the encrypted secrets: the admin never shows one back (it says whether one is set, takes a
new one, keeps the old one when left empty, removes it when asked), and the audit log fingerprints the secret
itself, never its ciphertext."""

import re

import pytest
from django.urls import reverse

from escalation.audit import _fingerprint
from escalation.models import AuditEntry, Channel, ContactMethod, WebhookSubscription
from incidents.models import Integration
from tests.escalation.factories import ContactMethodFactory, WebhookSubscriptionFactory
from tests.incidents.factories import IntegrationFactory, UserFactory

pytestmark = pytest.mark.django_db

SECRET = "a-long-shared-secret-0123456789"


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _form_data(client, url: str) -> dict:
    """What the admin page's form would post back unchanged (the secret left empty), inlines included."""
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False or value == []:
            continue
        data[name] = "on" if value is True else value
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
    return data


def _stored(model, pk, field_name: str) -> str:
    return getattr(model.objects.get(pk=pk), field_name)


@pytest.mark.parametrize(
    ("make", "admin_name", "field_name"),
    [
        (
            lambda: IntegrationFactory(kind="generic", hmac_secret=SECRET),
            "incidents_integration",
            "hmac_secret",
        ),
        (lambda: WebhookSubscriptionFactory(secret=SECRET), "escalation_webhooksubscription", "secret"),
        (
            lambda: ContactMethodFactory(
                channel=Channel.WEBHOOK, address="https://example.org/h", secret=SECRET
            ),
            "escalation_contactmethod",
            "secret",
        ),
    ],
)
def test_the_admin_never_shows_a_secret_and_keeps_it_when_left_empty(
    admin_client, make, admin_name, field_name
):
    row = make()
    url = reverse(f"admin:{admin_name}_change", args=[row.pk])
    page = admin_client.get(url).content.decode()
    assert SECRET not in page
    assert "A secret is set" in page
    data = {**_form_data(admin_client, url), field_name: ""}
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert _stored(type(row), row.pk, field_name) == SECRET
    response = admin_client.post(url, {**data, field_name: "a-new-secret-of-enough-length"})
    assert response.status_code == 302
    assert _stored(type(row), row.pk, field_name) == "a-new-secret-of-enough-length"


@pytest.mark.parametrize(("model", "admin_name"), [(Integration, "incidents_integration")])
def test_an_optional_secret_can_be_removed_in_the_admin(admin_client, model, admin_name):
    row = IntegrationFactory(kind="generic", hmac_secret=SECRET)
    url = reverse(f"admin:{admin_name}_change", args=[row.pk])
    data = {**_form_data(admin_client, url), "hmac_secret": "", "hmac_secret-remove": "on"}
    assert admin_client.post(url, data).status_code == 302
    assert _stored(model, row.pk, "hmac_secret") == ""
    assert "No secret is set" in admin_client.get(url).content.decode()


def test_a_contact_methods_secret_can_be_removed_in_the_admin(admin_client):
    row = ContactMethodFactory(channel=Channel.WEBHOOK, address="https://example.org/h", secret=SECRET)
    url = reverse("admin:escalation_contactmethod_change", args=[row.pk])
    data = {**_form_data(admin_client, url), "secret": "", "secret-remove": "on"}
    assert admin_client.post(url, data).status_code == 302
    assert _stored(ContactMethod, row.pk, "secret") == ""


def test_a_webhook_secret_made_in_the_admin_is_shown_once(admin_client):
    url = reverse("admin:escalation_webhooksubscription_add")
    data = {**_form_data(admin_client, url), "name": "crm", "url": "https://example.org/hook", "secret": ""}
    response = admin_client.post(url, data, follow=True)
    assert response.status_code == 200
    subscription = WebhookSubscription.objects.get(name="crm")
    assert len(subscription.secret) >= 32
    shown = [str(m) for m in response.context["messages"]]
    assert any(subscription.secret in m for m in shown), shown
    change = reverse("admin:escalation_webhooksubscription_change", args=[subscription.pk])
    assert subscription.secret not in admin_client.get(change).content.decode()


def test_an_integration_made_in_the_admin_keeps_its_secret(admin_client):
    url = reverse("admin:incidents_integration_add")
    data = {**_form_data(admin_client, url), "name": "crm", "kind": "generic", "hmac_secret": SECRET}
    assert admin_client.post(url, data).status_code == 302
    assert Integration.objects.get(name="crm").hmac_secret == SECRET
    data = {**data, "name": "crm-2", "hmac_secret": ""}
    assert admin_client.post(url, data).status_code == 302
    assert Integration.objects.get(name="crm-2").hmac_secret == ""


def test_the_audit_log_fingerprints_the_secret_not_its_ciphertext(api, as_role):
    as_role("managers")
    created = api.post(
        "/api/v1/webhook-subscriptions/",
        {"name": "crm", "url": "https://example.org/hook", "secret": SECRET},
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    changed = api.patch(
        f"/api/v1/webhook-subscriptions/{pk}/", {"secret": "another-" + SECRET}, format="json"
    )
    assert changed.status_code == 200, changed.json()
    entries = list(AuditEntry.objects.filter(content_type__model="webhooksubscription").order_by("id"))
    assert [e.action for e in entries] == ["create", "update"]
    update = entries[1]
    assert update.before["secret"] == _fingerprint(SECRET)
    assert update.after["secret"] == _fingerprint("another-" + SECRET)
    text = str([e.before for e in entries] + [e.after for e in entries])
    assert SECRET not in text
    assert not re.search(r"fernet:", text)
