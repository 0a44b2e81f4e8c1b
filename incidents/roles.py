"""The three roles of Vigil as Django groups, and the permissions each one holds.

`roles_sync` is idempotent: the roles migration calls it, and so does every `migrate` (post_migrate), so the
managers' group also receives the permissions of models that later migrations add."""

from typing import Any

REPORTERS = "reporters"
AGENTS = "agents"
MANAGERS = "managers"

VIGIL_APPS = ("escalation", "incidents", "risks", "postmortems")

ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    # Reporters create incidents and see their own (the visibility rule lives in incidents.selectors).
    REPORTERS: ("incidents.add_incident", "incidents.add_majorincident"),
    AGENTS: (
        "incidents.add_incident",
        "incidents.view_incident",
        "incidents.change_incident",
        "incidents.transition_incident",
        "incidents.view_timelineevent",
        "incidents.add_timelineevent",
        "incidents.view_service",
        "incidents.view_incidentcategory",
        "incidents.view_prioritymatrixcell",
        # Alerts are the evidence of an incident; agents read them and put services into maintenance.
        "incidents.view_integration",
        "incidents.view_alertpayload",
        "incidents.view_alertgroup",
        "incidents.view_alert",
        "incidents.view_majorincidentflag",
        "incidents.view_silence",
        "incidents.add_silence",
        "incidents.change_silence",
        # Major incidents (docs/major-incidents.md): agents declare, command, plan and communicate; managers
        # also configure (the configuration, templates, the status page's services and its subscribers).
        "incidents.add_majorincident",
        "incidents.view_majorincident",
        "incidents.change_majorincident",
        "incidents.transition_majorincident",
        "incidents.command_majorincident",
        "incidents.view_majorincidentlink",
        "incidents.view_majorincidentlogentry",
        "incidents.view_roleassignment",
        "incidents.add_roleassignment",
        "incidents.change_roleassignment",
        "incidents.view_teammember",
        "incidents.add_teammember",
        "incidents.change_teammember",
        "incidents.view_objective",
        "incidents.add_objective",
        "incidents.change_objective",
        "incidents.view_task",
        "incidents.add_task",
        "incidents.change_task",
        "incidents.view_outsideperson",
        "incidents.add_outsideperson",
        "incidents.change_outsideperson",
        "incidents.view_resourcerequest",
        "incidents.add_resourcerequest",
        "incidents.change_resourcerequest",
        "incidents.view_cost",
        "incidents.add_cost",
        "incidents.view_fundallocation",
        "incidents.add_fundallocation",
        "incidents.view_statusupdate",
        "incidents.add_statusupdate",
        "incidents.view_actionplantemplate",
        "incidents.view_actionplanstep",
        "incidents.view_statuspageservice",
        # Problems and changes (docs/problems-changes.md): agents open and work problems, request changes and
        # approve other people's; managers also edit the approval rules and the configuration.
        "incidents.view_problem",
        "incidents.add_problem",
        "incidents.change_problem",
        "incidents.transition_problem",
        "incidents.view_problemincident",
        "incidents.view_problemlogentry",
        "incidents.view_change",
        "incidents.add_change",
        "incidents.change_change",
        "incidents.transition_change",
        "incidents.approve_change",
        "incidents.view_changeapproval",
        "incidents.view_changelogentry",
        "incidents.view_changeapprovalrule",
        "incidents.view_problemchangeconfiguration",
        # The engine's configuration is the managers'; agents see it, and swap on-call shifts with overrides.
        "escalation.view_team",
        "escalation.view_businesscalendar",
        "escalation.view_schedule",
        "escalation.view_rotation",
        "escalation.view_override",
        "escalation.add_override",
        "escalation.change_override",
        "escalation.view_slapolicy",
        "escalation.view_slaclock",
        "escalation.view_escalationpolicy",
        "escalation.view_escalationlevel",
        "escalation.view_escalation",
        "escalation.view_notification",
        "escalation.view_deliveryattempt",
        "escalation.view_stakeholdergroup",
        # Post-mortems are written by the people who worked the incident; reports are the managers'.
        "postmortems.view_postmortem",
        "postmortems.add_postmortem",
        "postmortems.change_postmortem",
        "postmortems.transition_postmortem",
        "postmortems.view_postmortemreviewer",
        "postmortems.view_actionitem",
        "postmortems.add_actionitem",
        "postmortems.change_actionitem",
        "postmortems.view_postmortemlink",
        "postmortems.add_postmortemlink",
        "postmortems.delete_postmortemlink",
    ),
}


def roles_sync(apps: Any) -> None:
    """Create the groups and grant their permissions; the managers get every permission of Vigil's apps."""
    from django.contrib.auth.management import create_permissions

    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for app_config in apps.get_app_configs():
        # Migration state apps have no models module, which create_permissions needs; restore the value after,
        # as post_migrate (on `flush` too) passes the global registry, whose apps must keep theirs.
        saved, app_config.models_module = getattr(app_config, "models_module", None), True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = saved

    def lookup(names: tuple[str, ...]) -> list[Any]:
        found = []
        for name in names:
            app_label, codename = name.split(".")
            found.extend(
                permission_model.objects.filter(content_type__app_label=app_label, codename=codename)
            )
        return found

    for role, names in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role)
        group.permissions.add(*lookup(names))
    managers, _ = group_model.objects.get_or_create(name=MANAGERS)
    managers.permissions.add(
        *permission_model.objects.filter(content_type__app_label__in=VIGIL_APPS),
        *lookup(("auth.view_user", "auth.view_group")),
    )
