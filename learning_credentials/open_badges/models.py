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
    base_url = models.URLField(
        _("base URL"),
        editable=False,
        help_text=_("Where its DID document, keys and status lists are served (the DID's host); fixed at creation."),
    )
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
        _("key id"),
        max_length=64,
        help_text=_(
            "The fragment of its verification method: the method reads as the issuer's DID, “#” and this key id."
        ),
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


class StatusList(models.Model):
    """
    One issuer's Bitstring Status List for one purpose: a bit per credential, at a random index.

    Verifiers download the whole list, so nobody learns which credential was checked; a list takes
    new entries until half full, so that a random free index is quick to find.

    .. no_pii:
    """

    class Purpose(models.TextChoices):
        REVOCATION = "revocation", _("Revocation")
        SUSPENSION = "suspension", _("Suspension")

    issuer = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="status_lists")
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    number = models.PositiveIntegerField(_("number"), help_text=_("1, 2, ... per issuer and purpose."))
    size = models.PositiveIntegerField(_("entries"))
    bits = models.BinaryField(_("bits"), help_text=_("One bit per entry; index 0 is the first byte's top bit."))
    used = models.PositiveIntegerField(_("entries used"), default=0)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    changed = models.DateTimeField(_("changed"), help_text=_("When a bit last changed."))
    signed = models.JSONField(
        _("signed list"), null=True, blank=True, editable=False, help_text=_("The list credential as last signed.")
    )
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("status list")
        verbose_name_plural = _("status lists")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "purpose", "number"], name="lc_ob_unique_status_list_number")
        ]

    def __str__(self) -> str:
        return self.public_id

    @property
    def public_id(self) -> str:
        """How its URL names it: <issuer slug>-<purpose>-<number>."""
        return f"{self.issuer.slug}-{self.purpose}-{self.number}"


class StatusEntry(models.Model):
    """
    A credential's index in one of its issuer's status lists, one per purpose.

    .. no_pii:
    """

    credential = models.ForeignKey(
        "learning_credentials.Credential", on_delete=models.CASCADE, related_name="open_badges_status"
    )
    status_list = models.ForeignKey(StatusList, on_delete=models.PROTECT, related_name="entries")
    purpose = models.CharField(_("purpose"), max_length=16, choices=StatusList.Purpose.choices)
    index = models.PositiveIntegerField(_("index"))

    class Meta:
        verbose_name = _("status entry")
        verbose_name_plural = _("status entries")
        constraints = [
            models.UniqueConstraint(fields=["status_list", "index"], name="lc_ob_unique_status_index"),
            models.UniqueConstraint(fields=["credential", "purpose"], name="lc_ob_one_status_entry_per_purpose"),
        ]

    def __str__(self) -> str:
        return f"{self.status_list}#{self.index}"


class SignedCredential(models.Model):
    """
    A credential's signed Open Badges documents, made once and served as they are.

    .. pii: The salt of the learner's hashed email; the signed documents print the learner's name.
    .. pii_types: name
    .. pii_retirement: local_api (deleted when the learner is retired)
    """

    credential = models.OneToOneField(
        "learning_credentials.Credential", on_delete=models.CASCADE, primary_key=True, related_name="open_badge"
    )
    salt = models.CharField(_("salt"), max_length=64, help_text=_("Of the learner's hashed email in the documents."))
    jwt = models.TextField(_("VC-JWT"), blank=True)
    jwt_key = models.ForeignKey(SigningKey, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    document = models.JSONField(_("signed document"), null=True, blank=True, help_text=_("ob3.json, with its proof."))
    document_key = models.ForeignKey(SigningKey, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("signed credential")
        verbose_name_plural = _("signed credentials")

    def __str__(self) -> str:
        return str(self.credential_id)
