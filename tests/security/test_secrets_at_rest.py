"""The signing secrets (integrations, webhook subscriptions, contact methods) are encrypted in the database and
work as before: the database holds only ciphertext, the code sees the secret, signatures verify both ways,
a missing key is a clear configuration error, keys rotate, and the migrations encrypt and decrypt old rows."""

import io
import json
import time

import pytest
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import override_settings

from config.encryption import PREFIX, column_encrypt, field_keys_check
from escalation.channels import webhook_signature
from escalation.events import event_emit
from escalation.models import Channel, ContactMethod, Notification, WebhookSubscription
from escalation.outbox import notification_deliver, notification_write
from incidents.integrations.limits import signature_expected
from incidents.integrations.selectors import integration_by_key, integration_cache_clear
from incidents.models import Alert, Integration
from tests.escalation.factories import ContactMethodFactory, WebhookSubscriptionFactory
from tests.escalation.receiver import webhook_receiver
from tests.incidents.factories import IncidentFactory, IntegrationFactory
from tests.incidents.integration_support import generic_url, post_raw

SECRET = "a-long-shared-secret-0123456789"


def _integration(secret: str = SECRET) -> Integration:
    return IntegrationFactory(kind="generic", hmac_secret=secret)


def _webhook(secret: str = SECRET) -> WebhookSubscription:
    return WebhookSubscriptionFactory(secret=secret)


def _contact(secret: str = SECRET) -> ContactMethod:
    return ContactMethodFactory(channel=Channel.WEBHOOK, address="http://127.0.0.1:9/hook", secret=secret)


MAKERS = [(_integration, "hmac_secret"), (_webhook, "secret"), (_contact, "secret")]


def _raw(row, field_name: str) -> str:
    meta = type(row)._meta
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {quote(meta.get_field(field_name).column)} FROM {quote(meta.db_table)} WHERE id = %s",  # noqa: S608
            [row.pk],
        )
        return cursor.fetchone()[0]


def _set_raw(row, field_name: str, value: str) -> None:
    meta = type(row)._meta
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(meta.db_table)} SET {quote(meta.get_field(field_name).column)} = %s WHERE id = %s",  # noqa: S608
            [value, row.pk],
        )


@pytest.mark.django_db
@pytest.mark.parametrize(("make", "field_name"), MAKERS)
def test_the_database_holds_ciphertext_and_the_code_sees_the_secret(make, field_name):
    row = make()
    stored = _raw(row, field_name)
    assert stored.startswith(PREFIX)
    assert SECRET not in stored
    model = type(row)
    assert getattr(model.objects.get(pk=row.pk), field_name) == SECRET
    assert model.objects.filter(pk=row.pk).values_list(field_name, flat=True).get() == SECRET
    # Fernet tokens are randomised: saving the same secret again stores another ciphertext.
    row.save()
    assert _raw(row, field_name) != stored


@pytest.mark.django_db
@pytest.mark.parametrize(("make", "field_name"), MAKERS[::2])
def test_no_secret_stays_empty(make, field_name):
    row = make("")
    assert _raw(row, field_name) == ""
    assert getattr(type(row).objects.get(pk=row.pk), field_name) == ""
    assert type(row).objects.filter(pk=row.pk, **{field_name: ""}).exists()


@pytest.mark.django_db
def test_a_secret_cannot_be_looked_up_by_its_value():
    _webhook()
    with pytest.raises(FieldError):
        WebhookSubscription.objects.filter(secret=SECRET).exists()
    with pytest.raises(FieldError):
        WebhookSubscription.objects.filter(secret__startswith="a").exists()
    assert WebhookSubscription.objects.exclude(secret="").count() == 1


