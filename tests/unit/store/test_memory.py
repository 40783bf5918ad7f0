from __future__ import annotations

import pytest

from chalicelib.store import Store


def test_recent_is_oldest_first_and_limited(store: Store) -> None:
    for i in range(5):
        store.memory.append("diag", "TEST001", {"role": "user", "content": f"m{i}"}, max_messages=10)

    assert [m["content"] for m in store.memory.recent("diag", "TEST001", limit=3)] == ["m2", "m3", "m4"]
    assert [m["content"] for m in store.memory.recent("diag", "TEST001", limit=50)] == [
        "m0",
        "m1",
        "m2",
        "m3",
        "m4",
    ]


def test_append_keeps_only_max_messages_newest(store: Store) -> None:
    for i in range(12):
        store.memory.append("diag", "TEST001", {"content": f"m{i}"}, max_messages=4)

    assert [m["content"] for m in store.memory.recent("diag", "TEST001", limit=100)] == ["m8", "m9", "m10", "m11"]


def test_conversations_are_separate_even_with_separator_characters(store: Store) -> None:
    store.memory.append("a#b", "c", {"content": "first"}, max_messages=5)
    store.memory.append("a", "b#c", {"content": "second"}, max_messages=5)
    store.memory.append("other-agent", "c", {"content": "third"}, max_messages=5)

    assert store.memory.recent("a#b", "c", 10) == [{"content": "first"}]
    assert store.memory.recent("a", "b#c", 10) == [{"content": "second"}]
    assert store.memory.recent("nobody", "c", 10) == []


def test_message_content_roundtrips(store: Store) -> None:
    message = {"role": "assistant", "content": [{"type": "text", "text": "é ✓"}], "score": 0.25, "n": None}
    store.memory.append("diag", "k", message, max_messages=1)

    assert store.memory.recent("diag", "k", 1) == [message]


def test_max_messages_must_be_positive(store: Store) -> None:
    with pytest.raises(ValueError):
        store.memory.append("diag", "k", {"content": "x"}, max_messages=0)
