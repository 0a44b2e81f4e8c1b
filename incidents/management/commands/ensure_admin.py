"""Creates the admin account if it is missing and prints its login and API token.

The password comes from VIGIL_ADMIN_PASSWORD, else one is generated once and kept in var/admin-password."""

import os
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from rest_framework.authtoken.models import Token


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
        token, _ = Token.objects.get_or_create(user=user)
        port = os.environ.get("PORT", "8000")
        self.stdout.write(
            "\n"
            f"  Vigil admin:  http://127.0.0.1:{port}/admin/\n"
            f"  login:        {username}\n"
            f"  password:     {password}\n"
            f"  API token:    {token.key}   (Authorization: Token {token.key})\n"
        )
