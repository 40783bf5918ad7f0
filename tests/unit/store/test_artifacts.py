from __future__ import annotations

import os

import pytest

from chalicelib.errors import NotFound
from chalicelib.store import ArtifactTooLarge, Store
from chalicelib.store.rules import MAX_ARTIFACT_BYTES


def test_text_and_bytes_roundtrip(store: Store) -> None:
    ref = store.artifacts.put_artifact("run-1", "diagnose/output.json", '{"pods": ["api-1"], "note": "é"}')
    raw = store.artifacts.put_artifact("run-1", "logs.gz", b"\x00\x1f\x8b\xff", content_type="application/gzip")

    assert ref == "artifact://run-1/diagnose/output.json"
    assert store.artifacts.get_artifact(ref) == '{"pods": ["api-1"], "note": "é"}'.encode()
    assert store.artifacts.get_artifact(raw) == b"\x00\x1f\x8b\xff"


def test_content_over_400_kb_roundtrips(store: Store) -> None:
    content = os.urandom(1_000_003)

    ref = store.artifacts.put_artifact("run-1", "kubectl-describe.txt", content, content_type="text/plain")

    assert store.artifacts.get_artifact(ref) == content


def test_overwrite_replaces_content(store: Store) -> None:
    store.artifacts.put_artifact("run-1", "snap", os.urandom(700_000))
    ref = store.artifacts.put_artifact("run-1", "snap", b"small now")

    assert store.artifacts.get_artifact(ref) == b"small now"
    assert store.artifacts.list_artifacts("run-1") == [ref]


def test_empty_content(store: Store) -> None:
    ref = store.artifacts.put_artifact("run-1", "empty", b"")

    assert store.artifacts.get_artifact(ref) == b""


def test_list_is_per_run_and_sorted(store: Store) -> None:
    store.artifacts.put_artifact("run-1", "b", "2")
    store.artifacts.put_artifact("run-1", "a", "1")
    store.artifacts.put_artifact("run-2", "c", "3")

    assert store.artifacts.list_artifacts("run-1") == ["artifact://run-1/a", "artifact://run-1/b"]
    assert store.artifacts.list_artifacts("run-3") == []


def test_too_large_is_refused_clearly(store: Store) -> None:
    with pytest.raises(ArtifactTooLarge) as raised:
        store.artifacts.put_artifact("run-1", "huge", b"x" * (MAX_ARTIFACT_BYTES + 1))

    assert raised.value.status_code == 413
    assert store.artifacts.list_artifacts("run-1") == []


def test_missing_and_malformed_references(store: Store) -> None:
    with pytest.raises(NotFound):
        store.artifacts.get_artifact("artifact://run-1/nothing")
    with pytest.raises(ValueError):
        store.artifacts.get_artifact("s3://bucket/key")
    with pytest.raises(ValueError):
        store.artifacts.put_artifact("run/1", "x", "y")