@pytest.mark.django_db
def test_a_signed_alert_verifies_against_the_decrypted_secret(api):
    integration = _integration()
    integration_cache_clear()
    # The ingestion path reads the row with a plain cursor and the fields' own conversion.
    assert integration_by_key(integration.key).hmac_secret == SECRET
    raw = json.dumps({"title": "signed", "dedup_key": "signed-1"})
    stamp = str(int(time.time()))
    good = {
        "HTTP_X_VIGIL_TIMESTAMP": stamp,
        "HTTP_X_VIGIL_SIGNATURE": signature_expected(secret=SECRET, timestamp=stamp, body=raw.encode()),
    }
    assert post_raw(api, generic_url(integration.key), raw).status_code == 401
    ciphertext = _raw(integration, "hmac_secret")
    forged = {
        **good,
        "HTTP_X_VIGIL_SIGNATURE": signature_expected(secret=ciphertext, timestamp=stamp, body=raw.encode()),
    }
    assert post_raw(api, generic_url(integration.key), raw, **forged).status_code == 401
    assert post_raw(api, generic_url(integration.key), raw, **good).status_code == 202
    assert Alert.objects.filter(integration=integration).count() == 1


@pytest.mark.django_db
def test_outbound_webhooks_are_signed_with_the_decrypted_secret():
    with webhook_receiver() as receiver:
        subscription = WebhookSubscriptionFactory(url=receiver.url, secret=SECRET)
        method = ContactMethodFactory(
            channel=Channel.WEBHOOK, address=receiver.url, secret="contact-" + SECRET
        )
        event_emit(subject=IncidentFactory(), event="incident.created")
        to_subscription = Notification.objects.get(subscription=subscription)
        to_contact = notification_write(
            subject=IncidentFactory(),
            reason="page",
            channel=Channel.WEBHOOK,
            address=receiver.url,
            idempotency_key="secrets-at-rest-1",
            contact_method_id=method.pk,
        )
        assert notification_deliver(notification_id=to_subscription.pk) == "sent"
        assert notification_deliver(notification_id=to_contact.pk) == "sent"
    first, second = receiver.requests
    for request, secret in ((first, SECRET), (second, "contact-" + SECRET)):
        timestamp = request.headers["X-Vigil-Timestamp"]
        assert request.headers["X-Vigil-Signature"] == webhook_signature(
            secret=secret, timestamp=timestamp, body=request.body
        )


@pytest.mark.django_db
def test_a_secret_without_its_key_is_a_configuration_error():
    with override_settings(VIGIL_FIELD_KEYS=["key-a"]):
        row = _webhook()
    with override_settings(VIGIL_FIELD_KEYS=["key-b"]), pytest.raises(ImproperlyConfigured) as error:
        WebhookSubscription.objects.get(pk=row.pk)
    assert "VIGIL_FIELD_KEYS" in str(error.value)
    assert "escalation.WebhookSubscription.secret" in str(error.value)


@pytest.mark.django_db
def test_a_secret_stored_in_clear_is_refused():
    row = _webhook()
    _set_raw(row, "secret", SECRET)
    with pytest.raises(ImproperlyConfigured, match="migrate"):
        WebhookSubscription.objects.get(pk=row.pk)


@pytest.mark.django_db
def test_without_field_keys_the_keys_come_from_secret_key_and_its_fallbacks():
    with override_settings(VIGIL_FIELD_KEYS=[], SECRET_KEY="old-secret-key-" + "x" * 40):
        row = _webhook()
    moved = {
        "SECRET_KEY": "new-secret-key-" + "y" * 40,
        "SECRET_KEY_FALLBACKS": ["old-secret-key-" + "x" * 40],
    }
    with override_settings(VIGIL_FIELD_KEYS=[], **moved):
        assert WebhookSubscription.objects.get(pk=row.pk).secret == SECRET
    with (
        override_settings(VIGIL_FIELD_KEYS=[], SECRET_KEY="new-secret-key-" + "y" * 40),
        pytest.raises(ImproperlyConfigured),
    ):
        WebhookSubscription.objects.get(pk=row.pk)


