"""Stand-in for edx-platform's common.djangoapps.util.date_utils (the plugin prints the issue date with it)."""


def strftime_localized(dtime, format):
    """edx-platform translates month and day names; in English it is strftime."""
    return dtime.strftime(format)
