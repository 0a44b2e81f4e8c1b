"""What a risk may link to, in one place: services, incidents, problems, changes (issue #10) and post-mortems.
A kind whose model is not installed is refused like an unknown one."""

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.errors import InvalidInput, NotFound

LINK_TARGETS = {
    "incidents.service": gettext_lazy("service"),
    "incidents.incident": gettext_lazy("incident"),
    "incidents.problem": gettext_lazy("problem"),
    "incidents.change": gettext_lazy("change"),
    "postmortems.postmortem": gettext_lazy("post-mortem"),
}
# Who may link a kind: the permission to see its rows (incidents have their own visibility, checked by the
# view).
VIEW_PERMISSIONS = {
    "incidents.problem": "incidents.view_problem",
    "incidents.change": "incidents.view_change",
    "postmortems.postmortem": "postmortems.view_postmortem",
}


def link_target_kinds() -> list[str]:
    found = []
    for label in LINK_TARGETS:
        try:
            apps.get_model(label)
        except LookupError:
            continue
        found.append(label)
    return found


def link_target(*, kind: str, target_id: int) -> tuple[ContentType, models.Model]:
    """The content type and the row a link points at; 400 for a kind that cannot be linked, 404 when the row
    does not exist."""
    if kind not in link_target_kinds():
        raise InvalidInput(
            _("%(kind)s cannot be linked; one of: %(kinds)s.")
            % {"kind": kind, "kinds": ", ".join(link_target_kinds())},
            fields={"target_type": [_("Not a kind that can be linked.")]},
        )
    model = apps.get_model(kind)
    row = model._default_manager.filter(pk=target_id).first()
    if row is None:
        raise NotFound(_("%(kind)s %(id)s does not exist.") % {"kind": kind, "id": target_id})
    return ContentType.objects.get_for_model(model), row
