"""Reference data: the seed material's incident categories, the default priority matrix, and the roles."""

from django.db import migrations

CATEGORIES = [
    # (code, name, group, parent code)
    ("business-operation", "Business operation", "business_operation", None),
    ("out-of-scope-handling", "Out-of-scope handling", "business_operation", "business-operation"),
    ("operator-error", "Operator error", "business_operation", "business-operation"),
    ("wrong-manual", "Wrong manual or document", "business_operation", "business-operation"),
    ("system-outage", "System outage", "business_operation", "business-operation"),
    ("team-operation", "Team operation", "team_operation", None),
    ("security", "Security", "team_operation", "team-operation"),
    ("lost-id-card", "Lost ID card", "team_operation", "security"),
    ("misdirected-email-fax", "Misdirected e-mail or fax", "team_operation", "security"),
    ("damaged-tools-data", "Damaged tools or data", "team_operation", "team-operation"),
    ("lost-lent-equipment", "Lost or damaged lent equipment", "team_operation", "team-operation"),
    ("other", "Other", "other", None),
]


def default_priority(impact, urgency):
    # Same rule as incidents.models.catalog.default_priority, frozen here as migrations must be.
    return {2: 1, 3: 1, 4: 2, 5: 3}.get(impact + urgency, 4)


def load(apps, schema_editor):
    category = apps.get_model("incidents", "IncidentCategory")
    by_code = {}
    for code, name, group, parent in CATEGORIES:
        by_code[code], _ = category.objects.get_or_create(
            code=code, defaults={"name": name, "group": group, "parent": by_code.get(parent)}
        )
    cell = apps.get_model("incidents", "PriorityMatrixCell")
    for impact in range(1, 5):
        for urgency in range(1, 5):
            cell.objects.get_or_create(
                impact=impact, urgency=urgency, defaults={"priority": default_priority(impact, urgency)}
            )
    from incidents.roles import roles_sync

    roles_sync(apps)


def unload(apps, schema_editor):
    apps.get_model("incidents", "PriorityMatrixCell").objects.all().delete()
    category = apps.get_model("incidents", "IncidentCategory")
    for code, *_ in reversed(CATEGORIES):
        category.objects.filter(code=code, incidents__isnull=True).delete()
    apps.get_model("auth", "Group").objects.filter(name__in=["reporters", "agents", "managers"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(load, unload)]
