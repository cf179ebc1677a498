"""PDF credentials: our generator against the common pypdf + reportlab approach, in the same run.

Both sides draw the same elements (learner name, context name, issue date, verify URL and
code, a QR code from the same segno call: the short link to the verification page that issued
credentials encode, or with ``--qr page`` the page URL) with the same TrueType font on the
same template: landscape A4 with vector art and a 200 KB logo. Names come from a fixed seed
over Latin with diacritics, Greek and Cyrillic; about 1% also hold CJK characters, which the
benchmark font lacks, so they need the fallback font.

The common approach, per learner: re-read the template with pypdf, draw a reportlab overlay
(the fonts registered once per process; glyphs the font lacks in the fallback font, so both
sides print every name), ``merge_page``, ``PdfWriter.write``; no encryption. Its QR code is
drawn as ours is, one square per dark module in one filled path (``speedup``). Two cheaper
drawings of the common approach are timed and checked alike: each row's adjacent dark modules
merged into one rectangle, as reportlab's own QR widget draws (``speedup_runs``), and segno's
PNG placed as an image (``speedup_png``). All four take turns, 50 credentials each.

Ours also embeds each learner's signed credential (a real VC-JWT of about 2 KB, ``credential.jwt``)
and writes the verification URL and code into the metadata, as issued PDFs do; the common approach
embeds nothing, so ours does more work per file. ``ours_bare`` is ours without the embedded file,
timed in the same turns, so the file's cost is read off the same run.

Every output of both sides is checked (it parses, has one page, its text contains the name; ours
also carries the learner's own token and code);
a sample is rasterised with pdftoppm and its QR code read by zbarimg; every QR code of the run
is read by zbarimg too (the fixed mask must not cost a single scan). Then memory: RSS after
1,000 and (with ``--memory-n 10000``) 10,000 more credentials in the same process.

    .venv/bin/python benchmarks/render.py [--n 1000] [--memory-n 10000]

Needs no database: the assets are handed to the generator by an in-memory loader.
"""

import argparse
import dataclasses
import gc
import io
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import segno
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from PIL import Image
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from learning_credentials.open_badges.documents import (
    BadgeFacts,
    StatusEntry,
    credential_document,
    identity_hash,
    vc_jwt,
)
from learning_credentials.rendering import AssetFile, Attachment, CredentialData
from learning_credentials.rendering.builtin import generate_pdf_credential
from learning_credentials.rendering.qr import QR_BORDER, QR_SETTINGS, qr_runs

# No database and no apps: the texts the renderer writes into the metadata are left untranslated.
settings.configure(USE_I18N=False)

ISSUER = "did:web:lms.example.com:learning_credentials:issuers:demox"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
FALLBACK_FONT = Path("/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf")
WIDTH, HEIGHT = landscape(A4)
QR_SIZE, QR_MARGIN = 72, 36
CHUNK = 50
# (text, size, y as a fraction of the height): the documented defaults of the standard elements.
ELEMENTS = (
    ("{name}", 32, 0.55),
    ("{context_name}", 20, 0.44),
    ("{issue_date}", 12, 0.33),
    ("Verify at {verify_url}", 9, 0.07),
    ("Verification code: {verify_code}", 9, 0.045),
)
OPTIONS = {
    "template": "bench-template",
    "font": "bench-font",
    "fallback_font": "bench-fallback",
    "elements": {"score": False},
    "qr": {"x": WIDTH - QR_MARGIN - QR_SIZE, "y": QR_MARGIN, "size": QR_SIZE},
}

FIRST = {
    "latin": ["Zoë", "Ångström", "Łucja", "Søren", "Ñuria", "Çağla", "Đặng", "Jürgen", "Šárka", "Ólafur", "Inês"],
    "greek": ["Γιώργος", "Ελένη", "Δημήτρης", "Αικατερίνη", "Νίκος", "Σοφία", "Παναγιώτης"],
    "cyrillic": ["Наталья", "Дмитрий", "Олена", "Ёжи", "Алексей", "Ирина", "Святослав"],
}
LAST = {
    "latin": ["Ångström", "Wałęsa", "Ørsted", "Núñez", "Şahin", "Nguyễn", "Müller-Lüdenscheidt", "Dvořák"],
    "greek": ["Παπαδόπουλος", "Οικονόμου", "Γεωργίου", "Καραμανλής", "Βασιλείου"],
    "cyrillic": ["Кузнецова", "Щербаков", "Шевченко", "Иванов-Петров", "Добрыня"],
}
CJK = ["山田", "佐藤", "高橋", "鈴木", "渡辺"]


