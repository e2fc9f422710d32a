from __future__ import annotations

import pytest

from profiles.models import AuditEntry, Merge, Profile
from profiles.resolution import ingest_message

pytestmark = pytest.mark.django_db


def profile_of(message: dict, message_id: str) -> Profile:
    return ingest_message({"messageId": message_id, **message}, source="test").profile


def test_merges_other_into_survivor_and_audits_it_as_cli(run):
    survivor = profile_of({"type": "identify", "userId": "u1"}, "m1")
    other = profile_of(
        {"type": "identify", "anonymousId": "an1", "traits": {"email": "a@x.com"}},
        "m2",
    )

    result = run("merge_profiles", survivor.uid, other.uid)

    assert (result.exit_code, result.stderr) == (0, "")
    [line] = result.json_lines
    assert line["id"] == survivor.uid
    assert line["merged_ids"] == [other.uid]
    assert line["identifiers"] == [
        {"type": "user_id", "value": "u1"},
        {"type": "email", "value": "a@x.com"},
        {"type": "anonymous_id", "value": "an1"},
    ]
    assert line["events"] == 2
    merge = Merge.objects.get()
    assert (merge.kind, merge.survivor, merge.merged) == ("manual", survivor, other)
    assert AuditEntry.objects.filter(actor_label="cli").count() == 1


def test_refuses_to_join_two_user_ids_and_changes_nothing(run):
    alba = profile_of({"type": "identify", "userId": "u-alba"}, "m1")
    bram = profile_of({"type": "identify", "userId": "u-bram"}, "m2")

    result = run("merge_profiles", alba.uid, bram.uid)

    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "Refused: it would break the identifier limit of user_id (limit 1) "
        "on one profile.\n"
    )
    assert Profile.objects.filter(merged_into__isnull=True).count() == 2
    assert not Merge.objects.exists()


@pytest.mark.parametrize("order", ["same", "reversed"])
def test_merging_a_merged_pair_again_says_already_merged(run, order):
    survivor = profile_of({"type": "identify", "userId": "u1"}, "m1")
    other = profile_of({"type": "identify", "anonymousId": "an1"}, "m2")
    run("merge_profiles", survivor.uid, other.uid)
    # A merged-away id stands for its survivor, in either position.
    ids = [survivor.uid, other.uid] if order == "same" else [other.uid, survivor.uid]

    result = run("merge_profiles", *ids)

    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"Already merged into {survivor.uid}.\n"
    assert Merge.objects.count() == 1


def test_an_unknown_id_is_refused(run):
    survivor = profile_of({"type": "identify", "userId": "u1"}, "m1")

    result = run("merge_profiles", survivor.uid, "use_nobody")

    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == "Unknown profile: use_nobody.\n"
