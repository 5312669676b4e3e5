"""Render the dashboard and the debug-toolbar panel once with an installed channels-admin.

Run from example_project/ in a virtualenv where the wheel is installed (``nox -s package``):
it fails if channels_admin is imported from the source tree, or if a template or static
file the pages use is missing from the package.
"""

import os
import re
import sys
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")
sys.path.insert(0, os.getcwd())

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

import channels_admin  # noqa: E402

STATIC = re.compile(r"""(?:src|href)="(/static/channels_admin/[^"]+)\"""")


def main():
    source = Path(channels_admin.__file__).resolve()
    if "site-packages" not in source.parts:
        sys.exit(f"channels_admin comes from {source}, not from the installed package")
    call_command("migrate", verbosity=0)
    staff = get_user_model().objects.create_superuser("smoke", "smoke@example.com", "smoke")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(staff)

    dashboard = fetch(client, reverse("admin:channels_admin_overview"))
    fetch(client, reverse("admin:channels_admin_overview") + "?format=json").json()["tree"]
    page = fetch(client, "/").content.decode()
    request_id = re.search(r'data-request-id="(\w+)"', page).group(1)
    panel = fetch(
        client,
        "/__debug__/render_panel/",
        {"request_id": request_id, "panel_id": "ChannelsRoutingPanel"},
    ).json()
    assets = set(STATIC.findall(dashboard.content.decode())) | set(panel["scripts"])
    assets |= set(STATIC.findall(panel["content"]))
    for asset in sorted(assets):
        fetch(client, asset)
    print(f"channels_admin {source.parent}: dashboard, panel and {len(assets)} static files OK")


def fetch(client, url, data=None):
    """GET ``url`` and fail unless it answers 200."""
    response = client.get(url, data)
    if response.status_code != 200:
        sys.exit(f"GET {url} answered {response.status_code}")
    return response


if __name__ == "__main__":
    main()
