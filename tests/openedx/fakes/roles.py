"""Stand-in for common.djangoapps.student.roles: course and org roles held in memory.

The real RoleBase.has_user reads the user's CourseAccessRole rows; here a role is the tuple
(user id, role name, org, course key string or "") in ASSIGNMENTS, added with ``add_users``.
"""

ASSIGNMENTS: set[tuple[int, str, str, str]] = set()


class RoleBase:
    def __init__(self, role_name, org="", course_key=None):
        self.org = org
        self.course_key = course_key
        self._role_name = role_name

    def _assignment(self, user) -> tuple[int, str, str, str]:
        return (user.id, self._role_name, self.org, str(self.course_key) if self.course_key else "")

    def has_user(self, user, check_user_activation=True):
        if check_user_activation and not (user.is_authenticated and user.is_active):
            return False
        return self._assignment(user) in ASSIGNMENTS

    def add_users(self, *users):
        ASSIGNMENTS.update(self._assignment(user) for user in users)


class CourseRole(RoleBase):
    def __init__(self, role, course_key):
        super().__init__(role, course_key.org, course_key)


class OrgRole(RoleBase):
    pass


class CourseStaffRole(CourseRole):
    ROLE = "staff"

    def __init__(self, *args, **kwargs):
        super().__init__(self.ROLE, *args, **kwargs)


class CourseInstructorRole(CourseRole):
    ROLE = "instructor"

    def __init__(self, *args, **kwargs):
        super().__init__(self.ROLE, *args, **kwargs)


class OrgStaffRole(OrgRole):
    def __init__(self, *args, **kwargs):
        super().__init__("staff", *args, **kwargs)


class OrgInstructorRole(OrgRole):
    def __init__(self, *args, **kwargs):
        super().__init__("instructor", *args, **kwargs)