def signed_token(rng: random.Random, key, name: str, verify_uuid: str) -> bytes:
    """A real VC-JWT of the learner's Open Badge (what issued PDFs embed), signed before any timing."""
    facts = BadgeFacts(
        verify_uuid=uuid.UUID(verify_uuid),
        issuer={
            "id": "did:web:lms.example.com:learning_credentials:issuers:demox",
            "type": ["Profile"],
            "name": "DemoX",
        },
        valid_from=datetime(2026, 11, 23, 12, tzinfo=UTC),
        valid_until=None,
        name="Certificate of Completion: Introduction to Computing",
        achievement_id="https://lms.example.com/learning_credentials/achievements/certificate/course-v1:DemoX+CS101+2026",
        achievement_name="Certificate of Completion",
        achievement_description="Certificate of Completion: Introduction to Computing, awarded by DemoX.",
        criteria="Met the requirements DemoX set for Certificate of Completion in Introduction to Computing.",
        achievement_image=None,
        email_hash=identity_hash(f"learner{rng.getrandbits(32)}@example.com", "0" * 32),
        email_salt="0" * 32,
        holder_name=name,
        score=None,
        status=StatusEntry(
            list_url="https://lms.example.com/learning_credentials/status/demox-revocation-1/",
            index=rng.randrange(131072),
            purpose="revocation",
        ),
        evidence_url=f"https://lms.example.com/learning_credentials/verify/{verify_uuid}/",
    )
    return vc_jwt(credential_document(facts), key=key, kid=f"{ISSUER}#p256-1").encode()


def learners(n: int, seed: int, qr: str = "short") -> list[CredentialData]:
    rng = random.Random(seed)
    key = ec.generate_private_key(ec.SECP256R1())
    people = []
    for _ in range(n):
        script = rng.choice(list(FIRST))
        name = f"{rng.choice(FIRST[script])} {rng.choice(LAST[script])}"
        if rng.random() < 0.01:
            name = f"{name} {rng.choice(CJK)}"
        verify_uuid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        code = "".join(rng.choice("23456789ABCDEFGHJKMNPQRSTVWXYZ") for _ in range(10))
        people.append(
            CredentialData(
                learner_name=name,
                context_name="Introduction to Computing",
                context_key="course-v1:DemoX+CS101+2026",
                type_name="Certificate of Completion",
                issue_date=date(2026, 11, 23),
                verify_url=f"https://lms.example.com/learning_credentials/verify/{verify_uuid}/",
                verify_uuid=verify_uuid,
                verify_code=f"{code[:5]}-{code[5:]}",
                qr_url=f"https://lms.example.com/learning_credentials/v/{code}" if qr == "short" else "",
                attachments=(
                    Attachment(
                        name="credential.jwt",
                        content=signed_token(rng, key, name, verify_uuid),
                        mime_type="application/jwt",
                        description="This credential, signed (Open Badges 3.0 VC-JWT).",
                    ),
                ),
            )
        )
    return people


def qr_content(person: CredentialData) -> str:
    """What both sides' QR codes encode: the short link, as issued credentials do (or, with --qr page, the page URL)."""
    return person.qr_url or person.verify_url


def template_pdf(seed: int) -> bytes:
    """Landscape A4: a border, a title in a built-in font and a ~200 KB JPEG logo."""
    rng = random.Random(seed)
    logo = Image.frombytes("RGB", (580, 580), rng.randbytes(580 * 580 * 3))
    logo_bytes = io.BytesIO()
    logo.save(logo_bytes, "JPEG", quality=75)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(WIDTH, HEIGHT))
    canvas.setStrokeColorRGB(0.1, 0.3, 0.6)
    canvas.setLineWidth(6)
    canvas.rect(24, 24, WIDTH - 48, HEIGHT - 48)
    canvas.setFont("Times-Bold", 40)
    canvas.drawCentredString(WIDTH / 2, HEIGHT - 110, "CERTIFICATE OF COMPLETION")
    canvas.drawImage(ImageReader(io.BytesIO(logo_bytes.getvalue())), 48, HEIGHT - 160, 110, 110)
    canvas.save()
    print(f"template: {len(buffer.getvalue()) / 1024:.0f} KB (logo {len(logo_bytes.getvalue()) / 1024:.0f} KB)")
    return buffer.getvalue()


def texts(person: CredentialData) -> list[tuple[str, float, float]]:
    values = person.placeholders()
    return [(text.format_map(values), size, ratio * HEIGHT) for text, size, ratio in ELEMENTS]


