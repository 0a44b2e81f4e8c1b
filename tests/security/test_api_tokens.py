"""API tokens are stored as digests (config/authentication.py): the clear token is seen once, the database
holds what lets nobody in, and every way a token is made (the service, the admin, `make run`'s
ensure_admin) goes through the same digest."""

import importlib
import io

import pytest
from django.apps import apps as global_apps
from django.contrib import messages
from django.core.management import CommandError, call_command
from django.db import connection
from rest_framework.authtoken.models import Token

from config.authentication import api_token_create, api_token_digest
from tests.incidents.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/incidents/"


def stored_keys() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM authtoken_token")
        return [row[0] for row in cursor.fetchall()]


def status(client, token: str) -> int:
    return client.get(URL, HTTP_AUTHORIZATION=f"Token {token}").status_code


def test_the_database_holds_a_digest_that_is_no_token(client):
    token = api_token_create(user=UserFactory(role="agents"))
    assert status(client, token) == 200
    [stored] = stored_keys()
    assert token not in stored
    assert stored == api_token_digest(token)
    assert status(client, stored) == 401  # a copy of the column lets nobody in


def test_a_new_token_replaces_the_old_one(client):
    user = UserFactory(role="agents")
    old = api_token_create(user=user)
    new = api_token_create(user=user)
    assert old != new
    assert (status(client, old), status(client, new)) == (401, 200)
    assert len(stored_keys()) == 1


def test_a_token_of_an_inactive_user_is_refused(client):
    user = UserFactory(role="agents")
    token = api_token_create(user=user)
    user.is_active = False
    user.save()
    answer = client.get(URL, HTTP_AUTHORIZATION=f"Token {token}")
    assert answer.status_code == 401
    assert "detail" in answer.json()


def test_the_admin_shows_a_new_token_once_and_never_lists_it(client):
    admin_user = UserFactory(is_superuser=True, is_staff=True)
    person = UserFactory(role="agents")
    client.force_login(admin_user)
    page = client.post("/admin/authtoken/tokenproxy/add/", {"user": person.pk, "_save": "Save"}, follow=True)
    assert page.status_code == 200
    [message] = [str(m) for m in page.context["messages"] if m.level == messages.WARNING]
    token = message.rsplit(" ", 1)[1]
    [stored] = stored_keys()
    assert stored == api_token_digest(token)
    listing = client.get("/admin/authtoken/tokenproxy/").content.decode()
    assert token not in listing
    assert stored not in listing
    client.logout()
    assert status(client, token) == 200


def test_ensure_admin_prints_the_same_working_token_until_it_is_replaced(client, settings, tmp_path):
    settings.VAR_DIR = tmp_path

    def printed() -> str:
        out = io.StringIO()
        call_command("ensure_admin", stdout=out)
        line = next(line for line in out.getvalue().splitlines() if "API token:" in line)
        return line.split()[2]

    first = printed()
    assert printed() == first
    assert status(client, first) == 200
    assert (tmp_path / "admin-token").stat().st_mode & 0o077 == 0
    Token.objects.all().delete()  # revoked in the admin, say
    second = printed()
    assert second != first
    assert (status(client, first), status(client, second)) == (401, 200)


def test_the_migration_turns_clear_tokens_into_digests(client):
    migration = importlib.import_module("escalation.migrations.0010_api_tokens_hashed")
    user = UserFactory(role="agents")
    clear = "0123456789abcdef0123456789abcdef01234567"  # a token made before, kept in clear
    Token.objects.create(user=user, key=clear)
    assert status(client, clear) == 401  # the clear column is not read as a token
    migration.hash_tokens(global_apps, None)
    assert stored_keys() == [api_token_digest(clear)]
    assert status(client, clear) == 200
    migration.delete_tokens(global_apps, None)
    assert stored_keys() == []


def test_the_api_token_command_prints_a_working_token(client):
    user = UserFactory(role="agents")
    out = io.StringIO()
    call_command("api_token", user.username, stdout=out)
    assert status(client, out.getvalue().strip()) == 200
    with pytest.raises(CommandError):
        call_command("api_token", "nobody-by-that-name")
