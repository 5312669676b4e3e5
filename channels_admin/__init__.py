"""channels-admin: routing for Django Channels that you can see."""

__version__ = "0.1.0"
