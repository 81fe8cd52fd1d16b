"""A client of the calendar and notes services written the way any Python team
would: code generated from proto/ with protoc and grpc_python_plugin, Debian's
grpcio, a token fetched with a plain HTTP request. Prints one JSON object with
the outcome of each check and exits 1 if any failed.

Environment: AUTH_URL, CALENDAR_ADDR and NOTES_ADDR (host:port), CLIENT_ID, CLIENT_SECRET.
"""
import base64
import json
import os
import sys
import urllib.parse
import urllib.request

import grpc
from google.protobuf import timestamp_pb2

from m2m.calendar.v1 import calendar_pb2, calendar_pb2_grpc
from m2m.notes.v1 import notes_pb2, notes_pb2_grpc

AUTH_URL = os.environ["AUTH_URL"]
CLIENT = f'{os.environ["CLIENT_ID"]}:{os.environ["CLIENT_SECRET"]}'
checks = {}


def token(audience, scope):
    body = urllib.parse.urlencode({"grant_type": "client_credentials", "audience": audience, "scope": scope}).encode()
    request = urllib.request.Request(f"{AUTH_URL}/auth/oauth/token", data=body, method="POST")
    request.add_header("Authorization", "Basic " + base64.b64encode(CLIENT.encode()).decode())
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["access_token"]


def bearer(value):
    return (("authorization", f"Bearer {value}"),)


def expect_code(name, code, call):
    try:
        call()
        checks[name] = f"expected {code.name}, the call succeeded"
    except grpc.RpcError as err:
        checks[name] = "ok" if err.code() == code else f"expected {code.name}, got {err.code().name}: {err.details()}"


def check(name, condition, detail=""):
    checks[name] = "ok" if condition else f"failed {detail}"


calendar = calendar_pb2_grpc.CalendarServiceStub(grpc.insecure_channel(os.environ["CALENDAR_ADDR"]))
notes = notes_pb2_grpc.NoteServiceStub(grpc.insecure_channel(os.environ["NOTES_ADDR"]))
calendar_rw = token("calendar-service", "calendar.read calendar.write")
notes_rw = token("note-service", "note.read note.write")
notes_ro = token("note-service", "note.read")

# Unary calls on both services.
start = timestamp_pb2.Timestamp(seconds=1_900_000_000)
end = timestamp_pb2.Timestamp(seconds=1_900_003_600)
event = calendar.CreateEvent(
    calendar_pb2.CreateEventRequest(event=calendar_pb2.Event(title="from python", start_time=start, end_time=end)),
    metadata=bearer(calendar_rw), timeout=10,
).event
check("calendar create", event.title == "from python" and event.created_by == os.environ["CLIENT_ID"], str(event))
listed = calendar.ListEvents(calendar_pb2.ListEventsRequest(page_size=1000), metadata=bearer(calendar_rw), timeout=10)
check("calendar list", any(e.id == event.id for e in listed.events))

# The watch stream: WATCH_STARTED first, then the change we make.
stream = notes.WatchNotes(notes_pb2.WatchNotesRequest(), metadata=bearer(notes_rw), timeout=20)
first = next(stream)
check("notes watch starts", first.change_type == notes_pb2.CHANGE_TYPE_WATCH_STARTED)
note = notes.CreateNote(notes_pb2.CreateNoteRequest(note=notes_pb2.Note(title="from python")), metadata=bearer(notes_rw), timeout=10).note
change = next(stream)
check("notes watch delivers", change.change_type == notes_pb2.CHANGE_TYPE_CREATED and change.note.id == note.id, str(change))
stream.cancel()

# What must be refused.
expect_code("no token", grpc.StatusCode.UNAUTHENTICATED, lambda: notes.ListNotes(notes_pb2.ListNotesRequest(), timeout=10))
expect_code("garbage token", grpc.StatusCode.UNAUTHENTICATED, lambda: notes.ListNotes(notes_pb2.ListNotesRequest(), metadata=bearer("x.y.z"), timeout=10))
expect_code("calendar token at notes", grpc.StatusCode.UNAUTHENTICATED,
            lambda: notes.ListNotes(notes_pb2.ListNotesRequest(), metadata=bearer(calendar_rw), timeout=10))
expect_code("read-only token writes", grpc.StatusCode.PERMISSION_DENIED,
            lambda: notes.CreateNote(notes_pb2.CreateNoteRequest(note=notes_pb2.Note(title="no")), metadata=bearer(notes_ro), timeout=10))
expect_code("watch without a token", grpc.StatusCode.UNAUTHENTICATED,
            lambda: next(calendar.WatchEvents(calendar_pb2.WatchEventsRequest(), timeout=10)))
expect_code("unknown id", grpc.StatusCode.NOT_FOUND,
            lambda: notes.GetNote(notes_pb2.GetNoteRequest(id="missing"), metadata=bearer(notes_rw), timeout=10))
expect_code("blank title", grpc.StatusCode.INVALID_ARGUMENT,
            lambda: notes.CreateNote(notes_pb2.CreateNoteRequest(note=notes_pb2.Note(title=" ")), metadata=bearer(notes_rw), timeout=10))

calendar.DeleteEvent(calendar_pb2.DeleteEventRequest(id=event.id), metadata=bearer(calendar_rw), timeout=10)
notes.DeleteNote(notes_pb2.DeleteNoteRequest(id=note.id), metadata=bearer(notes_rw), timeout=10)
print(json.dumps(checks))
sys.exit(0 if all(v == "ok" for v in checks.values()) else 1)
