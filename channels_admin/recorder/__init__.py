"""What happens to a live connection: its record, the ASGI wrappers that keep it current, and
the attribution of its channel name and groups. ``channels_admin.middleware`` is its public
face."""
