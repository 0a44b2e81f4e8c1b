"""API permission classes shared by the apps."""

from django.contrib.auth.models import User
from django.http import HttpRequest
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import DjangoModelPermissions
from rest_framework.request import Request


class ModelPermissionsWithView(DjangoModelPermissions):
    """Django's model permissions, and reading needs the view permission too: policies, addresses, keys and
    secrets are not for everyone who can log in."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }


def acting_user(request: HttpRequest | Request) -> User:
    """The account behind a request that passed authentication (API views behind `IsAuthenticated`, admin
    pages): what services take as `by`. An anonymous request here is a bug in the view's permissions, and is
    answered as unauthenticated rather than acted on."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise NotAuthenticated()
    return user
