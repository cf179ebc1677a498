"""Asset loading: a credential asset's file for rendering, read once per version and process."""

from ..exceptions import AssetMissing
from ..models import CredentialAsset
from ..rendering import AssetFile, asset_bytes_cache


def asset_load(slug: str) -> AssetFile:
    """The asset ``slug`` with its kind and version; its bytes are read on first use, once per version.

    An image's bytes are its page-sized copy when it has one: what is drawn, never the larger original.
    AssetMissing when there is no such asset, or (on reading) no such file.
    """
    asset = CredentialAsset.objects.filter(slug=slug).only("slug", "kind", "file", "page_copy", "content_hash").first()
    if asset is None:
        raise AssetMissing(f"There is no credential asset with the slug '{slug}'.")
    drawn = asset.page_copy if asset.kind == CredentialAsset.Kind.IMAGE and asset.page_copy else asset.file
    name, storage = drawn.name, drawn.storage

    def read() -> bytes:
        try:
            with storage.open(name, "rb") as file:
                return file.read()
        except (FileNotFoundError, OSError) as exc:
            raise AssetMissing(f"The file of credential asset '{slug}' cannot be read: {exc}") from exc

    if not asset.content_hash:  # saved before content hashes were recorded: the bytes are the version
        return AssetFile.from_bytes(slug, read(), kind=asset.kind)
    key = (slug, asset.content_hash, name)
    return AssetFile(
        slug=slug, kind=asset.kind, content_hash=asset.content_hash, read=lambda: asset_bytes_cache.get(key, read)
    )
