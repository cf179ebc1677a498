"""Stand-ins for xmodule's modulestore (``modulestore().get_course``) and CourseBlock's grading policy."""

from opaque_keys.edx.keys import CourseKey

# str(course key) -> CourseBlock; tests fill it, the ``openedx`` fixture empties it.
COURSES: dict[str, "CourseBlock"] = {}


class CourseBlock:
    """xmodule.course_block.CourseBlock, reduced to the grading policy properties."""

    def __init__(self, course_key: CourseKey, grader: list[dict], grade_cutoffs: dict[str, float]):
        self.id = course_key
        self.grading_policy = {"GRADER": grader, "GRADE_CUTOFFS": grade_cutoffs}

    @property
    def raw_grader(self) -> list[dict]:
        return self.grading_policy["GRADER"]

    @property
    def grade_cutoffs(self) -> dict[str, float]:
        return self.grading_policy["GRADE_CUTOFFS"]

    @property
    def lowest_passing_grade(self) -> float:
        return min(self.grade_cutoffs.values())


class MixedModuleStore:
    """xmodule.modulestore.mixed.MixedModuleStore: None for a course it does not hold."""

    def get_course(self, course_key, depth=0, **kwargs):
        assert isinstance(course_key, CourseKey)
        return COURSES.get(str(course_key))


_STORE = MixedModuleStore()


def modulestore():
    return _STORE
