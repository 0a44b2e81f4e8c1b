"""Pages of the engine's app that people use directly (not the API, not the admin's model pages)."""

from django.urls import path

from . import views

urlpatterns = [
    # Django's own path and name for the switch, so `{% url 'set_language' %}` finds ours.
    path("i18n/setlang/", views.language_set, name="set_language"),
    path("preferences/", views.preferences, name="preferences"),
    path("preferences/oncall-feed/", views.preferences_oncall_feed, name="preferences_oncall_feed"),
    # The acknowledge and resolve links every page carries (escalation/actions.py).
    path("act/<str:token>/", views.action_link, name="action_link"),
    # A person's private on-call calendar (escalation/feeds.py).
    path("oncall/<str:token>.ics", views.oncall_feed, name="oncall_feed"),
]
