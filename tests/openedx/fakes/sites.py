"""openedx.core.djangoapps.site_configuration's SiteConfiguration and the branding API's email logo, in memory.

``CONFIGURATIONS`` stands for the site configuration table, ``LOOKUPS`` records each look-up by
organisation (the real one is a query) and ``EMAIL_LOGO_URL`` is what the platform's logo
settings would give.
"""

CONFIGURATIONS: list["SiteConfiguration"] = []
LOOKUPS: list[str] = []
EMAIL_LOGO_URL: str | None = None


class SiteConfiguration:
    """site_configuration.models.SiteConfiguration: a site's values, read only while enabled."""

    def __init__(self, site_values: dict, enabled: bool = True):
        self.site_values = site_values
        self.enabled = enabled

    def get_value(self, name, default=None):
        return self.site_values.get(name, default) if self.enabled else default

    @classmethod
    def get_configuration_for_org(cls, org, select_related=None):
        """The enabled configuration whose course_org_filter (one org or a list) names ``org``."""
        LOOKUPS.append(org)
        for configuration in CONFIGURATIONS:
            orgs = configuration.get_value("course_org_filter", [])
            if org in (orgs if isinstance(orgs, list) else [orgs]):
                return configuration
        return None


def add(site_values: dict, enabled: bool = True) -> SiteConfiguration:
    configuration = SiteConfiguration(site_values, enabled)
    CONFIGURATIONS.append(configuration)
    return configuration


def get_logo_url_for_email():
    """lms.djangoapps.branding.api.get_logo_url_for_email: the platform's email logo setting, or None."""
    return EMAIL_LOGO_URL


def reset() -> None:
    global EMAIL_LOGO_URL
    CONFIGURATIONS.clear()
    LOOKUPS.clear()
    EMAIL_LOGO_URL = None
