"""Issuers and their signing keys.

An issuer stands for an organisation (its courses' credentials name it) or, with no organisation,
for the platform. Its DID is fixed when it is created: every credential it signs names it, so it
must resolve for as long as those credentials exist.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from model_utils.models import TimeStampedModel


class Issuer(TimeStampedModel):
    """
    Who signs a context's credentials: an organisation, or the platform (``organization`` empty).

    .. no_pii:
    """

    slug = models.SlugField(
        _("slug"), max_length=64, unique=True, help_text=_("Part of the issuer's DID and URLs; fixed once created.")
    )
    organization = models.CharField(
        _("organization"),
        max_length=255,
        unique=True,
        blank=True,
        help_text=_("The organisation code of the courses it issues for (e.g. DemoX); empty: the platform default."),
    )
    name = models.CharField(_("name"), max_length=255, help_text=_("Shown to employers and in wallets."))
    url = models.URLField(_("URL"), help_text=_("The organisation's home page."))
    email = models.EmailField(_("email"), blank=True, help_text=_("Where to ask about its credentials."))
    image = models.URLField(_("image"), blank=True, help_text=_("URL of its logo."))
    description = models.TextField(_("description"), blank=True)
    did = models.CharField(
        _("DID"),
        max_length=512,
        unique=True,
        editable=False,
        help_text=_("did:web identifier, fixed at creation: credentials it signed name it."),
    )

    class Meta:
        verbose_name = _("Open Badges issuer")
        verbose_name_plural = _("Open Badges issuers")

    def __str__(self) -> str:
        return self.name


class SigningKey(models.Model):
    """
    One of an issuer's key pairs: Ed25519 for Data Integrity proofs, P-256 for VC-JWTs.

    The public key stays published for as long as the row exists, so credentials it signed keep
    verifying after a rotation; a revoked key is published as revoked and its credentials fail.

    .. no_pii:
    """

    class Algorithm(models.TextChoices):
        ED25519 = "Ed25519", _("Ed25519 (Data Integrity, eddsa-rdfc-2022)")
        P256 = "P-256", _("P-256 (VC-JWT, ES256)")

    issuer = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="keys", verbose_name=_("issuer"))
    key_id = models.CharField(
        _("key id"), max_length=64, help_text=_("The fragment of its verification method: <issuer DID>#<key id>.")
    )
    algorithm = models.CharField(_("algorithm"), max_length=16, choices=Algorithm.choices)
    public_jwk = models.JSONField(_("public key (JWK)"), help_text=_("The public key, as a JSON Web Key."))
    private_key = models.TextField(
        _("private key (encrypted)"),
        blank=True,
        editable=False,
        help_text=_("Encrypted with OPEN_BADGES['KEY_ENCRYPTION_KEYS']; empty when the key is read from PRIVATE_KEYS."),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True, help_text=_("When it was published."))
    signs_from = models.DateTimeField(_("signs from"), help_text=_("Published first, it signs from then on."))
    revoked_at = models.DateTimeField(
        _("revoked at"), null=True, blank=True, help_text=_("Compromised: what it signed no longer verifies.")
    )
    revoked_reason = models.TextField(_("why revoked"), blank=True)

    class Meta:
        verbose_name = _("signing key")
        verbose_name_plural = _("signing keys")
        constraints = [models.UniqueConstraint(fields=["issuer", "key_id"], name="lc_ob_unique_key_id_per_issuer")]

    def __str__(self) -> str:
        return f"{self.issuer.slug}#{self.key_id} ({self.algorithm})"

    @property
    def verification_method(self) -> str:
        return f"{self.issuer.did}#{self.key_id}"
