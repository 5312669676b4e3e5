from django.db import models


class Room(models.Model):
    """A chat room of the action API, opened by name."""

    name = models.SlugField(max_length=50, unique=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.name


class Message(models.Model):
    """One message posted to a room through the action API."""

    room = models.ForeignKey(Room, related_name="messages", on_delete=models.CASCADE)
    author = models.CharField(max_length=150)
    text = models.TextField(max_length=2000)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.author}: {self.text[:40]}"
