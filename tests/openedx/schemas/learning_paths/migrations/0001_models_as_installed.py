# learning_paths' tables for the tests (tests.settings MIGRATION_MODULES): its own migration
# history creates the key's LIKE index twice on PostgreSQL. Generated with makemigrations from
# the installed models (learning-paths-plugin 0.5.0).

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
import learning_paths.keys
import learning_paths.models
import model_utils.fields
import opaque_keys.edx.django.models
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='LearningPath',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created', model_utils.fields.AutoCreatedField(default=django.utils.timezone.now, editable=False, verbose_name='created')),
                ('modified', model_utils.fields.AutoLastModifiedField(default=django.utils.timezone.now, editable=False, verbose_name='modified')),
                ('key', learning_paths.keys.LearningPathKeyField(db_index=True, help_text='Unique identifier for this Learning Path.<br/>It must follow the format: <i>path-v1:{org}+{number}+{run}+{group}</i>.', max_length=255, unique=True)),
                ('uuid', models.UUIDField(blank=True, default=uuid.uuid4, editable=False, help_text='Legacy identifier for compatibility with Course Discovery.', unique=True)),
                ('display_name', models.CharField(max_length=255)),
                ('subtitle', models.TextField(blank=True)),
                ('description', models.TextField(blank=True)),
                ('image', models.ImageField(blank=True, help_text='Image representing this Learning Path.', null=True, upload_to=learning_paths.models.LearningPath._learning_path_image_upload_path, verbose_name='Image')),
                ('level', models.CharField(blank=True, choices=[('beginner', 'Beginner'), ('intermediate', 'Intermediate'), ('advanced', 'Advanced')], max_length=255)),
                ('duration', models.CharField(blank=True, help_text="Approximate time it should take to complete this Learning Path. Example: '10 Weeks'.", max_length=255)),
                ('time_commitment', models.CharField(blank=True, help_text="Approximate time commitment. Example: '4-6 hours/week'.", max_length=255)),
                ('sequential', models.BooleanField(default=False, help_text='Whether the courses in this Learning Path are meant to be taken sequentially.', verbose_name='Is sequential')),
                ('invite_only', models.BooleanField(default=True, help_text='If enabled, only staff can enroll users and only enrolled users can see the learning path.', verbose_name='Invite only')),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='Skill',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created', model_utils.fields.AutoCreatedField(default=django.utils.timezone.now, editable=False, verbose_name='created')),
                ('modified', model_utils.fields.AutoLastModifiedField(default=django.utils.timezone.now, editable=False, verbose_name='modified')),
                ('display_name', models.CharField(max_length=255)),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='LearningPathEnrollment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created', model_utils.fields.AutoCreatedField(default=django.utils.timezone.now, editable=False, verbose_name='created')),
                ('modified', model_utils.fields.AutoLastModifiedField(default=django.utils.timezone.now, editable=False, verbose_name='modified')),
                ('is_active', models.BooleanField(default=True, help_text='Indicates if the learner is enrolled or not in the Learning Path')),
                ('learning_path', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='learning_paths.learningpath')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'unique_together': {('user', 'learning_path')},
            },
        ),
        migrations.AddField(
            model_name='learningpath',
            name='enrolled_users',
            field=models.ManyToManyField(through='learning_paths.LearningPathEnrollment', to=settings.AUTH_USER_MODEL),
        ),
        migrations.CreateModel(
            name='LearningPathEnrollmentAllowed',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created', model_utils.fields.AutoCreatedField(default=django.utils.timezone.now, editable=False, verbose_name='created')),
                ('modified', model_utils.fields.AutoLastModifiedField(default=django.utils.timezone.now, editable=False, verbose_name='modified')),
                ('email', models.EmailField(db_index=True, max_length=254)),
                ('is_active', models.BooleanField(db_index=True, default=True, help_text='Indicates if the enrollment allowance is active')),
                ('learning_path', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='learning_paths.learningpath')),
                ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'unique_together': {('email', 'learning_path')},
            },
        ),
        migrations.CreateModel(
            name='LearningPathEnrollmentAudit',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created', model_utils.fields.AutoCreatedField(default=django.utils.timezone.now, editable=False, verbose_name='created')),
                ('modified', model_utils.fields.AutoLastModifiedField(default=django.utils.timezone.now, editable=False, verbose_name='modified')),
                ('state_transition', models.CharField(choices=[('from unenrolled to allowed to enroll', 'from unenrolled to allowed to enroll'), ('from allowed to enroll to enrolled', 'from allowed to enroll to enrolled'), ('from enrolled to enrolled', 'from enrolled to enrolled'), ('from enrolled to unenrolled', 'from enrolled to unenrolled'), ('from unenrolled to enrolled', 'from unenrolled to enrolled'), ('from allowed to enroll to unenrolled', 'from allowed to enroll to unenrolled'), ('from unenrolled to unenrolled', 'from unenrolled to unenrolled'), ('N/A', 'N/A')], default='N/A', max_length=255)),
                ('reason', models.TextField(blank=True)),
                ('org', models.CharField(blank=True, db_index=True, max_length=255)),
                ('role', models.CharField(blank=True, max_length=255)),
                ('enrolled_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='learning_path_audit', to=settings.AUTH_USER_MODEL)),
                ('enrollment', models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='audit', to='learning_paths.learningpathenrollment')),
                ('enrollment_allowed', models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='audit', to='learning_paths.learningpathenrollmentallowed')),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='LearningPathGradingCriteria',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('required_completion', models.FloatField(default=0.8, help_text='The minimum average completion (0.0-1.0) across all steps in the learning path required to mark it as completed.')),
                ('required_grade', models.FloatField(default=0.75, help_text='Minimum weighted arithmetic mean grade (0.0-1.0) required across all steps to pass this learning path. The weight of each step is determined by its `weight` field.')),
                ('learning_path', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='grading_criteria', to='learning_paths.learningpath')),
            ],
        ),
        migrations.CreateModel(
            name='LearningPathStep',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created', model_utils.fields.AutoCreatedField(default=django.utils.timezone.now, editable=False, verbose_name='created')),
                ('modified', model_utils.fields.AutoLastModifiedField(default=django.utils.timezone.now, editable=False, verbose_name='modified')),
                ('course_key', opaque_keys.edx.django.models.CourseKeyField(max_length=255)),
                ('order', models.PositiveIntegerField(blank=True, help_text='Ordinal position of this step in the sequence of the Learning Path, if applicable.', null=True, verbose_name='Sequential order')),
                ('weight', models.FloatField(default=1.0, help_text="Weight of this course in the learning path's aggregate grade.Specify as a floating point number between 0 and 1, where 1 represents 100%.", validators=[django.core.validators.MinValueValidator(0.0), django.core.validators.MaxValueValidator(1.0)])),
                ('learning_path', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='steps', to='learning_paths.learningpath')),
            ],
            options={
                'ordering': (models.OrderBy(models.F('order'), nulls_last=True), 'id'),
                'unique_together': {('learning_path', 'course_key')},
            },
        ),
        migrations.CreateModel(
            name='RequiredSkill',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created', model_utils.fields.AutoCreatedField(default=django.utils.timezone.now, editable=False, verbose_name='created')),
                ('modified', model_utils.fields.AutoLastModifiedField(default=django.utils.timezone.now, editable=False, verbose_name='modified')),
                ('level', models.PositiveIntegerField(blank=True, help_text='The skill level associated with this course.', null=True)),
                ('learning_path', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='learning_paths.learningpath')),
                ('skill', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='learning_paths.skill')),
            ],
            options={
                'abstract': False,
                'unique_together': {('learning_path', 'skill')},
            },
        ),
        migrations.CreateModel(
            name='AcquiredSkill',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created', model_utils.fields.AutoCreatedField(default=django.utils.timezone.now, editable=False, verbose_name='created')),
                ('modified', model_utils.fields.AutoLastModifiedField(default=django.utils.timezone.now, editable=False, verbose_name='modified')),
                ('level', models.PositiveIntegerField(blank=True, help_text='The skill level associated with this course.', null=True)),
                ('learning_path', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='learning_paths.learningpath')),
                ('skill', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='learning_paths.skill')),
            ],
            options={
                'abstract': False,
                'unique_together': {('learning_path', 'skill')},
            },
        ),
    ]
