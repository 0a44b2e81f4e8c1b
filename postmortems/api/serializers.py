from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from config.serializers import StrictFieldsMixin, VisibleRelatedField
from incidents.models import Incident

from ..links import LINK_TARGETS
from ..models import ActionItem, LinkPurpose, Postmortem, PostmortemLink, PostmortemReviewer, PostmortemState
from ..services import allowed_transitions, publish_blockers

User = get_user_model()


def _active_users() -> Any:
    return User.objects.filter(is_active=True)


class ReviewerSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="reviewer.get_username", read_only=True)

    class Meta:
        model = PostmortemReviewer
        fields = ["reviewer", "username", "approved_at", "comment"]
        read_only_fields = fields


class LinkSerializer(serializers.ModelSerializer):
    target_type = serializers.SerializerMethodField()

    class Meta:
        model = PostmortemLink
        fields = ["id", "target_type", "target_id", "purpose", "action_item", "created_at"]
        read_only_fields = fields

    def get_target_type(self, obj: PostmortemLink) -> str:
        return f"{obj.target_type.app_label}.{obj.target_type.model}"


class ActionItemSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    owner_username = serializers.SerializerMethodField()
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "reference",
            "postmortem",
            "title",
            "description",
            "owner",
            "owner_username",
            "due_date",
            "priority",
            "state",
            "allowed_transitions",
            "created_at",
            "completed_at",
        ]
        read_only_fields = fields

    def get_owner_username(self, obj: ActionItem) -> str | None:
        return obj.owner.get_username() if obj.owner else None

    def get_allowed_transitions(self, obj: ActionItem) -> list[str]:
        available = {t.name for t in obj.get_available_state_transitions()}  # type: ignore[attr-defined]  # django-fsm's mixin, untyped
        return [name for name in ActionItem.TRANSITIONS if name in available]


class ActionItemWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    owner = VisibleRelatedField(queryset=_active_users(), required=False, allow_null=True)
    due_date = serializers.DateField(required=False, allow_null=True)
    priority = serializers.IntegerField(min_value=1, max_value=4, required=False)


class ActionItemCreateSerializer(ActionItemWriteSerializer):
    postmortem = VisibleRelatedField(queryset=Postmortem.objects.all())


class PostmortemSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    record = serializers.SerializerMethodField()
    allowed_transitions = serializers.SerializerMethodField()
    publish_blockers = serializers.SerializerMethodField()
    reviewers = ReviewerSerializer(many=True, read_only=True)
    action_items = ActionItemSerializer(many=True, read_only=True)
    links = LinkSerializer(many=True, read_only=True)

    class Meta:
        model = Postmortem
        fields = [
            "id",
            "reference",
            "title",
            "state",
            "allowed_transitions",
            "publish_blockers",
            "record",
            "owner",
            "summary",
            "impact",
            "timeline",
            "root_cause",
            "contributing_factors",
            "what_went_well",
            "what_went_wrong",
            "lessons_learned",
            "response_speed",
            "response_speed_notes",
            "task_performance",
            "degree_of_control",
            "commander_assessment",
            "action_plan_efficiency",
            "future_risks",
            "reviewers",
            "action_items",
            "links",
            "created_at",
            "updated_at",
            "submitted_at",
            "published_at",
            "published_by",
        ]
        read_only_fields = fields

    def get_record(self, obj: Postmortem) -> dict[str, Any]:
        return {"type": f"{obj.subject_type.app_label}.{obj.subject_type.model}", "id": obj.subject_id}

    def get_allowed_transitions(self, obj: Postmortem) -> list[str]:
        return allowed_transitions(obj)

    def get_publish_blockers(self, obj: Postmortem) -> list[dict[str, Any]]:
        return publish_blockers(obj) if obj.state == PostmortemState.IN_REVIEW else []


class PostmortemCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    incident = VisibleRelatedField(queryset=Incident.objects.all())
    owner = VisibleRelatedField(queryset=_active_users(), required=False, allow_null=True)


class PostmortemUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    read_only_hints = {"state": str(_("The state changes through POST .../<id>/<transition>/."))}

    title = serializers.CharField(max_length=200, required=False)
    owner = VisibleRelatedField(queryset=_active_users(), required=False, allow_null=True)
    timeline = serializers.JSONField(required=False)
    summary = serializers.CharField(required=False, allow_blank=True)
    impact = serializers.CharField(required=False, allow_blank=True)
    root_cause = serializers.CharField(required=False, allow_blank=True)
    contributing_factors = serializers.CharField(required=False, allow_blank=True)
    what_went_well = serializers.CharField(required=False, allow_blank=True)
    what_went_wrong = serializers.CharField(required=False, allow_blank=True)
    lessons_learned = serializers.CharField(required=False, allow_blank=True)
    response_speed_notes = serializers.CharField(required=False, allow_blank=True)
    task_performance = serializers.CharField(required=False, allow_blank=True)
    degree_of_control = serializers.CharField(required=False, allow_blank=True)
    commander_assessment = serializers.CharField(required=False, allow_blank=True)
    action_plan_efficiency = serializers.CharField(required=False, allow_blank=True)
    future_risks = serializers.CharField(required=False, allow_blank=True)


class NoteSerializer(StrictFieldsMixin, serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ApproveSerializer(StrictFieldsMixin, serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ReviewerAddSerializer(StrictFieldsMixin, serializers.Serializer):
    reviewer = VisibleRelatedField(queryset=_active_users())


class LinkCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    target_type = serializers.ChoiceField(choices=list(LINK_TARGETS))
    target_id = serializers.IntegerField(min_value=1)
    purpose = serializers.ChoiceField(choices=LinkPurpose.choices, default=LinkPurpose.RELATED)
    action_item = serializers.IntegerField(min_value=1, required=False, allow_null=True)
