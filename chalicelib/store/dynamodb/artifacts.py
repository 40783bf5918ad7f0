from __future__ import annotations

import hashlib

from chalicelib.store import rules
from chalicelib.store.dynamodb.table import Table, s

#: Bytes per chunk item; DynamoDB caps an item at 400 KB including its keys.
CHUNK_BYTES = 300_000
_META = "META#"


def _pk(run_id: str) -> str:
    return f"ARTIFACT#{run_id}"


def _chunk_sk(name: str, digest: str, index: int) -> str:
    return f"CHUNK#{digest}#{index:05d}#{name}"


class DynamoArtifactStore:
    """Artifacts split into chunk items plus one meta item naming them.

    Chunks are keyed by the content's digest and written before the meta item, so a reader
    never sees a meta item whose chunks are missing or belong to other content; an overwrite
    deletes the previous content's chunks only after the meta item points at the new ones.
    Content over :data:`rules.MAX_ARTIFACT_BYTES` is refused with ``ArtifactTooLarge``.
    """

    def __init__(self, table: Table) -> None:
        self._table = table

    def put_artifact(self, run_id: str, name: str, content: bytes | str, content_type: str = "application/json") -> str:
        ref = rules.artifact_ref(run_id, name)
        data = rules.artifact_bytes(content)
        digest = hashlib.sha256(data).hexdigest()[:32]
        pk = _pk(run_id)
        chunks = [data[i : i + CHUNK_BYTES] for i in range(0, len(data), CHUNK_BYTES)] or [b""]
        previous = self._table.get(pk, _META + name)
        for index, chunk in enumerate(chunks):
            self._table.put({"pk": s(pk), "sk": s(_chunk_sk(name, digest, index)), "content": {"B": chunk}})
        self._table.put(
            {
                "pk": s(pk),
                "sk": s(_META + name),
                "name": s(name),
                "content_type": s(content_type),
                "digest": s(digest),
                "chunks": {"N": str(len(chunks))},
                "size": {"N": str(len(data))},
            }
        )
        if previous is not None and previous["digest"]["S"] != digest:
            old_digest, old_count = previous["digest"]["S"], int(previous["chunks"]["N"])
            self._table.delete_many([(pk, _chunk_sk(name, old_digest, i)) for i in range(old_count)])
        return ref

    def get_artifact(self, ref: str) -> bytes:
        run_id, name = rules.parse_artifact_ref(ref)
        pk = _pk(run_id)
        # Two tries: an overwrite racing with this read may delete the chunks we were told of.
        for _ in range(2):
            meta = self._table.get(pk, _META + name)
            if meta is None:
                break
            digest, count = meta["digest"]["S"], int(meta["chunks"]["N"])
            parts = [self._table.get(pk, _chunk_sk(name, digest, i)) for i in range(count)]
            if all(part is not None for part in parts):
                return b"".join(bytes(part["content"]["B"]) for part in parts if part is not None)
        raise rules.artifact_not_found(ref)

    def list_artifacts(self, run_id: str) -> list[str]:
        items = self._table.query(
            "pk = :p AND begins_with(sk, :m)", {":p": s(_pk(run_id)), ":m": s(_META)}, projection="sk"
        )
        return sorted(rules.artifact_ref(run_id, item["sk"]["S"][len(_META) :]) for item in items)
