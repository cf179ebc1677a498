"""The two credit types of the seed, SHRM and HRCI, as data; staff add others (CPE, CEU...) in the admin."""

from django.db import migrations

TYPES = (
    {
        "code": "SHRM",
        "name": "SHRM Professional Development Credits",
        "unit": "PDC",
        "unit_plural": "PDCs",
        "description": "Professional development credits of the Society for Human Resource Management (SHRM-CP, SHRM-SCP).",
    },
    {
        "code": "HRCI",
        "name": "HRCI Recertification Credits",
        "unit": "credit",
        "unit_plural": "credits",
        "description": "Recertification credits of the HR Certification Institute (aPHR, PHR, SPHR and others).",
    },
)


def create_types(apps, schema_editor):
    CreditType = apps.get_model("learning_credentials_credits", "CreditType")
    for fields in TYPES:
        CreditType.objects.get_or_create(code=fields["code"], defaults=fields)


def delete_unused_types(apps, schema_editor):
    """Reversing removes the two types unless something refers to them (then they stay, as data)."""
    CreditType = apps.get_model("learning_credentials_credits", "CreditType")
    CreditType.objects.filter(
        code__in=[fields["code"] for fields in TYPES], entries__isnull=True, configuration_credits__isnull=True
    ).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("learning_credentials_credits", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_types, delete_unused_types),
    ]
