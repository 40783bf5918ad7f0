"""Rendering of the tutorial's markdown messages as Block Kit (no IO)."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.integrations.slack_blocks import (
    approval_blocks,
    decided_blocks,
    markdown_to_blocks,
    timed_out_blocks,
    to_mrkdwn,
)

TUTORIAL_APPROVAL = """⚠️ **CRITICAL: Human Approval Required**

**Incident**: Database cluster down - all replicas failing
**Root Cause**: postgres-0 OOMKilled
**Proposed Fix**: kubectl rollout restart statefulset/postgres
**Confidence**: 0.82

React with ✅ to approve auto-remediation
React with ⏸️ to pause and investigate manually
React with ❌ to skip auto-remediation

cc: @oncall @sre-lead
"""


def texts(blocks: list[dict]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section"]


def test_tutorial_message_becomes_one_section_per_paragraph() -> None:
    assert texts(markdown_to_blocks(TUTORIAL_APPROVAL)) == [
        "⚠️ *CRITICAL: Human Approval Required*",
        "*Incident*: Database cluster down - all replicas failing\n*Root Cause*: postgres-0 OOMKilled\n"
        "*Proposed Fix*: kubectl rollout restart statefulset/postgres\n*Confidence*: 0.82",
        "React with ✅ to approve auto-remediation\nReact with ⏸️ to pause and investigate manually\n"
        "React with ❌ to skip auto-remediation",
        "cc: @oncall @sre-lead",
    ]


def test_untrusted_text_cannot_ping_or_forge_links() -> None:
    rendered = to_mrkdwn("<!channel> **title** <https://evil|click> & [runbook](https://runbooks.acme/api)")
    assert rendered == "&lt;!channel&gt; *title* &lt;https://evil|click&gt; &amp; <https://runbooks.acme/api|runbook>"


def test_code_fences_are_kept_whole_and_untouched() -> None:
    text = "**Logs**:\n```\nline **1**\n\nline 2 <tag>\n```\nafter"
    blocks = markdown_to_blocks(text)
    assert texts(blocks) == ["*Logs*:\n```\nline **1**\n\nline 2 &lt;tag&gt;\n```\nafter"]


def test_long_paragraphs_split_under_3000_and_nothing_is_lost() -> None:
    line = "kubectl get pods -n production shows api-7d9 in CrashLoopBackOff"
    text = "\n".join([line] * 200)
    sections = texts(markdown_to_blocks(text))
    assert len(sections) > 1
    assert all(len(s) <= 3000 for s in sections)
    assert "\n".join(sections).count(line) == 200


def test_a_single_huge_word_is_hard_split() -> None:
    sections = texts(markdown_to_blocks("🔥" * 10_000))
    assert [len(s) for s in sections] == [3000, 3000, 3000, 1000]


def test_more_than_fifty_paragraphs_are_packed_then_truncated() -> None:
    packed = markdown_to_blocks("\n\n".join(f"step {i}" for i in range(200)))
    assert len(packed) == 1 and "step 199" in packed[0]["text"]["text"]

    huge = markdown_to_blocks("\n\n".join(["x" * 2000] * 80))
    assert len(huge) == 50
    assert huge[-1]["type"] == "context" and "truncated" in huge[-1]["elements"][0]["text"]


def test_empty_text_gives_no_blocks() -> None:
    assert markdown_to_blocks("") == [] and markdown_to_blocks("\n\n  \n") == []


def test_approval_blocks_have_three_buttons_and_the_reaction_hint() -> None:
    blocks = approval_blocks(TUTORIAL_APPROVAL, "apr-123")
    actions = blocks[-2]
    assert actions["block_id"] == "approval-actions"
    assert [(e["action_id"], e["value"], e.get("style")) for e in actions["elements"]] == [
        ("approval.approve", "apr-123", "primary"),
        ("approval.pause", "apr-123", None),
        ("approval.skip", "apr-123", "danger"),
    ]
    hint = blocks[-1]["elements"][0]["text"]
    assert "✅" in hint and "⏸️" in hint and "❌" in hint


def test_decided_and_timed_out_blocks_have_no_buttons() -> None:
    at = datetime(2026, 11, 20, 9, 16, 40, tzinfo=UTC)
    for decision, words in [("approve", "Approved"), ("pause", "Paused"), ("skip", "Skipped")]:
        blocks = decided_blocks(TUTORIAL_APPROVAL, decision, "U0APPROVER1", at)  # type: ignore[arg-type]
        assert all(b["type"] != "actions" for b in blocks)
        assert f"{words}" in blocks[-1]["elements"][0]["text"]
        assert "by <@U0APPROVER1> at <!date^1795166200^" in blocks[-1]["elements"][0]["text"]
    timed_out = timed_out_blocks(TUTORIAL_APPROVAL, at, outcome="rejected by default and escalated")
    assert all(b["type"] != "actions" for b in timed_out)
    assert "rejected by default and escalated" in timed_out[-1]["elements"][0]["text"]


def test_decided_by_cannot_inject_markup() -> None:
    blocks = decided_blocks("ok", "approve", "U1> <!channel", datetime(2026, 1, 1, tzinfo=UTC))
    assert "<!channel" not in blocks[-1]["elements"][0]["text"]