@pytest.mark.django_db
def test_rotation_reencrypts_every_secret_with_the_first_key():
    with override_settings(VIGIL_FIELD_KEYS=["key-a"]):
        rows = [(make(), field_name) for make, field_name in MAKERS]
        _contact("")  # no secret: nothing to re-encrypt
        before = [_raw(row, field_name) for row, field_name in rows]
    with override_settings(VIGIL_FIELD_KEYS=["key-b", "key-a"]):
        out = io.StringIO()
        call_command("rotate_field_keys", batch=2, stdout=out)
    assert "incidents.Integration.hmac_secret: 1 re-encrypted" in out.getvalue()
    with override_settings(VIGIL_FIELD_KEYS=["key-b"]):
        for (row, field_name), old in zip(rows, before, strict=True):
            assert _raw(row, field_name) != old
            assert getattr(type(row).objects.get(pk=row.pk), field_name) == SECRET
    with override_settings(VIGIL_FIELD_KEYS=["key-a"]), pytest.raises(ImproperlyConfigured):
        Integration.objects.get(pk=rows[0][0].pk)


@pytest.mark.django_db
def test_the_column_helper_encrypts_once_and_decrypts_back():
    row = _webhook()
    _set_raw(row, "secret", SECRET)
    table = WebhookSubscription._meta.db_table
    assert column_encrypt(connection, table=table, column="secret", forward=True) == 1
    assert column_encrypt(connection, table=table, column="secret", forward=True) == 0  # already encrypted
    assert _raw(row, "secret").startswith(PREFIX)
    assert WebhookSubscription.objects.get(pk=row.pk).secret == SECRET
    assert column_encrypt(connection, table=table, column="secret", forward=False) == 1
    assert _raw(row, "secret") == SECRET


BEFORE = [("escalation", "0008_audit_log"), ("incidents", "0013_search_bigram_indexes")]
AFTER = [("escalation", "0009_secrets_encrypted"), ("incidents", "0014_secrets_encrypted")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_migrations_encrypt_existing_secrets_and_decrypt_them_back():
    old = _migrate(BEFORE)
    user = old.get_model("auth", "User").objects.create(username="migrated")
    contact = old.get_model("escalation", "ContactMethod").objects.create(
        user=user, channel="webhook", address="http://127.0.0.1:9/hook", secret="contact-secret"
    )
    webhook = old.get_model("escalation", "WebhookSubscription").objects.create(
        name="crm", url="http://127.0.0.1:9/hook", secret="webhook-secret"
    )
    integration = old.get_model("incidents", "Integration").objects.create(
        name="prom", kind="generic", key_hash="0" * 64, key_hint="0000", hmac_secret="integration-secret"
    )
    empty = old.get_model("escalation", "ContactMethod").objects.create(
        user=user, channel="email", address="a@example.org", secret=""
    )
    rows = [
        (ContactMethod, contact.pk, "secret", "contact-secret"),
        (WebhookSubscription, webhook.pk, "secret", "webhook-secret"),
        (Integration, integration.pk, "hmac_secret", "integration-secret"),
    ]
    try:
        _migrate(AFTER)
        for model, pk, field_name, secret in rows:
            row = model.objects.get(pk=pk)
            assert _raw(row, field_name).startswith(PREFIX)
            assert getattr(row, field_name) == secret
        assert _raw(ContactMethod.objects.get(pk=empty.pk), "secret") == ""
        _migrate(BEFORE)
        for model, pk, field_name, secret in rows:
            assert _raw(model(pk=pk), field_name) == secret
    finally:
        _migrate(AFTER)


def test_production_without_field_keys_is_warned_about():
    with override_settings(VIGIL_FIELD_KEYS=[]):
        assert [message.id for message in field_keys_check()] == ["vigil.W001"]
    with override_settings(VIGIL_FIELD_KEYS=["a-long-random-key"]):
        assert field_keys_check() == []
