"""The built wheel works on its own: installed into a clean virtualenv next to a minimal Open edX-style LMS.

Run by `make wheel-check` (CI): builds the wheel; checks that it carries every file of the package
(templates, migrations, data files such as JSON Schemas, translation catalogues each with its
compiled .mo); then, for each Django version asked for, installs the wheel (never the source tree)
with that release's pins into a new virtualenv, with edx-django-utils, whose plugin loader wires the
app into the host (tests/packaging/host) as the LMS does; runs `check` and `migrate`; and requests a
credential's verification page, its JSON and its short link (host/smoke.py). Exits non-zero with the reason.
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
import venv
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HOST = Path(__file__).resolve().parent / "host"
PACKAGE = "learning_credentials"
# The pins each Django version's host installs with: Open edX Teak's (Django 4.2), and ours (5.2, as Ulmo).
CONSTRAINTS = {"4.2": REPO / "requirements" / "test-django42.txt", "5.2": REPO / "requirements" / "test.txt"}


def run(*command, cwd: Path | None = None) -> str:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"wheel check: {' '.join(map(str, command))} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return result.stdout


def build(directory: Path) -> Path:
    """Build the wheel from a pristine copy of the repository's files: a build/ or *.egg-info left in
    the working tree would otherwise feed the build files the manifest no longer ships."""
    source = directory / "source"
    for name in tracked_files():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, source / name)
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(directory / "dist"), str(source))
    (wheel,) = (directory / "dist").glob("*.whl")
    return wheel


def tracked_files(under: str = ".") -> list[str]:
    """The repository's files below ``under``: tracked by git, or new and not ignored (as a commit would take)."""
    listed = run("git", "ls-files", "--cached", "--others", "--exclude-standard", "--", under, cwd=REPO)
    return [name for name in listed.splitlines() if (REPO / name).is_file()]


def package_files() -> set[str]:
    return set(tracked_files(PACKAGE))


def check_contents(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
    missing = sorted(package_files() - shipped)
    if missing:
        sys.exit(f"wheel check: {wheel.name} lacks {len(missing)} file(s) of the package: {', '.join(missing[:20])}")
    # Django reads only compiled catalogues: a language whose .mo is not shipped shows English.
    uncompiled = sorted(name for name in shipped if name.endswith(".po") and name[:-3] + ".mo" not in shipped)
    if uncompiled:
        sys.exit(
            f"wheel check: {wheel.name} ships catalogues without their compiled .mo (run `make messages`): "
            f"{', '.join(uncompiled)}"
        )
    print(f"wheel check: {wheel.name} carries all {len(package_files())} files of the package")


def check_install(wheel: Path, django_version: str, directory: Path) -> None:
    environment = directory / f"venv-django{django_version}"
    venv.create(environment, with_pip=True)
    python = str(environment / "bin" / "python")
    run(python, "-m", "pip", "install", "-q", "-c", str(CONSTRAINTS[django_version]), str(wheel), "edx-django-utils")
    host = directory / f"host-django{django_version}"
    shutil.copytree(HOST, host)
    run(python, "manage.py", "check", cwd=host)
    run(python, "manage.py", "migrate", "--noinput", "-v", "0", cwd=host)
    print(run(python, "smoke.py", cwd=host).strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--django", action="append", choices=sorted(CONSTRAINTS), help="repeat for several")
    versions = parser.parse_args().django or sorted(CONSTRAINTS)
    with tempfile.TemporaryDirectory(prefix="lc-wheel-check-") as scratch:
        directory = Path(scratch)
        wheel = build(directory)
        check_contents(wheel)
        for version in versions:
            check_install(wheel, version, directory)


if __name__ == "__main__":
    main()
