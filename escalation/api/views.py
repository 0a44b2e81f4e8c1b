from rest_framework import viewsets
from rest_framework.permissions import DjangoModelPermissions

from ..models import Team
from .serializers import TeamSerializer


class TeamViewSet(viewsets.ReadOnlyModelViewSet):
    """Teams and their members."""

    queryset = Team.objects.prefetch_related("members").order_by("name")
    serializer_class = TeamSerializer
    permission_classes = [DjangoModelPermissions]
