"""Stand-in for edx-platform's course overviews API (the plugin names a course with it).

The old site's settings list the courses it knows (OLD_SITE_COURSES: key -> display_name and cert_name_long);
any other course has no overview, and the plugin then names it by its key, as on a real site.
"""

from types import SimpleNamespace

from django.conf import settings


def get_course_overview_or_none(course_id):
    course = settings.OLD_SITE_COURSES.get(str(course_id))
    if course is None:
        return None
    return SimpleNamespace(display_name=course.get("display_name", ""), cert_name_long=course.get("cert_name_long", ""))
