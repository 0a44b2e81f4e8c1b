"""A subject that exists only in the test suite, to prove that the engine serves any subject: a chore with a
priority, an owner and a small lifecycle, registered from its app's `ready()` like the real apps do."""

from django.conf import settings
from django.db import models


class Chore(models.Model):
    """Something to get done, with an owner who answers for it."""

    class State(models.TextChoices):
        OPEN = "open"
        ACKNOWLEDGED = "acknowledged"
        ON_HOLD = "on_hold"
        DONE = "done"

    title = models.CharField(max_length=100)
    priority = models.PositiveSmallIntegerField(default=1)
    state = models.CharField(max_length=20, choices=State.choices, default=State.OPEN)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    team = models.ForeignKey(
        "escalation.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "chore"

    def __str__(self) -> str:
        return self.title


class ChoreLog(models.Model):
    """What the engine told the chore's app it did (`SubjectType.record`): the app's own history."""

    chore = models.ForeignKey(Chore, on_delete=models.CASCADE, related_name="log")
    what = models.CharField(max_length=20)
    at = models.DateTimeField()
    data = models.JSONField(default=dict)

    class Meta:
        verbose_name = "chore log line"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.what} {self.at}"
