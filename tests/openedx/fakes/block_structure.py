"""Stand-ins for the platform's collected course block structure and the visibility transformer.

``get_course_in_cache`` (openedx.core.djangoapps.content.block_structure.api) returns the
course's BlockStructureBlockData as collected by every registered transformer: among them the
completion transformer's ``completion_mode`` xblock field and the visibility transformer's
merged ``visible_to_staff_only``. Tests build structures with ``course_structure`` and
``add_block``; READS records each course whose structure was read.
"""

from collections import defaultdict

from opaque_keys.edx.keys import CourseKey, UsageKey

# str(course key) -> its structure; tests fill it, the ``openedx`` fixture empties it.
STRUCTURES: dict[str, "BlockStructureBlockData"] = {}
READS: list[str] = []


class VisibilityTransformer:
    """lms.djangoapps.course_blocks.transformers.visibility.VisibilityTransformer: its name and merged field."""

    MERGED_VISIBLE_TO_STAFF_ONLY = "merged_visible_to_staff_only"

    @classmethod
    def name(cls):
        return "visibility"


class BlockStructureBlockData:
    """openedx.core.djangoapps.content.block_structure.block_structure.BlockStructureBlockData, read-only."""

    def __init__(self, root_block_usage_key):
        self.root_block_usage_key = root_block_usage_key
        self._children: dict[UsageKey, list[UsageKey]] = defaultdict(list)
        self._xblock_fields: dict[UsageKey, dict] = defaultdict(dict)
        self._transformer_fields: dict[tuple[UsageKey, str], dict] = defaultdict(dict)

    def get_children(self, usage_key):
        return list(self._children.get(usage_key, []))

    def get_xblock_field(self, usage_key, field_name, default=None):
        return self._xblock_fields.get(usage_key, {}).get(field_name, default)

    def get_transformer_block_field(self, usage_key, transformer, key, default=None):
        return self._transformer_fields.get((usage_key, transformer.name()), {}).get(key, default)


def get_course_in_cache(course_key):
    READS.append(str(course_key))
    return STRUCTURES[str(course_key)]


# The completion mode each block type's class declares (xblock.completable.XBlockCompletionMode values).
MODES = {
    "course": "aggregator",
    "chapter": "aggregator",
    "sequential": "aggregator",
    "vertical": "aggregator",
    "library_content": "aggregator",
    "split_test": "aggregator",
    "discussion": "excluded",
}


def course_structure(course_key: CourseKey) -> UsageKey:
    """A new, empty structure for the course; returns its root block's key."""
    root = course_key.make_usage_key("course", "course")
    structure = BlockStructureBlockData(root)
    structure._xblock_fields[root]["completion_mode"] = MODES["course"]
    STRUCTURES[str(course_key)] = structure
    return root


def add_block(
    parent: UsageKey, block_type: str, block_id: str, *, staff_only: bool = False, optional: bool = False
) -> UsageKey:
    """A child of ``parent`` as the platform collects it; staff_only is merged down, like the transformer's."""
    structure = STRUCTURES[str(parent.course_key)]
    key = parent.course_key.make_usage_key(block_type, block_id)
    structure._children[parent].append(key)
    structure._xblock_fields[key]["completion_mode"] = MODES.get(block_type, "completable")
    if optional:
        structure._xblock_fields[key]["optional_completion"] = True
    merged = staff_only or structure.get_transformer_block_field(
        parent, VisibilityTransformer, VisibilityTransformer.MERGED_VISIBLE_TO_STAFF_ONLY, False
    )
    structure._transformer_fields[(key, VisibilityTransformer.name())][
        VisibilityTransformer.MERGED_VISIBLE_TO_STAFF_ONLY
    ] = merged
    return key
