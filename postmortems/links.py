"""What post-mortems and action items may link to, in one place: problems and changes (issue #10), risks
(issue #11) and incidents. A kind whose model is not installed (yet) is refused like an unknown one."""

from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.errors import InvalidInput, NotFound
from config.permissions import visible_queryset

LINK_TARGETS = {
    "incidents.problem": gettext_lazy("problem"),
    "incidents.change": gettext_lazy("change"),
    "risks.risk": gettext_lazy("risk"),
    "incidents.incident": gettext_lazy("incident"),
}


def link_target_kinds() -> list[str]:
    """The kinds that can be linked in this installation."""
    found = []
    for label in LINK_TARGETS:
        try:
            apps.get_model(label)
        except LookupError:
            continue
        found.append(label)
    return found


def link_target(*, kind: str, target_id: int, by: Any = None) -> tuple[ContentType, models.Model]:
    """The content type and the row a link points at; 400 for a kind that cannot be linked, 404 when the row
    does not exist or `by` (when given) may not see it: the same answer, so it tells nothing of others' rows."""
    if kind not in link_target_kinds():
        raise InvalidInput(
            _("%(kind)s cannot be linked; one of: %(kinds)s.")
            % {"kind": kind, "kinds": ", ".join(link_target_kinds())},
            fields={"target_type": [_("Not a kind that can be linked.")]},
        )
    model = apps.get_model(kind)
    rows = model._default_manager.all() if by is None else visible_queryset(model, by)
    row = rows.filter(pk=target_id).first()
    if row is None:
        raise NotFound(_("%(kind)s %(id)s does not exist.") % {"kind": kind, "id": target_id})
    return ContentType.objects.get_for_model(model), row
