"""Creates the admin account if it is missing and prints its login and API token.

The password comes from VIGIL_ADMIN_PASSWORD, else one is generated once and kept in var/admin-password. The
database keeps only a digest of API tokens, so the token printed is kept in var/admin-token (readable by its
owner only, like the password) and made again when it no longer matches."""

import os
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from config.authentication import api_token_create, api_token_matches


class Command(BaseCommand):
    help = "Create the admin account when missing; print its login and API token."

    def handle(self, *args: Any, **options: Any) -> None:
        username = os.environ.get("VIGIL_ADMIN_USER", "admin")
        password_file = settings.VAR_DIR / "admin-password"
        password = os.environ.get("VIGIL_ADMIN_PASSWORD", "")
        if not password:
            if password_file.exists():
                password = password_file.read_text().strip()
            else:
                password = secrets.token_urlsafe(12)
                password_file.write_text(password + "\n")
                password_file.chmod(0o600)
        user_model = get_user_model()
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = user_model.objects.create_superuser(
                username=username, email=f"{username}@example.org", password=password
            )
        elif not user.check_password(password) and os.environ.get("VIGIL_ADMIN_PASSWORD"):
            user.set_password(password)
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name="managers"))
        token_file = settings.VAR_DIR / "admin-token"
        token = token_file.read_text().strip() if token_file.exists() else ""
        if not token or not api_token_matches(user=user, key=token):
            token = api_token_create(user=user)
            token_file.write_text(token + "\n")
            token_file.chmod(0o600)
        port = os.environ.get("PORT", "8000")
        self.stdout.write(
            "\n"
            f"  Vigil admin:  http://127.0.0.1:{port}/admin/\n"
            f"  login:        {username}\n"
            f"  password:     {password}\n"
            f"  API token:    {token}   (Authorization: Token {token})\n"
        )
