"""The one error base class of Vigil. Services raise these; `config.exceptions` turns them into JSON."""

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class VigilError(Exception):
    """A domain error with a stable machine code, an HTTP status and a sentence a person understands."""

    code = "error"
    status = 400
    default_detail = _("The request could not be processed.")

    def __init__(self, detail: str | Promise | None = None, **extra: Any) -> None:
        self.detail = str(detail if detail is not None else self.default_detail)
        self.extra = extra
        super().__init__(self.detail)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "detail": self.detail, **self.extra}


class NotFound(VigilError):
    code = "not_found"
    status = 404
    default_detail = _("Not found.")


class PermissionDenied(VigilError):
    code = "permission_denied"
    status = 403
    default_detail = _("You do not have permission to do this.")


class Conflict(VigilError):
    code = "conflict"
    status = 409
    default_detail = _("The request conflicts with the current state.")


class TransitionNotAllowed(Conflict):
    code = "transition_not_allowed"


class InvalidInput(VigilError):
    code = "invalid"
    status = 400


class UnknownQueryParameters(InvalidInput):
    """A list endpoint was asked with query parameters it does not know (config.filters.StrictQueryParams):
    answered rather than ignored, since an ignored filter returns the whole list as if it had matched."""

    code = "unknown_query_parameters"
