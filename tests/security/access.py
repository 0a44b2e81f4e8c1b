"""Who may call what: the expectations of the access matrix (test_access_matrix.py), in one place.

Adding a route? Add a row to ROUTES (one route) or to FAMILIES (a glob over routes, e.g. "api/v1/problems/*"),
written as the failing test prints the route: "api/v1/incidents/<pk>/". The first matching row wins, ROUTES
before FAMILIES, so put a specific row above the family it refines. Each row says, per role, the methods it
may call ("get post put patch delete", or ALL); a role left out may call nothing. Administrators (superusers)
may call everything unless a row says otherwise. The admin's model pages need no row: they follow the
model permissions of each role's group (ADMIN below), and a ModelAdmin that narrows them gets a row here.

"Allowed" means the view let the role through (an empty body then answers 400, which is fine); "denied"
means 401, 403, a redirect to a login page, or 404 for a row the role may not see.

The roles (incidents/roles.py, docs/security.md): anonymous; integration (an integration's key used as an API
token: keys act only on their own alert endpoints); nobody (an account in no group); reporters; agents;
managers; administrators."""

import dataclasses
import fnmatch
from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission

from .routes import Route

ROLES = ("anonymous", "integration", "nobody", "reporters", "agents", "managers", "administrators")
ALL = "get post put patch delete"
READ = "get"


@dataclass(frozen=True)
class Access:
    anonymous: str = ""
    integration: str = ""
    nobody: str = ""
    reporters: str = ""
    agents: str = ""
    managers: str = ""
    administrators: str = ALL

    def allows(self, role: str, method: str) -> bool:
        return method in getattr(self, role).split()

    def _replace_integration(self, methods: str) -> "Access":
        return dataclasses.replace(self, integration=methods)


def everyone(methods: str = ALL) -> Access:
    return Access(*(methods,) * len(ROLES))


def signed_in(methods: str = ALL) -> Access:
    """Anyone with an account, whatever their groups."""
    return Access(nobody=methods, reporters=methods, agents=methods, managers=methods, administrators=methods)


def staff(agents: str, managers: str = ALL) -> Access:
    return Access(agents=agents, managers=managers)


MANAGERS = Access(managers=ALL)
NOBODY = Access(administrators="")  # reached by a token or an allowed network, not by a role

# One route each, checked before the families.
ROUTES: dict[str, Access] = {
    # Monitoring tools: the key in the path (or in routing_key) is the credential, whoever sends it.
    "api/v1/events/v2/enqueue": everyone(),
    "api/v1/integrations/<key>/alertmanager/": everyone(),
    "api/v1/integrations/<key>/generic/": everyone(),
    "api/v1/integrations/<key>/heartbeat/": everyone(),
    "healthz": everyone(READ),
    "readyz": everyone(READ),
    # Prometheus: a bearer token or an allowed network (settings.VIGIL_METRICS_*), no account.
    "metrics": NOBODY,
    # Public, but an Authorization header that is not a token (an integration key) is refused (401).
    "api/schema/": Access(*(READ,) * len(ROLES))._replace_integration(""),
    "api/docs/": Access(*(READ,) * len(ROLES))._replace_integration(""),
    # Incidents: reporters report and follow their own (others' answer 404); agents work them.
    "api/v1/incidents/": Access(nobody=READ, reporters="get post", agents=ALL, managers=ALL),
    "api/v1/incidents/<pk>/": Access(nobody=READ, reporters=READ, agents=ALL, managers=ALL),
    "api/v1/incidents/<pk>/timeline/": Access(nobody=READ, reporters=READ, agents=ALL, managers=ALL),
    "api/v1/incidents/<pk>/comments/": Access(nobody="post", reporters="post", agents=ALL, managers=ALL),
    "api/v1/incidents/<pk>/<transition>/": staff(ALL),
    "api/v1/incidents/<pk>/similar/": staff(ALL),
    # Major incidents: reporters declare and follow their own declarations, without the command data.
    "api/v1/major-incidents/": Access(nobody=READ, reporters="get post", agents=ALL, managers=ALL),
    "api/v1/major-incidents/<pk>/": Access(nobody=READ, reporters=READ, agents=ALL, managers=ALL),
    "api/v1/major-incident-configuration/": MANAGERS,
    # A dry run is a read: whoever may see the policy.
    "api/v1/escalation-policies/<pk>/simulate/": staff(agents="post"),
    # Only the post-mortem's own reviewers approve (a row-level rule): nobody else, not even a manager.
    "api/v1/postmortems/<pk>/approve/": Access(administrators=""),
    # Silences and outside people: agents add and change them; removing one is the managers'.
    "api/v1/silences/<pk>/": staff("get put patch"),
    "api/v1/outside-people/<pk>/": staff("get put patch"),
    # The communication plan and reporting rules are the managers' configuration.
    "api/v1/communication-rules/*": MANAGERS,
    "api/v1/reporting-rules/*": MANAGERS,
    # Without a field to complete, the admin's autocomplete refuses everyone (403).
    "admin/autocomplete/": Access(administrators=""),
    # Each user's own contact methods and rules (others' answer 404); managers see everybody's.
    "api/v1/contact-methods/*": signed_in(),
    "api/v1/notification-rules/*": signed_in(),
    # Outbound webhooks and the delivery log: managers.
    "api/v1/webhook-subscriptions/*": MANAGERS,
}