class Baseline:
    """The common approach, as the issue defines it."""

    def __init__(self, template: bytes):
        self.template = template
        pdfmetrics.registerFont(TTFont("BenchFont", str(FONT)))  # once per process
        pdfmetrics.registerFont(TTFont("BenchFallback", str(FALLBACK_FONT)))
        self.glyphs = pdfmetrics.getFont("BenchFont").face.charToGlyph

    def render(self, person: CredentialData, draw_qr: Callable | None = None) -> bytes:
        page = PdfReader(io.BytesIO(self.template)).pages[0]
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        overlay = io.BytesIO()
        canvas = Canvas(overlay, pagesize=(width, height))
        for text, size, y in texts(person):
            runs = self.font_runs(text)
            x = (width - sum(pdfmetrics.stringWidth(run, font, size) for font, run in runs)) / 2
            for font, run in runs:
                canvas.setFont(font, size)
                canvas.drawString(x, y, run)
                x += pdfmetrics.stringWidth(run, font, size)
        (draw_qr or self.draw_qr)(canvas, segno.make_qr(qr_content(person), **QR_SETTINGS))
        canvas.save()
        writer = PdfWriter()
        writer.add_page(page).merge_page(PdfReader(overlay).pages[0])
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()

    def font_runs(self, text: str) -> list[tuple[str, str]]:
        """Glyphs the font lacks in the fallback font, as ours does, so both sides print every name."""
        runs: list[tuple[str, str]] = []
        for char in text:
            font = "BenchFont" if ord(char) in self.glyphs else "BenchFallback"
            if runs and runs[-1][0] == font:
                runs[-1] = (font, runs[-1][1] + char)
            else:
                runs.append((font, char))
        return runs

    @staticmethod
    def _qr_frame(canvas: Canvas, qr) -> tuple[float, float, float]:
        """The white square under the code; returns (left, bottom, module size) of the dark modules' grid."""
        module = QR_SIZE / (len(qr.matrix) + 2 * QR_BORDER)
        x, y = WIDTH - QR_MARGIN - QR_SIZE, QR_MARGIN
        canvas.setFillColorRGB(1, 1, 1)
        canvas.rect(x, y, QR_SIZE, QR_SIZE, stroke=0, fill=1)
        canvas.setFillColorRGB(0, 0, 0)
        return x + QR_BORDER * module, y + QR_BORDER * module, module

    @staticmethod
    def draw_qr(canvas: Canvas, qr) -> None:
        """The same drawing as ours: one square per dark module, all in one filled path."""
        left, bottom, module = Baseline._qr_frame(canvas, qr)
        path, top = canvas.beginPath(), len(qr.matrix) - 1
        for row, modules in enumerate(qr.matrix):
            for column, dark in enumerate(modules):
                if dark:
                    path.rect(left + column * module, bottom + (top - row) * module, module, module)
        canvas.drawPath(path, stroke=0, fill=1)

    @staticmethod
    def draw_qr_as_runs(canvas: Canvas, qr) -> None:
        """Fewer rectangles (for comparison only): each row's adjacent dark modules merged into one."""
        left, bottom, module = Baseline._qr_frame(canvas, qr)
        path = canvas.beginPath()
        for column, row, length in qr_runs(qr.matrix):
            path.rect(left + column * module, bottom + row * module, length * module, module)
        canvas.drawPath(path, stroke=0, fill=1)

    @staticmethod
    def draw_qr_as_png(canvas: Canvas, qr) -> None:
        """The other common way: segno's PNG drawn as an image (for comparison only)."""
        png = io.BytesIO()
        qr.save(png, kind="png", scale=4, border=QR_BORDER)
        canvas.drawImage(ImageReader(png), WIDTH - QR_MARGIN - QR_SIZE, QR_MARGIN, QR_SIZE, QR_SIZE)


def rss_mb(field: str = "VmRSS") -> float:
    """Resident set size now (VmRSS) or at its peak (VmHWM), in MB, from Linux /proc."""
    line = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith(field))
    return int(line.split()[1]) / 1024


def valid(content: bytes, person: CredentialData, *, embedded: bool = False) -> bool:
    """One page with the name on it; ``embedded``: and the learner's signed credential attached, and the metadata."""
    try:
        reader = PdfReader(io.BytesIO(content))
        text = reader.pages[0].extract_text()
        attached = reader.attachments.get("credential.jwt") == [person.attachments[0].content]
        described = reader.metadata.get("/VerificationCode") == person.verify_code
    except Exception:
        return False
    drawn = len(reader.pages) == 1 and "".join(person.learner_name.split()) in "".join(text.split())
    return drawn and (not embedded or (attached and described))


