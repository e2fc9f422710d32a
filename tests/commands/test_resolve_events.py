from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError

from profiles.management.commands import resolve_events
from profiles.models import Event, Merge, Profile
from tests.commands.scenarios import parse_export

pytestmark = pytest.mark.django_db

SUMMARY = re.compile(
    r"events=(\d+) profiles_created=(\d+) merges=(\d+) warnings=(\d+) "
    r"seconds=\d+\.\d{3}"
)

MESSAGES = [
    {"type": "identify", "userId": "u1", "traits": {"email": "a@x.com"}},
    {"type": "track", "event": "Order Completed", "userId": "u1"},
    {"type": "page", "anonymousId": "an2", "name": "Home"},
    {"type": "identify", "userId": "u1", "anonymousId": "an2"},
    {"type": "identify", "userId": "null", "anonymousId": "an3"},
]


def with_ids(messages, prefix="m"):
    return [
        {"messageId": f"{prefix}-{index}", **message}
        for index, message in enumerate(messages)
    ]


def counts(stdout: str) -> tuple[int, ...]:
    match = SUMMARY.fullmatch(stdout.splitlines()[-1])
    assert match, stdout
    return tuple(int(group) for group in match.groups())


def partition(run) -> list[list[str]]:
    exported = parse_export(run("export_profiles").stdout)
    return sorted(
        sorted(f"{i['type']}:{i['value']}" for i in profile["identifiers"])
        for profile in exported
    )


@pytest.mark.parametrize("batch_size", ["1", "2", "500"])
def test_summary_is_the_only_stdout_line(run, events_file, batch_size):
    path = events_file(with_ids(MESSAGES))

    result = run("resolve_events", path, "--batch-size", batch_size)

    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 1
    # Created for u1, for an2 and for an3; an2's profile merged into u1's; the
    # blocked userId "null" is the one warning.
    assert counts(result.stdout) == (5, 3, 1, 1)
    assert result.stderr == "line 5: blocked_value (user_id)\n"
    assert partition(run) == [
        ["anonymous_id:an2", "email:a@x.com", "user_id:u1"],
        ["anonymous_id:an3"],
    ]


def test_bad_lines_are_reported_counted_and_skipped(run, tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(
        b'{"type": "identify", "userId": "u1", "messageId": "a"}\n'
        b"{not json\n"
        b'["a", "list"]\n'
        b'{"type": "track", "event": "Viewed", "messageId": "b"}\n'
        b"\n"
        b'{"type": "identify", "userId": "caf\xe9"}\n'
        b'{"type": "identify", "userId": "u2", "messageId": "c"}\n'
    )

    result = run("resolve_events", str(path))

    assert counts(result.stdout) == (2, 2, 0, 4)
    assert result.stderr.splitlines() == [
        "line 2: skipped, not valid JSON (Expecting property name enclosed in "
        "double quotes: line 1 column 2 (char 1))",
        "line 3: skipped, not a JSON object",
        "line 4: skipped, not a valid message: A track message needs 'userId' "
        "or 'anonymousId'.",
        "line 6: skipped, not UTF-8 text",
    ]
    assert partition(run) == [["user_id:u1"], ["user_id:u2"]]


def test_reads_stdin_when_the_path_is_a_dash(run):
    stream = io.BytesIO(b'{"type": "identify", "userId": "u1", "messageId": "s"}\n')

    result = run("resolve_events", "-", stdin=stream)

    assert counts(result.stdout) == (1, 1, 0, 0)
    assert partition(run) == [["user_id:u1"]]


def test_replaying_a_file_applies_nothing_twice(run, events_file):
    path = events_file(with_ids(MESSAGES))
    run("resolve_events", path)
    before = (Event.objects.count(), Profile.objects.count(), Merge.objects.count())

    result = run("resolve_events", path)

    assert counts(result.stdout) == (0, 0, 0, 0)
    assert result.stderr == "5 already stored, not applied again\n"
    after = (Event.objects.count(), Profile.objects.count(), Merge.objects.count())
    assert after == before == (5, 3, 1)


@pytest.mark.parametrize("batch_size", ["1", "3"])
def test_a_message_the_engine_fails_on_costs_only_itself(
    run, events_file, monkeypatch, batch_size
):
    real_ingest = resolve_events.ingest_message

    def failing_on_boom(message, **kwargs):
        if message["messageId"] == "boom":
            raise RuntimeError("engine failure")
        return real_ingest(message, **kwargs)

    monkeypatch.setattr(resolve_events, "ingest_message", failing_on_boom)
    messages = [
        {"type": "identify", "userId": "u1", "messageId": "one"},
        {"type": "identify", "userId": "u2", "messageId": "boom"},
        {"type": "identify", "userId": "u3", "messageId": "three"},
    ]

    result = run("resolve_events", events_file(messages), "--batch-size", batch_size)

    assert counts(result.stdout) == (2, 2, 0, 1)
    assert "line 2: skipped, the engine failed on it" in result.stderr
    assert partition(run) == [["user_id:u1"], ["user_id:u3"]]


def test_an_unreadable_path_is_a_command_error(run, tmp_path):
    with pytest.raises(CommandError, match="cannot read .*missing.jsonl"):
        run("resolve_events", str(tmp_path / "missing.jsonl"))


def test_a_batch_size_below_one_is_a_command_error(run, events_file):
    with pytest.raises(CommandError, match="--batch-size must be at least 1"):
        run("resolve_events", events_file(with_ids(MESSAGES)), "--batch-size", "0")