# Route families, first match wins.
FAMILIES: list[tuple[str, Access]] = [
    ("api/v1/major-incidents/*", staff(ALL)),
    ("api/v1/tasks/*", staff(ALL)),
    ("api/v1/outside-people/*", staff(ALL)),
    ("api/v1/incidents/*", staff(ALL)),
    ("api/v1/silences/*", staff(ALL)),
    ("api/v1/alerts/*", staff(READ)),
    ("api/v1/integrations/*", staff(READ)),
    ("api/v1/postmortems/*", staff(ALL)),
    ("api/v1/action-items/*", staff(ALL)),
    ("api/v1/metrics/*", MANAGERS),
    # The engine's configuration: agents read it, managers change it.
    ("api/v1/teams/*", staff(READ)),
    ("api/v1/calendars/*", staff(READ)),
    ("api/v1/schedules/*", staff(READ)),
    ("api/v1/sla-policies/*", staff(READ)),
    ("api/v1/escalation-policies/*", staff(READ)),
    ("api/v1/stakeholder-groups/*", staff(READ)),
    ("api/v1/communication-rules/*", staff(READ)),
    ("api/v1/reporting-rules/*", staff(READ)),
    ("api/v1/notifications/*", staff(READ)),
    ("api/v1/sla-clocks/*", staff(READ)),
    ("api/v1/escalations/*", staff(READ)),
    ("api/v1/audit-log/*", MANAGERS),
    # Problems and changes (issue #10): agents open, work and approve; managers too. Their lists and searches
    # answer everyone signed in, empty for those who may not see problems or changes.
    ("api/v1/problems/", Access(nobody=READ, reporters=READ, agents=ALL, managers=ALL)),
    ("api/v1/problems/known-errors/", signed_in(READ)),
    ("api/v1/problems/recurring/", Access(nobody=READ, reporters=READ, agents=ALL, managers=ALL)),
    ("api/v1/changes/", Access(nobody=READ, reporters=READ, agents=ALL, managers=ALL)),
    ("api/v1/changes/calendar/", signed_in(READ)),
    ("api/v1/problems/*", staff(ALL)),
    ("api/v1/changes/*", staff(ALL)),
    # Risks (issue #11): anyone signed in reports a risk; agents read the register, KRIs, the radar, drills
    # and procedures; risk owners are managers, who change them.
    ("api/v1/risks/report/", signed_in()),
    ("api/v1/risks/", Access(nobody=READ, reporters=READ, agents=READ, managers=ALL)),
    # Managers only: escalation of risk levels, outside changes, precursor rules and warnings, who acknowledged.
    ("api/v1/risk-level-escalations/*", MANAGERS),
    ("api/v1/outside-changes/", MANAGERS),
    ("api/v1/precursor-*", MANAGERS),
    ("api/v1/procedures/<pk>/acknowledgements/", MANAGERS),
    ("report-risk/", signed_in()),
    ("api/v1/risks/*", staff(READ)),
    ("api/v1/risk-*", staff(READ)),
    ("api/v1/kris/*", staff(READ)),
    ("api/v1/precursor-*", staff(READ)),
    ("api/v1/drills/*", staff(READ)),
    ("api/v1/drill-findings/*", staff(READ)),
    ("api/v1/response-checklists/*", staff(READ)),
    ("api/v1/procedures/*", staff(READ)),
    ("api/v1/emergency-contacts/*", staff(READ)),
    ("api/v1/outside-changes/", staff(READ)),
    # Each person's own on-call calendar link.
    ("api/v1/oncall-feed/", signed_in()),
    ("preferences/oncall-feed/", signed_in()),
    # The token in the path is the credential: signed acknowledge/resolve links, the private calendar feed.
    ("act/<token>/", everyone()),
    ("oncall/<token>.ics", everyone(READ)),
    # Pages.
    ("i18n/setlang/", everyone()),
    ("login/", everyone()),
    ("status/*", everyone(READ)),
    # Each account's own declarations (none, for an account in no group).
    ("declare/mine/", signed_in(READ)),
    # Declaring needs the add permission of major incidents: reporters and up.
    ("declare/*", Access(reporters=READ, agents=READ, managers=READ, administrators=READ)),
    ("preferences/", signed_in(READ)),
    # The risk radar page and the emergency contacts it offers: whoever reads the radar (agents too).
    ("reports/risk-radar/*", staff(READ)),
    ("reports/*", MANAGERS),
    # The admin's own pages (the model pages follow ADMIN).
    ("admin/login/", everyone()),
    ("admin/logout/", everyone()),
    ("admin/password_change/*", staff(ALL)),
    ("admin/", staff(ALL)),
    ("admin/<app_label>/", staff(ALL)),
    ("admin/jsi18n/", staff(ALL)),
    ("admin/autocomplete/", staff(ALL)),
    ("admin/r/*", staff(ALL)),
    ("admin/<url>", staff(ALL)),
    # Admin pages of their own (transition buttons, forms): staff; each view checks its permission again.
    ("admin/incidents/majorincident/<pk>/*", staff(ALL)),
    ("admin/incidents/incident/<pk>/acknowledge-page/", staff(ALL)),
    ("admin/incidents/problem/known-errors/", staff(ALL)),
    ("admin/auth/user/<id>/password/", Access()),
]


