"""The audit log of configuration changes (read-only)."""

from rest_framework import serializers

from ...models import AuditEntry


class AuditEntrySerializer(serializers.ModelSerializer):
    kind = serializers.SerializerMethodField()

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "at",
            "actor",
            "actor_name",
            "via",
            "action",
            "kind",
            "object_id",
            "object_repr",
            "before",
            "after",
        ]
        read_only_fields = fields

    def get_kind(self, entry: AuditEntry) -> str:
        """The changed model as `app_label.model`, for example `escalation.escalationpolicy`."""
        return f"{entry.content_type.app_label}.{entry.content_type.model}"
