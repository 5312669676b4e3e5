"""The version matrix and the release check, each session in its own virtualenv.

``nox -l`` lists the sessions. ``nox -t ci`` runs what CI runs besides ``make test``: the
oldest and the newest supported combinations (every test but the browser ones) and the
package check. Interpreters are found at run time (PATH, pyenv and other version managers);
a missing interpreter or a combination that cannot be installed fails the session, and
nothing is downloaded but packages.
"""

import os
import shutil
import subprocess
import tarfile
import zipfile
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.error_on_missing_interpreters = True
nox.options.download_python = "never"


def expose_pyenv_versions():
    """Let pyenv's shims answer ``python3.X`` for every installed version, current first."""
    if shutil.which("pyenv") is None:
        return

    def pyenv(*args):
        result = subprocess.run(["pyenv", *args], capture_output=True, text=True)
        return result.stdout.replace(":", "\n").split()

    current = pyenv("version-name")
    others = [version for version in pyenv("versions", "--bare") if version not in current]
    os.environ["PYENV_VERSION"] = ":".join(current + others)


expose_pyenv_versions()

#: Python, then the pins of one supported combination. README.md's "Compatibility" table
#: lists exactly these.
COMBINATIONS = [
    nox.param(
        "3.11",
        [
            "Django~=5.2.0",
            "channels==4.2.0",
            "daphne==4.1.0",
            "asgiref==3.12.0",
            "django-debug-toolbar==6.0.0",
            "channels-redis==4.2.0",
            "redis==5.0.1",
        ],
        id="oldest",
        tags=["ci"],
    ),
    nox.param("3.12", ["Django~=5.2.0"], id="django52"),
    nox.param("3.12", ["Django~=6.0.0"], id="django60"),
    nox.param(
        "3.13",
        [
            "Django~=6.1.0",
            "channels==4.3.2",
            "daphne==4.2.3",
            "asgiref==3.13.0",
            "django-debug-toolbar==8.0.0",
            "channels-redis==4.3.0",
            "redis==8.1.0",
        ],
        id="newest",
        tags=["ci"],
    ),
]

SHOWN_VERSIONS = (
    "Django channels daphne asgiref django-debug-toolbar channels-redis redis twisted"
).split()


@nox.session
@nox.parametrize("python,pins", COMBINATIONS)
def tests(session, pins):
    """Run every test but the browser ones on one supported combination."""
    session.install("-e", ".[test]", *pins)
    show_versions(session)
    session.run("python", "-m", "pytest", "-m", "not browser", "-q", *session.posargs)


@nox.session(python="3.11", tags=["ci"])
def package(session):
    """Build the sdist and wheel, check them, and try the wheel outside the source tree."""
    dist = Path(session.create_tmp()).resolve() / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    session.install("build[uv]", "twine")
    session.run("python", "-m", "build", "--installer", "uv", "--outdir", str(dist))
    session.run("python", "-m", "twine", "check", "--strict", *map(str, dist.iterdir()))
    (wheel,) = dist.glob("*.whl")
    (sdist,) = dist.glob("*.tar.gz")
    missing = missing_contents(wheel, sdist)
    if missing:
        session.error("Missing from the archives: %s" % ", ".join(missing))
    session.install(str(wheel))
    session.chdir("example_project")
    environment = {"DEMO_DATABASE": str(dist / "smoke.sqlite3"), "DJANGO_DEBUG": "1"}
    session.run("python", "manage.py", "check", "--fail-level", "WARNING", env=environment)
    session.run("python", "../scripts/smoke_installed.py", env=environment)


def show_versions(session):
    """Print the installed versions that make up the combination, for the log."""
    names = ", ".join(repr(name) for name in SHOWN_VERSIONS)
    session.run(
        "python",
        "-c",
        "import importlib.metadata as m, platform; "
        f"print('Python', platform.python_version(), *[n + ' ' + m.version(n) for n in ({names})],"
        " sep=' | ')",
        silent=False,
    )


def missing_contents(wheel, sdist):
    """Return what the archives lack of the licence, changelog, templates and static files."""
    with zipfile.ZipFile(wheel) as archive:
        wheel_files = archive.namelist()
    with tarfile.open(sdist) as archive:
        sdist_files = archive.getnames()
    expected = {
        "wheel licence": any(name.endswith(".dist-info/licenses/LICENSE") for name in wheel_files),
        "sdist licence": any(name.endswith("/LICENSE") for name in sdist_files),
        "sdist changelog": any(name.endswith("/CHANGELOG.md") for name in sdist_files),
        "templates": any("channels_admin/templates/" in name for name in wheel_files),
        "static files": any("channels_admin/static/" in name for name in wheel_files),
    }
    return [what for what, found in expected.items() if not found]
