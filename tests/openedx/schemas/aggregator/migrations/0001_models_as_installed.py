# completion_aggregator's tables for the tests (tests.settings MIGRATION_MODULES): its own
# migration 0004 runs MySQL-only SQL, and an app without migrations gets its tables before
# auth_user exists, which PostgreSQL and MariaDB refuse. Generated with makemigrations from
# the installed models (openedx-completion-aggregator 4.5.0).

import completion_aggregator.models
import django.db.models.deletion
import django.utils.timezone
import model_utils.fields
import opaque_keys.edx.django.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CacheGroupInvalidation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('group', models.CharField(max_length=150, unique=True)),
                ('invalidated_at', models.DateTimeField(db_index=True)),
            ],
        ),
        migrations.CreateModel(
            name='StaleCompletion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created', model_utils.fields.AutoCreatedField(default=django.utils.timezone.now, editable=False, verbose_name='created')),
                ('modified', model_utils.fields.AutoLastModifiedField(default=django.utils.timezone.now, editable=False, verbose_name='modified')),
                ('username', models.CharField(max_length=255)),
                ('course_key', opaque_keys.edx.django.models.CourseKeyField(max_length=255)),
                ('block_key', opaque_keys.edx.django.models.UsageKeyField(blank=True, max_length=255, null=True)),
                ('force', models.BooleanField(default=False)),
                ('resolved', models.BooleanField(default=False)),
            ],
            options={
                'indexes': [models.Index(fields=['username', 'course_key', 'created', 'resolved'], name='stale_user_course_resolved_idx')],
            },
        ),
        migrations.CreateModel(
            name='Aggregator',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created', model_utils.fields.AutoCreatedField(default=django.utils.timezone.now, editable=False, verbose_name='created')),
                ('modified', model_utils.fields.AutoLastModifiedField(default=django.utils.timezone.now, editable=False, verbose_name='modified')),
                ('course_key', opaque_keys.edx.django.models.CourseKeyField(max_length=255)),
                ('aggregation_name', models.CharField(max_length=255)),
                ('block_key', opaque_keys.edx.django.models.UsageKeyField(max_length=255)),
                ('earned', models.FloatField(validators=[completion_aggregator.models.validate_positive_float])),
                ('possible', models.FloatField(validators=[completion_aggregator.models.validate_positive_float])),
                ('percent', models.FloatField(validators=[completion_aggregator.models.validate_percent])),
                ('optional_earned', models.FloatField(default=0.0, validators=[completion_aggregator.models.validate_positive_float])),
                ('optional_possible', models.FloatField(default=0.0, validators=[completion_aggregator.models.validate_positive_float])),
                ('optional_percent', models.FloatField(default=1.0, validators=[completion_aggregator.models.validate_percent])),
                ('last_modified', models.DateTimeField()),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'indexes': [models.Index(fields=['user', 'aggregation_name', 'course_key'], name='aggr_name_user_course_idx'), models.Index(fields=['course_key', 'aggregation_name', 'block_key', 'percent'], name='aggr_name_course_block_per_idx')],
                'unique_together': {('course_key', 'block_key', 'user', 'aggregation_name')},
            },
        ),
    ]