def timed(sides: dict[str, Callable[[CredentialData], bytes]], people: list[CredentialData], samples: Path):
    """Median ms per credential of each side, {label: (median, invalid)}.

    The sides take turns chunk by chunk over the same learners, so a machine that speeds up or
    slows down during the run weighs on both alike. Outputs are checked between chunks, so
    checking never runs between two timed renders; every output is checked and every tenth
    kept for the QR sample.
    """
    times = {label: [] for label in sides}
    invalid = dict.fromkeys(sides, 0)
    sample_every = max(len(people) // 10, 1)
    for first in range(0, len(people), CHUNK):
        for label, render in sides.items():
            chunk = []
            for person in people[first : first + CHUNK]:
                start = time.perf_counter()
                chunk.append(render(person))
                times[label].append(time.perf_counter() - start)
            for index, (person, content) in enumerate(zip(people[first:], chunk, strict=False), start=first):
                invalid[label] += not valid(content, person, embedded=label == "ours")
                if index % sample_every == 0:
                    (samples / f"{label}-{index}.pdf").write_bytes(content)
    results = {}
    for label, values in times.items():
        median, mean = statistics.median(values) * 1000, statistics.mean(values) * 1000
        print(f"{label}: median {median:.3f} ms, mean {mean:.3f} ms, invalid {invalid[label]}")
        results[label] = (median, invalid[label])
    return results


def check_samples(samples: Path, people: list[CredentialData]) -> int:
    """qpdf --check and a zbarimg read of the rasterised page for each kept PDF; returns the failures."""
    failures = 0
    for pdf in sorted(samples.glob("*.pdf")):
        person = people[int(pdf.stem.split("-")[1])]
        check = subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True, check=False)
        subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(pdf.with_suffix(""))], check=True)
        read = subprocess.run(
            ["zbarimg", "-q", "--raw", str(pdf.with_suffix(".png"))], capture_output=True, text=True, check=False
        )
        ok = check.returncode == 0 and read.stdout.split() == [qr_content(person)]
        failures += not ok
        if not ok:
            print(f"sample {pdf.name} failed: qpdf {check.returncode}, zbarimg read {read.stdout.split()}")
    print(f"samples: {len(list(samples.glob('*.pdf')))} PDFs rasterised and scanned, {failures} failed")
    return failures


def check_every_code(people: list[CredentialData], directory: Path) -> int:
    """Every QR code of the run, drawn from its matrix, read by zbarimg: the fixed mask must not cost a scan."""
    expected = []
    for index, person in enumerate(people):
        segno.make_qr(qr_content(person), **QR_SETTINGS).save(directory / f"{index}.png", scale=3, border=4)
        expected.append(qr_content(person))
    files = sorted(directory.glob("*.png"), key=lambda path: int(path.stem))
    read = []
    for start in range(0, len(files), 500):
        batch = [str(path) for path in files[start : start + 500]]
        read += subprocess.run(
            ["zbarimg", "-q", "--raw", *batch], capture_output=True, text=True, check=False
        ).stdout.split()
    failures = len(set(expected) - set(read)) + abs(len(read) - len(expected))
    print(f"QR codes: {len(expected)} made with {QR_SETTINGS}, {len(read)} read by zbarimg, {failures} failed")
    return failures


