"""The commands as other tools run them: real processes, exit codes, streams."""

from __future__ import annotations

import json

from tests.commands.scenarios import manage, write_jsonl


def test_lookup_and_merge_commands_in_real_processes(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    events = write_jsonl(
        tmp_path / "events.jsonl",
        [
            {
                "type": "identify",
                "userId": "u-tao",
                "traits": {"phone": "202-555-0143"},
            },
            {"type": "identify", "userId": "u-uma", "messageId": "m2"},
        ],
    )
    assert manage("migrate", "--noinput", env=env).returncode == 0
    mapped = manage("configure_address_type", "voice", "--identifier", "phone", env=env)
    assert mapped.returncode == 0, mapped.stderr
    assert manage("resolve_events", str(events), env=env).returncode == 0

    found = manage("find_profile", "voice", "+1 (202) 555-0143", env=env)
    missing = manage("find_profile", "voice", "+1 (202) 555-0199", env=env)
    unmapped = manage("find_profile", "sms", "+12025550143", env=env)
    exported = [
        json.loads(line)
        for line in manage("export_profiles", env=env).stdout.splitlines()
    ]
    [tao] = [p for p in exported if p["identifiers"][0]["value"] == "u-tao"]
    [uma] = [p for p in exported if p["identifiers"][0]["value"] == "u-uma"]
    refused = manage("merge_profiles", tao["id"], uma["id"], env=env)

    assert (found.returncode, json.loads(found.stdout)) == (0, tao)
    assert (missing.returncode, missing.stdout, missing.stderr) == (
        1,
        "",
        "not found\n",
    )
    assert (unmapped.returncode, unmapped.stderr) == (1, "not mapped\n")
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr == (
        "Refused: it would break the identifier limit of user_id (limit 1) "
        "on one profile.\n"
    )
