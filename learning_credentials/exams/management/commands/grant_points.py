"""Grant points to learners' built-in accounts (a welcome gift, a support gesture), recorded with a note."""

from django.core.management.base import BaseCommand, CommandError

from ....models import CredentialEvent
from ....problems import names
from ....selectors import user_get
from ...services import points_grant


class Command(BaseCommand):
    help = "Grant POINTS points to each USERNAME's account, with a note that says why."

    def add_arguments(self, parser):
        parser.add_argument("points", type=int, help="Points to add to each account (at least 1).")
        parser.add_argument("usernames", nargs="+", metavar="USERNAME", help="Learners to grant them to.")
        parser.add_argument("--note", required=True, help="Why, kept on each entry (e.g. 'Welcome gift').")

    def handle(self, *args, points: int, usernames: list[str], note: str, **options):
        if points < 1:
            raise CommandError("Grant at least one point.")
        learners = {username: user_get(username=username) for username in usernames}
        unknown = [username for username, learner in learners.items() if learner is None]
        if unknown:  # before granting anything: all or nothing
            raise CommandError(f"No user named {names(unknown)}; nothing was granted.")
        for username, learner in learners.items():
            points_grant(
                user_id=learner.pk, amount=points, note=note[:255], activity_source=CredentialEvent.Source.COMMAND
            )
            self.stdout.write(f"{username}: +{points} points")
