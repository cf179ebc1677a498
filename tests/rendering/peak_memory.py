"""Peak memory of one image step, measured in a fresh process: ``python -m tests.rendering.peak_memory STEP FILE``.

STEP ``upload`` validates FILE as an image asset (what saving one does: header, decoding, the
page-sized copy); ``render`` draws a PDF credential with FILE as its image, as a worker does with
what ``asset_load`` serves. Prints one JSON object: the growth of the process's peak resident
size over the step (bytes, from getrusage, so Pillow's C buffers count too) and the limits read
from the settings. A fresh process, warmed up on a small image first, so nothing measured
before the step hides its peak.
"""

import gc
import json
import os
import resource
import sys
from pathlib import Path


def peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux


def main(step: str, path: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")
    import django

    django.setup()
    from django.core.files.base import ContentFile

    from learning_credentials import conf
    from learning_credentials.assets import validate_asset_file
    from learning_credentials.rendering import AssetFile
    from learning_credentials.rendering.builtin import render_pdf
    from tests.factories import template_pdf
    from tests.rendering.conftest import DATA, image_bytes

    files = {"tpl": AssetFile.from_bytes("tpl", template_pdf(), "pdf_template")}
    options = {"template": "tpl", "images": {"logo": {"image": "logo", "x": 0, "y": 0, "width": 792}}}

    def run(data: bytes) -> None:
        if step == "upload":
            validate_asset_file(kind="image", file=ContentFile(data, name="upload.png"))
        else:
            files["logo"] = AssetFile.from_bytes("logo", data, "image")
            render_pdf(data=DATA, options=options, load_asset=files.__getitem__)

    run(image_bytes((10, 20, 30), (64, 32), "PNG", "RGB"))  # imports, fonts, template, skeleton caches
    data = Path(path).read_bytes()
    gc.collect()
    before = peak_rss()
    run(data)
    print(
        json.dumps(
            {
                "peak_growth": peak_rss() - before,
                "baseline": before,
                "max_pixels": conf.get("IMAGE_MAX_PIXELS"),
                "page_pixels": conf.get("IMAGE_PAGE_PIXELS"),
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
