"""Post-incident reviews, action items, metric rollups and the weekly digest."""

from .metrics import Dimension, MetricDirty, MetricFact, MetricRollup, MetricState
from .postmortem import (
    ACTION_ITEM_OPEN,
    ActionItem,
    ActionItemState,
    LinkPurpose,
    Postmortem,
    PostmortemLink,
    PostmortemReviewer,
    PostmortemState,
    WeeklyDigest,
)

__all__ = [
    "ACTION_ITEM_OPEN",
    "ActionItem",
    "ActionItemState",
    "Dimension",
    "LinkPurpose",
    "MetricDirty",
    "MetricFact",
    "MetricRollup",
    "MetricState",
    "Postmortem",
    "PostmortemLink",
    "PostmortemReviewer",
    "PostmortemState",
    "WeeklyDigest",
]
