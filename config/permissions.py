"""API permission classes shared by the apps."""

from collections.abc import Callable

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Model, QuerySet
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


def permission_check(by: User | None, permission: str, message: str) -> None:
    """For services: 403 with `message` unless `by` holds the permission (None is Vigil itself acting: a timer,
    a flag, a review)."""
    from .errors import PermissionDenied

    if by is not None and not by.has_perm(permission):
        raise PermissionDenied(message)


def permission_require(request: HttpRequest | Request, permission: str) -> User:
    """The acting user when they hold `permission`; 403 otherwise. Views call it before reading the body, so an
    account that may not write learns nothing from the validation of what it sent."""
    from .errors import PermissionDenied

    user = acting_user(request)
    if not user.has_perm(permission):
        raise PermissionDenied()
    return user


def acting_user(request: HttpRequest | Request) -> User:
    """The account behind a request that passed authentication (API views behind `IsAuthenticated`, admin
    pages): what services take as `by`. An anonymous request here is a bug in the view's permissions, and is
    answered as unauthenticated rather than acted on."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise NotAuthenticated()
    return user


# One visibility rule per model, for every related field a user can set (`config.serializers.VisibleRelatedField`)
# and every filter naming a row (`config.filters.VisibleFilterSet`). The apps register the rules of their
# models from `AppConfig.ready()` (config never imports them); a model without a rule is visible whole to the
# holders of its view permission, and not at all to anyone else.
VisibleRule = Callable[[User], QuerySet]
_visible_rules: dict[type[Model], VisibleRule] = {}


def visible_register(model: type[Model], rule: VisibleRule) -> None:
    """Say which rows of `model` a user may see (and so name in a related field or a filter)."""
    _visible_rules[model] = rule


def visible_queryset(model: type[Model], user: User | AnonymousUser) -> QuerySet:
    """The rows of `model` that `user` may see: the registered rule, else all of them for the holders of the
    model's view permission, else none."""
    manager = model._default_manager
    if not isinstance(user, User) or not user.is_authenticated or not user.is_active:
        return manager.none()
    rule = _visible_rules.get(model)
    if rule is not None:
        return rule(user)
    opts = model._meta
    if user.has_perm(f"{opts.app_label}.view_{opts.model_name}"):
        return manager.all()
    return manager.none()


def visible_rule_registered(model: type[Model]) -> bool:
    return model in _visible_rules
