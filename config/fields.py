"""Model fields the apps share: `EncryptedTextField`, a secret kept encrypted at rest (config/encryption.py),
and the form field every ModelForm (the admin's among them) gets for it, which never shows the secret back."""

from typing import Any

from django import forms
from django.core.exceptions import FieldError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.lookups import Exact
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .encryption import field_decrypt, field_encrypt

# What the widget answers when "remove the secret" is ticked: distinct from "" (left empty, keep it).
_REMOVE = object()


class SecretInput(forms.PasswordInput):
    """A password box that is always empty, a line saying whether a secret is set, and, for a secret that may
    be empty, a box to tick to remove it. Left empty, the secret stays as it is."""

    def __init__(self, attrs: dict[str, Any] | None = None, *, removable: bool = False) -> None:
        super().__init__({"autocomplete": "new-password", **(attrs or {})}, render_value=False)
        self.removable = removable

    def remove_name(self, name: str) -> str:
        return f"{name}-remove"

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        box = super().render(name, None, attrs, renderer)
        if not value:
            return format_html('{}<div class="help">{}</div>', box, gettext("No secret is set."))
        remove = ""
        if self.removable:
            remove = format_html(
                '<label><input type="checkbox" name="{}"> {}</label>',
                self.remove_name(name),
                gettext("Remove the secret"),
            )
        return format_html(
            '{}<div class="help">{}</div>{}',
            box,
            gettext("A secret is set. Type a new one to replace it; leave this empty to keep it."),
            remove,
        )

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        if self.removable and data.get(self.remove_name(name)):
            return _REMOVE
        return data.get(name)

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return name not in data and self.remove_name(name) not in data


class SecretFormField(forms.CharField):
    """Cleans to the new secret, "" to remove it, or None to keep the one there is (`save_form_data` below)."""

    widget = SecretInput

    def __init__(self, *, removable: bool = False, **kwargs: Any) -> None:
        # Left empty means "keep it", which is always allowed; a secret the model requires is checked there.
        kwargs["required"] = False
        kwargs.pop("widget", None)
        # A callable default (a generated secret) would otherwise be printed into a hidden input.
        kwargs["show_hidden_initial"] = False
        super().__init__(widget=SecretInput(removable=removable), **kwargs)

    def clean(self, value: Any) -> Any:
        if value is _REMOVE:
            return ""
        if value in self.empty_values:
            return None
        return super().clean(value)

    def has_changed(self, initial: Any, data: Any) -> bool:
        if data is _REMOVE:
            return bool(initial)
        return bool(data) and data != initial


class EncryptedTextField(models.TextField):
    """Text that Python sees as it is and the database holds encrypted (`"fernet:..."`). The empty string stays
    empty, so `if obj.secret:` still means "a secret is set".

    The stored value changes on every save (Fernet tokens are randomised), so such a field can only be compared
    with "" or NULL; any other lookup is refused. `max_length` limits the secret, not the column."""

    description = _("Text encrypted at rest")

    @cached_property
    def validators(self) -> list[Any]:
        validators = list(super().validators)
        if self.max_length is not None:
            validators.append(MaxLengthValidator(self.max_length))
        return validators

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None:
            return None
        return field_decrypt(value, what=f"{self.model._meta.label}.{self.name}")

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None:
            return None
        return field_encrypt(str(value))

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name not in ("exact", "isnull"):
            return None
        return super().get_lookup(lookup_name)

    def formfield(self, **kwargs: Any) -> Any:
        # The secret widget whatever the caller asks for (the admin asks every TextField for a textarea, which
        # would print the secret back into the page).
        kwargs.pop("widget", None)
        return super().formfield(**{**kwargs, "form_class": SecretFormField, "removable": self.blank})

    def save_form_data(self, instance: models.Model, data: Any) -> None:
        if data is not None:  # None: the form left the secret as it is
            setattr(instance, self.name, data)


@EncryptedTextField.register_lookup
class EncryptedExact(Exact):
    """`field=""` (no secret) only: a secret cannot be found by its value."""

    def get_prep_lookup(self) -> Any:
        if self.rhs != "":
            raise FieldError("An encrypted field can only be compared with the empty string.")
        return super().get_prep_lookup()
