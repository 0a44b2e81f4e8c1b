"""The profile's languages follow settings.LANGUAGES: English, Korean, Japanese, Traditional Chinese, Persian.
A profile that named a language Vigil no longer has falls back to the browser's (its language is emptied)."""

from django.db import migrations, models

LANGUAGES = ["en", "ko", "ja", "zh-hant", "fa"]


def forget_dropped_languages(apps, schema_editor):
    profile = apps.get_model("escalation", "UserProfile")
    profile.objects.exclude(language="").exclude(language__in=LANGUAGES).update(language="")


class Migration(migrations.Migration):
    dependencies = [
        ("escalation", "0004_engine_platform"),
    ]

    operations = [
        migrations.AlterField(
            model_name="userprofile",
            name="language",
            field=models.CharField(
                blank=True,
                choices=[
                    ("en", "English"),
                    ("ko", "Korean"),
                    ("ja", "Japanese"),
                    ("zh-hant", "Traditional Chinese"),
                    ("fa", "Persian"),
                ],
                max_length=10,
                verbose_name="language",
            ),
        ),
        migrations.RunPython(forget_dropped_languages, migrations.RunPython.noop),
    ]
