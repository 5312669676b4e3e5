from django.conf import settings
from django.shortcuts import render


def index(request):
    # In `make demo-cluster`, the page also opens a socket to every worker.
    return render(request, "chat/index.html", {"demo_workers": settings.DEMO_WORKERS})
