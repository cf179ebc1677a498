"""Settings of the test suite: the sandbox's, plus the real Open edX plugin apps the Open edX adapter reads.

edx-completion (BlockCompletion), openedx-completion-aggregator (Aggregator, StaleCompletion) and
learning-paths-plugin (LearningPath...) install from the package index, so their own models are
used instead of fakes. The Celery worker of the integration tests keeps the sandbox's settings.
"""

from sandbox.settings import *  # noqa: F403 - the sandbox host is the base of every test
from sandbox.settings import INSTALLED_APPS

INSTALLED_APPS = [
    *INSTALLED_APPS,
    # What completion_aggregator's AppConfig.ready() imports needs these two apps' models.
    "config_models",
    "event_routing_backends",
    "completion",
    "completion_aggregator",
    "learning_paths",
]

# The plugins' own migrations do not run everywhere the suite runs: completion_aggregator's 0004
# runs MySQL-only SQL (RENAME INDEX), and learning_paths' history creates one index twice on
# PostgreSQL. Their tables come from one migration each, made from the installed models.
MIGRATION_MODULES = {
    "completion_aggregator": "tests.openedx.schemas.aggregator.migrations",
    "learning_paths": "tests.openedx.schemas.learning_paths.migrations",
}

# The aggregator's plugin settings as the LMS's plugin loader would set them, in asynchronous mode:
# a new BlockCompletion marks the learner's aggregates stale (StaleCompletion) and a cron job, not
# the save, recomputes them. Synchronous mode would call the platform's course blocks API.
COMPLETION_AGGREGATOR_BLOCK_TYPES = {"course", "chapter", "sequential", "vertical"}
COMPLETION_AGGREGATOR_TRACKING_EVENT_TYPES = set(COMPLETION_AGGREGATOR_BLOCK_TYPES)
COMPLETION_AGGREGATOR_ASYNC_AGGREGATION = True
COMPLETION_AGGREGATOR_AGGREGATE_UNRELEASED_BLOCKS = False
COMPLETION_AGGREGATOR_USE_COLLECTED_BLOCK_STRUCTURE = False
