"""The host's adapter: this minimal LMS has users and nothing else (no courses, grades or paths).

A real Open edX keeps the plugin's default, the Open edX adapter, which needs edx-platform itself;
its behaviour is checked by the adapter contract suite against fakes with recorded signatures.
"""

from django.contrib.auth import get_user_model

from learning_credentials.adapters.base import Learner, Site
from learning_credentials.exceptions import ConfigurationError


class HostAdapter:
    def get_learners(self, user_ids):
        users = get_user_model().objects.filter(pk__in=user_ids)
        return {
            u.pk: Learner(user_id=u.pk, username=u.username, full_name=u.get_full_name(), email=u.email) for u in users
        }

    def get_enrolled_user_ids(self, context_key, user_ids=None, modes=None):
        return []

    def get_context_names(self, context_keys):
        return {}

    def get_sites(self, context_keys):
        return dict.fromkeys(context_keys, Site(platform_name="Wheel Check LMS"))

    def get_organization_name(self, context_key):
        return "Wheel Check University"

    def get_grading_policy(self, course_key):
        raise ConfigurationError(f"This host has no course {course_key}.")

    def get_grades(self, course_key, user_ids):
        return {}

    def get_completion(self, course_key, user_ids):
        return {}

    def get_learner_completion(self, user_id, course_keys):
        return {}

    def get_learner_courses(self, user_id):
        return {}

    def get_learning_path_steps(self, path_key):
        return []

    def is_course_staff(self, user, context_key):
        return False
