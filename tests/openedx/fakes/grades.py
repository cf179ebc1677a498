"""Stand-ins for the grades API (lms.djangoapps.grades.api) and what it returns.

A learner's grade is what the platform would read from its persisted grades: the stored
``percent`` plus the graded subsections, from which ``grader_result()`` recomputes the
breakdown the way xmodule.graders does (same result shape; no labels, details or
``show_only_average``). Learners without a grade get a ZeroCourseGrade, as with the platform.
"""

from collections import OrderedDict, namedtuple

from opaque_keys.edx.keys import UsageKey

# (str(course key), user id) -> CourseGrade, or the exception grading that learner raises.
GRADES: dict[tuple[str, int], "CourseGrade | Exception"] = {}
# ("prefetch" | "clear", str(course key), user ids) in call order.
PREFETCH_LOG: list[tuple[str, str, list[int]]] = []


class AggregatedScore:
    """xmodule.graders.AggregatedScore: weighted points of a subsection."""

    def __init__(self, tw_earned, tw_possible):
        self.earned = float(tw_earned)
        self.possible = float(tw_possible)


class SubsectionGrade:
    """lms.djangoapps.grades.subsection_grade.ReadSubsectionGrade, reduced to what the grader reads."""

    def __init__(self, location: UsageKey, format: str, earned: float, possible: float):
        self.location = location
        self.format = format
        self.graded = True
        self.graded_total = AggregatedScore(earned, possible)


def grade(raw_grader: list[dict], grade_sheet: dict) -> dict:
    """What grader_from_conf(raw_grader).grade(grade_sheet) returns, for AssignmentFormatGrader policies."""
    total, section_breakdown, grade_breakdown = 0.0, [], OrderedDict()
    for conf in raw_grader:
        category, weight = conf["type"], conf.get("weight", 0)
        scores = [s.graded_total.earned / s.graded_total.possible for s in grade_sheet.get(category, {}).values()]
        scores += [0.0] * (int(conf["min_count"]) - len(scores))
        kept = sorted(scores, reverse=True)[: len(scores) - conf.get("drop_count", 0)]
        average = sum(kept) / len(kept) if kept else 0.0
        entries = [{"percent": score, "category": category} for score in scores]
        if len(entries) == 1:
            entries = [{"percent": average, "category": category, "prominent": True}]
        elif not conf.get("hide_average", False):
            entries.append({"percent": average, "category": category, "prominent": True})
        section_breakdown += entries
        grade_breakdown[category] = {"percent": average * weight, "category": category}
        total += average * weight
    return {"percent": total, "section_breakdown": section_breakdown, "grade_breakdown": grade_breakdown}


class CourseGradeBase:
    """lms.djangoapps.grades.course_grade.CourseGradeBase."""

    def __init__(self, raw_grader: list[dict], subsections: list[SubsectionGrade], percent: float = 0.0):
        self._raw_grader = raw_grader
        self._subsections = subsections
        self.percent = percent

    @property
    def attempted(self):
        return False

    def graded_subsections_by_format(self, visible_grades_only=False, has_staff_access=False):
        by_format: dict[str, OrderedDict] = {}
        for subsection in self._subsections:
            if subsection.graded and subsection.graded_total.possible > 0:
                by_format.setdefault(subsection.format, OrderedDict())[subsection.location] = subsection
        return by_format

    def grader_result(self, visible_grades_only=False, has_staff_access=False):
        return grade(self._raw_grader, self.graded_subsections_by_format(visible_grades_only, has_staff_access))


class ZeroCourseGrade(CourseGradeBase):
    """No persisted grade: nothing attempted."""


class CourseGrade(CourseGradeBase):
    """A persisted grade: ``percent`` is the stored percent_grade, authoritative."""

    @property
    def attempted(self):
        return True


class CourseGradeFactory:
    GradeResult = namedtuple("GradeResult", ["student", "course_grade", "error"])

    def iter(self, users, course=None, collected_block_structure=None, course_key=None, force_update=False):
        course_key = course_key or course.id
        for user in users:
            course_grade = GRADES.get((str(course_key), user.id))
            if isinstance(course_grade, Exception):
                yield self.GradeResult(user, None, course_grade)
            else:
                yield self.GradeResult(user, course_grade or ZeroCourseGrade([], []), None)


def prefetch_course_and_subsection_grades(course_key, users):
    PREFETCH_LOG.append(("prefetch", str(course_key), [user.id for user in users]))


def clear_prefetched_course_grades(course_key):
    PREFETCH_LOG.append(("clear", str(course_key), []))