def memory(ours: Callable[[CredentialData], bytes], people: list[CredentialData], n: int) -> tuple[str, str]:
    gc.collect()
    at: dict[int, float] = {}
    for index in range(1, n + 1):
        ours(people[index % len(people)])
        if index in (1000, 10_000):
            gc.collect()
            at[index] = rss_mb()
    print("memory: RSS " + ", ".join(f"{mb:.1f} MB after {count:,} more credentials" for count, mb in at.items()))
    return tuple(f"{at[k]:.1f}" if k in at else "na" for k in (1000, 10_000))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="credentials per side (default 1000)")
    parser.add_argument("--memory-n", type=int, default=1000, help="credentials for the memory run (10000: rss_10k)")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--share-format", choices=("png", "jpeg"), default="png", help="share image format")
    parser.add_argument(
        "--qr",
        choices=("short", "page"),
        default="short",
        help="QR content: the short link issued credentials encode (default) or the full page URL",
    )
    args = parser.parse_args()
    for tool in ("qpdf", "pdftoppm", "zbarimg"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: run `make sysdeps`")
    for font in (FONT, FALLBACK_FONT):
        if not font.is_file():
            sys.exit(f"{font} is missing: run `make sysdeps`")

    template = template_pdf(args.seed)
    files = {
        "bench-template": AssetFile.from_bytes("bench-template", template, "pdf_template"),
        "bench-font": AssetFile.from_bytes("bench-font", FONT.read_bytes(), "font"),
        "bench-fallback": AssetFile.from_bytes("bench-fallback", FALLBACK_FONT.read_bytes(), "font"),
    }

    def ours(person: CredentialData) -> bytes:
        return generate_pdf_credential(data=person, options=OPTIONS, load_asset=files.__getitem__).content

    people = learners(args.n, args.seed, args.qr)
    print(f"names: {args.n}, {sum(any(c in n.learner_name for c in ''.join(CJK)) for n in people)} need the fallback")
    start = time.perf_counter()
    ours(people[0])
    print(f"ours: first credential (prepares template, fonts, skeleton) {1000 * (time.perf_counter() - start):.1f} ms")
    baseline = Baseline(template)

    with tempfile.TemporaryDirectory() as tmp:
        samples, codes = Path(tmp, "samples"), Path(tmp, "codes")
        samples.mkdir()
        codes.mkdir()
        sides = {
            "ours": ours,
            "ours_bare": lambda person: ours(dataclasses.replace(person, attachments=())),
            "baseline": baseline.render,
            "baseline_runs": partial(baseline.render, draw_qr=Baseline.draw_qr_as_runs),
            "baseline_png": partial(baseline.render, draw_qr=Baseline.draw_qr_as_png),
        }
        results = timed(sides, people, samples)
        ours_ms, baseline_ms = results["ours"][0], results["baseline"][0]
        fast = sum(ours(person).count(b"startxref") == 2 for person in people[:200])
        print(f"ours: {fast} of the first {min(len(people), 200)} took the fast path (the rest need the fallback font)")
        invalid = sum(bad for _, bad in results.values()) + check_samples(samples, people)
        invalid += check_every_code(people, codes)

    rss_1k, rss_10k = memory(ours, people, args.memory_n)
    peak = rss_mb("VmHWM")
    print(
        f"RESULT name=render n={args.n} ours_ms={ours_ms:.3f} baseline_ms={baseline_ms:.3f} "
        f"speedup={baseline_ms / ours_ms:.1f} peak_rss_mb={peak:.1f} rss_1k_mb={rss_1k} rss_10k_mb={rss_10k} "
        f"invalid={invalid} qr={args.qr} ours_bare_ms={results['ours_bare'][0]:.3f} "
        + " ".join(
            f"baseline_{what}_ms={results[f'baseline_{what}'][0]:.3f} "
            f"speedup_{what}={results[f'baseline_{what}'][0] / ours_ms:.1f}"
            for what in ("runs", "png")
        )
    )
    share_image(people, ours, args.share_format)


def share_image(people: list[CredentialData], ours: Callable[[CredentialData], bytes], image_format: str) -> None:
    """Share images (1200x627) drawn with Pillow, against rasterising the credential's PDF with pdftoppm."""
    from learning_credentials.rendering.share_image import ShareImageData, render_share_image

    def draw(person: CredentialData) -> bytes:
        data = ShareImageData(
            learner_name=person.learner_name,
            type_name=person.type_name,
            context_name=person.context_name,
            issuer="Benchmark University",
            issue_date="23 November 2026",
            verify_url=person.verify_url,
            verify_code=person.verify_code,
        )
        content, _ = render_share_image(
            data=data, options={}, load_asset=lambda slug: b"", size=(1200, 627), image_format=image_format
        )
        return content

    draw(people[0])
    times = []
    for person in people[:200]:
        start = time.perf_counter()
        image = Image.open(io.BytesIO(draw(person)))
        times.append(time.perf_counter() - start)
        assert image.size == (1200, 627)
    raster = []
    with tempfile.TemporaryDirectory() as tmp:
        for person in people[:20]:
            pdf = Path(tmp, "credential.pdf")
            pdf.write_bytes(ours(person))
            start = time.perf_counter()
            subprocess.run(
                [
                    "pdftoppm",
                    "-png",
                    "-scale-to-x",
                    "1200",
                    "-scale-to-y",
                    "-1",
                    "-singlefile",
                    str(pdf),
                    str(Path(tmp, "page")),
                ],
                check=True,
            )
            raster.append(time.perf_counter() - start)
    ms, baseline_ms = statistics.median(times) * 1000, statistics.median(raster) * 1000
    print(f"share image: Pillow {ms:.2f} ms; rasterising the PDF with pdftoppm instead {baseline_ms:.2f} ms")
    print(f"RESULT name=share_image ms={ms:.2f} format={image_format} baseline_ms={baseline_ms:.2f}")


if __name__ == "__main__":
    main()
