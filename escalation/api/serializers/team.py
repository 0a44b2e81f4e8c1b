"""Teams."""

from rest_framework import serializers

from config.serializers import VisibleRelationsMixin

from ...models import Team


class TeamSerializer(VisibleRelationsMixin, serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "description", "manager", "members"]
