import itertools

import pytest

from learning_credentials.exceptions import InvalidTransition
from learning_credentials.lifecycle import Status, check_transition, is_final

ALLOWED = {
    (Status.GENERATING, Status.AVAILABLE),
    (Status.GENERATING, Status.ERROR),
    (Status.ERROR, Status.GENERATING),
    (Status.GENERATING, Status.INVALIDATED),
    (Status.AVAILABLE, Status.INVALIDATED),
    (Status.ERROR, Status.INVALIDATED),
}


@pytest.mark.parametrize("current,target", sorted(ALLOWED))
def test_allowed_transitions_pass(current, target):
    check_transition(current, target)


@pytest.mark.parametrize(
    "current,target",
    sorted(set(itertools.product(Status.values, Status.values)) - {(a.value, b.value) for a, b in ALLOWED}),
)
def test_every_other_transition_is_refused(current, target):
    with pytest.raises(InvalidTransition, match=f"from '{current}' to '{target}'"):
        check_transition(current, target)


def test_only_invalidated_is_final():
    assert [status for status in Status.values if is_final(status)] == [Status.INVALIDATED]


def test_unknown_status_is_refused():
    with pytest.raises(InvalidTransition):
        check_transition("bogus", Status.AVAILABLE)
