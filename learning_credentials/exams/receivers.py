"""What the exams sub-app does when the core's signals fire, in the core's transaction."""

from .models import Entitlement, PointsAccount


def erase_for_retired_learner(sender, user_id, **kwargs) -> None:
    """A learner is retired: their payment references and points history go.

    The references' hashes stay, so a retired learner's payment still cannot grant a second
    entitlement; a hash says nothing without the reference.
    """
    Entitlement.objects.filter(user_id=user_id).update(reference="")
    PointsAccount.objects.filter(user_id=user_id).delete()