# Admin pages nobody opens, whatever their permissions: rows Vigil writes itself (the outbox, timers, clocks,
# alerts, rollups) or creates through a service (tasks, post-mortems and action items from their record).
ADMIN_NEVER = {
    "escalation.notification": ("add",),
    "escalation.escalation": ("add",),
    "escalation.slaclock": ("add",),
    "escalation.timer": ("add",),
    "incidents.alert": ("add", "delete"),
    "incidents.alertgroup": ("add", "delete"),
    "incidents.majorincidentflag": ("add",),
    "incidents.majorincidentconfiguration": ("add", "delete"),
    "incidents.problemchangeconfiguration": ("add", "delete"),
    "escalation.oncallfeed": ("add",),
    "risks.krireading": ("add",),
    "risks.radarsnapshot": ("add",),
    "risks.precursorwarning": ("add",),
    "risks.procedureversion": ("add",),
    "risks.procedureacknowledgement": ("add",),
    "incidents.task": ("add",),
    "incidents.statussubscription": ("add",),
    "postmortems.postmortem": ("add",),
    "postmortems.actionitem": ("add",),
    "postmortems.metricrollup": ("add",),
    "postmortems.weeklydigest": ("add",),
}


@dataclass(frozen=True)
class AdminModel:
    """An admin model page: allowed to staff whose group holds the page's model permission."""

    route: Route

    def permissions(self) -> list[str]:
        app_label, model_name = self.route.model_label.split(".")
        page = self.route.name.rsplit("_", 1)[1]
        needs = {"add": ["add"], "delete": ["delete"]}.get(page, ["view", "change"])
        return [f"{action}_{model_name}" for action in needs], app_label

    def allows(self, role: str, method: str) -> bool:
        page = self.route.name.rsplit("_", 1)[1]
        if page in ADMIN_NEVER.get(self.route.model_label, ()):
            return False
        if role == "administrators":
            return True
        if role not in ("agents", "managers"):
            return False
        codenames, app_label = self.permissions()
        return Permission.objects.filter(
            group__in=Group.objects.filter(name=role),
            content_type__app_label=app_label,
            codename__in=codenames,
        ).exists()


def expectation_for(route: Route) -> Access | AdminModel | None:
    if route.route in ROUTES:
        return ROUTES[route.route]
    for pattern, access in ROUTES.items():
        if "*" in pattern and fnmatch.fnmatchcase(route.route, pattern):
            return access
    if route.model_label and route.is_admin:
        return AdminModel(route)
    for pattern, access in FAMILIES:
        if fnmatch.fnmatchcase(route.route, pattern):
            return access
    return None
