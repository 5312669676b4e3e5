"""``manage.py demo_user``: the demo's staff login, kept from one run to the next."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

WILDCARD_ADDRESSES = ("", "0.0.0.0", "::")


class Command(BaseCommand):
    help = (
        "Create the demo's staff user, or keep it and its password, and print how to log in. "
        "--reset sets a new password."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--reset", action="store_true", help="Set a new random password.")
        parser.add_argument("--address", default="127.0.0.1", help="The address daphne binds.")
        parser.add_argument("--port", type=int, default=8000, help="The port daphne serves.")

    def handle(self, *args, username, reset, address, port, **options):
        user, _ = get_user_model().objects.get_or_create(
            username=username, defaults={"email": f"{username}@example.com"}
        )
        password = stored_password()
        if reset or password is None or not user.check_password(password):
            password = secrets.token_urlsafe(12)
            user.set_password(password)
            store_password(password)
        user.is_staff = user.is_superuser = True
        user.save()
        url = demo_url(address, port)
        self.stdout.write(
            f"\nDemo: {url} (chat)  {url}admin/channels-routing/ (dashboard)\n"
            f"Log in as {username!r} with password {password!r}\n"
        )


def demo_url(address, port):
    """Return the URL a browser on this machine opens for daphne bound to ``address``."""
    host = "127.0.0.1" if address in WILDCARD_ADDRESSES else address
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/"


def password_file():
    return settings.DEMO_STATE / "admin-password"


def stored_password():
    """Return the password kept by an earlier run, or None."""
    try:
        return password_file().read_text().strip() or None
    except FileNotFoundError:
        return None


def store_password(password):
    path = password_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(password + "\n")
