"""CHANNELS_ADMIN: defaults in one place, and bad settings stop startup naming the key."""

import subprocess
import sys

import pytest
from django.test import override_settings

from channels_admin.checks import check_settings
from channels_admin.conf import DEFAULTS, app_settings
from tests.conftest import EXAMPLE_PROJECT, ROOT


def messages(value):
    with override_settings(CHANNELS_ADMIN=value):
        return [(error.id, error.msg) for error in check_settings()]


def test_defaults_pass_and_are_used():
    assert messages({}) == []
    assert messages(dict(DEFAULTS)) == []
    with override_settings(CHANNELS_ADMIN={"MAX_DECISIONS": 7}):
        assert app_settings()["MAX_DECISIONS"] == 7
        assert app_settings()["MAX_CLOSED_CONNECTIONS"] == 1000


@pytest.mark.parametrize(
    "value, expected",
    [
        ({"MAX_CLOSED": 5}, "CHANNELS_ADMIN['MAX_CLOSED'] is not a setting of channels_admin."),
        ({"MAX_DECISIONS": 0}, "CHANNELS_ADMIN['MAX_DECISIONS'] must be a positive integer"),
        ({"MAX_CLOSED_CONNECTIONS": "10"}, "CHANNELS_ADMIN['MAX_CLOSED_CONNECTIONS'] must be"),
        ({"RECORD_TYPES": ["lifespan"]}, "CHANNELS_ADMIN['RECORD_TYPES'] must be a list drawn"),
        ({"IGNORE_PATHS": ["static/"]}, "CHANNELS_ADMIN['IGNORE_PATHS'] must be a list of path"),
        ({"ENABLED": "yes"}, "CHANNELS_ADMIN['ENABLED'] must be True or False"),
        ({"REDACT_HEADERS": "cookie"}, "CHANNELS_ADMIN['REDACT_HEADERS'] must be a list"),
        ({"REGISTRY": "nowhere.Registry"}, "CHANNELS_ADMIN['REGISTRY'] cannot be imported"),
        (
            {"REGISTRY": "collections.OrderedDict"},
            "CHANNELS_ADMIN['REGISTRY'] must name a subclass of channels_admin.registry.",
        ),
    ],
)
def test_bad_key_or_value_is_named(value, expected):
    found = messages(value)
    assert len(found) == 1 and found[0][1].startswith(expected)


def test_not_a_dict():
    assert messages(["MAX_DECISIONS"])[0][0] == "channels_admin.E001"


def test_bad_setting_stops_startup(tmp_path):
    (tmp_path / "bad_settings.py").write_text(
        "from demo.settings import *\nCHANNELS_ADMIN = {'MAX_DECISIONS': -1}\n"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--settings=bad_settings"],
        cwd=EXAMPLE_PROJECT,
        env={"PYTHONPATH": f"{ROOT}:{EXAMPLE_PROJECT}:{tmp_path}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "CHANNELS_ADMIN['MAX_DECISIONS'] must be a positive integer; got -1." in result.stderr
