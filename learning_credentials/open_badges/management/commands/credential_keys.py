"""Issuers' signing keys: create (an issuer's first keys), rotate, list, revoke, and re-encrypt after a new KEK."""

from django.core.management.base import BaseCommand, CommandError

from ....exceptions import ConfigurationError
from ...credentials import signed_credentials_resign
from ...issuers import issuer_create, issuer_platform
from ...keys import key_revoke, keys_ensure, keys_reencrypt, keys_rotate
from ...models import Issuer, SigningKey

HEADER = ("issuer", "key id", "algorithm", "published", "signs from", "revoked")


class Command(BaseCommand):
    help = (
        "Manage the Open Badges issuers' signing keys. create: an issuer (and the platform's) gets its first keys; "
        "rotate: new keys, signing after OPEN_BADGES['SIGNING_DELAY_SECONDS']; list; revoke --key ISSUER#KEY_ID "
        "--reason TEXT; resign --key ISSUER#KEY_ID: what a revoked key signed, signed again with the current keys; "
        "reencrypt: every stored private key under the newest key-encryption key."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=("create", "rotate", "list", "revoke", "resign", "reencrypt"))
        parser.add_argument("--issuer", help="Issuer slug (default: the platform's issuer).")
        parser.add_argument("--organization", help="create: make the issuer of this organisation code if missing.")
        parser.add_argument("--name", help="create: the new issuer's name.")
        parser.add_argument("--url", help="create: the new issuer's home page.")
        parser.add_argument("--key", help="revoke, resign: ISSUER#KEY_ID as 'list' shows it.")
        parser.add_argument("--reason", default="", help="revoke: why (kept with the key).")

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except ConfigurationError as exc:
            raise CommandError(exc.message) from None

    def _issuer(self, slug: str | None) -> Issuer:
        if not slug:
            return issuer_platform()
        issuer = Issuer.objects.filter(slug=slug).first()
        if issuer is None:
            raise CommandError(
                f"No issuer '{slug}'. Known: {', '.join(Issuer.objects.values_list('slug', flat=True)) or 'none'}."
            )
        return issuer

    def _create(self, *, issuer=None, organization=None, name=None, url=None, **options):
        if organization is not None and not Issuer.objects.filter(organization=organization).exists():
            if not name or not url:
                raise CommandError("A new issuer needs --name and --url as well as --organization.")
            target = issuer_create(organization=organization, name=name, url=url, slug=issuer or "")
        else:
            target = Issuer.objects.get(organization=organization) if organization is not None else self._issuer(issuer)
        for key in keys_ensure(issuer=target):
            self.stdout.write(f"{target.slug}#{key.key_id} {key.algorithm} signs from {key.signs_from:%Y-%m-%d %H:%M}")
        self.stdout.write(f"issuer {target.slug}: {target.did}")

    def _rotate(self, *, issuer=None, **options):
        target = self._issuer(issuer)
        for key in keys_rotate(issuer=target):
            self.stdout.write(
                f"published {target.slug}#{key.key_id} ({key.algorithm}); signs from {key.signs_from:%Y-%m-%d %H:%M}"
            )

    def _list(self, *, issuer=None, **options):
        keys = SigningKey.objects.select_related("issuer").order_by("issuer__slug", "created", "pk")
        if issuer:
            keys = keys.filter(issuer=self._issuer(issuer))
        self.stdout.write("\t".join(HEADER))
        for key in keys:
            revoked = f"{key.revoked_at:%Y-%m-%d %H:%M} {key.revoked_reason}".strip() if key.revoked_at else ""
            self.stdout.write(
                "\t".join(
                    (
                        key.issuer.slug,
                        key.key_id,
                        key.algorithm,
                        f"{key.created:%Y-%m-%d %H:%M}",
                        f"{key.signs_from:%Y-%m-%d %H:%M}",
                        revoked,
                    )
                )
            )

    def _key(self, name: str | None, action: str) -> SigningKey:
        slug, _, key_id = (name or "").partition("#")
        found = SigningKey.objects.filter(issuer__slug=slug, key_id=key_id).first()
        if found is None:
            raise CommandError(f"Name the key to {action} with --key ISSUER#KEY_ID (see 'credential_keys list').")
        return found

    def _resign(self, *, key=None, **options):
        found = self._key(key, "re-sign the credentials of")
        self.stdout.write(f"re-signed {signed_credentials_resign(key=found)} credentials that {key} had signed")

    def _revoke(self, *, key=None, reason="", **options):
        found = self._key(key, "revoke")
        slug, _, key_id = key.partition("#")
        if not reason.strip():
            raise CommandError("Say why with --reason: it is kept with the key.")
        key_revoke(key=found, reason=reason.strip())
        self.stdout.write(f"revoked {slug}#{key_id}: what it signed no longer verifies")

    def _reencrypt(self, **options):
        self.stdout.write(f"re-encrypted {keys_reencrypt()} private keys with the newest key-encryption key")
