"""Media values (histograms) in the store: on SQLite and on a real PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from record_builder import Segment

from tracklet.core import records as r
from tracklet.errors import NotFoundError
from tracklet.store.sql.store import SqlMetadataStore


def hist(values: list[int], bins: list[float]) -> dict[str, Any]:
    return {"_type": "histogram", "values": values, "bins": bins}


def media(seg: Segment, step: int, values: dict[str, dict[str, Any]]) -> r.Media:
    seq, ts = seg._next()
    return r.Media(seq, ts, step, values)


def stored(store: SqlMetadataStore, seg: Segment, **kw: Any) -> list[tuple[str, int, Any]]:
    return [(m.key, m.step, m.data) for m in store.read_media(seg.ref, **kw)]


def test_media_values_read_back_in_step_then_key_order(store: SqlMetadataStore) -> None:
    seg = Segment()
    batch = [seg.start(), media(seg, 1, {"b": hist([1], [0.0, 1.0]), "a": hist([2], [0, 2])}),
             media(seg, 0, {"b": hist([3], [0.0, 3.0])}), seg.history(0, loss=1.0)]
    assert store.append_records(seg.header, batch) == 4
    assert store.append_records(seg.header, batch) == 4  # delivered twice: applied once
    assert stored(store, seg) == [("b", 0, hist([3], [0.0, 3.0])),
                                  ("a", 1, hist([2], [0, 2])),
                                  ("b", 1, hist([1], [0.0, 1.0]))]
    assert store.list_media_keys(seg.ref) == ["a", "b"]
    assert [m.media_type for m in store.read_media(seg.ref)] == ["histogram"] * 3
    assert stored(store, seg, keys=["a"]) == [("a", 1, hist([2], [0, 2]))]
    assert [s for _, s, _ in stored(store, seg, min_step=1, max_step=1)] == [1, 1]
    assert [k for k, _, _ in stored(store, seg, offset=1, limit=1)] == ["a"]
    assert store.list_metric_keys(seg.ref, kind="history") == ["loss"]


def test_same_key_and_step_last_write_wins_across_batches(store: SqlMetadataStore) -> None:
    seg = Segment()
    store.append_records(seg.header, [seg.start(), media(seg, 5, {"h": hist([1], [0, 1])})])
    store.append_records(seg.header, [media(seg, 5, {"h": hist([9], [0, 9])}),
                                      media(seg, 5, {"h": hist([7], [0, 7])})])
    assert stored(store, seg) == [("h", 5, hist([7], [0, 7]))]


def test_deleting_a_run_deletes_its_media(store: SqlMetadataStore) -> None:
    seg = Segment()
    store.append_records(seg.header, [seg.start(), media(seg, 0, {"h": hist([1], [0, 1])})])
    store.delete_run(seg.ref)
    again = Segment(seg.ref.run_id)
    store.append_records(again.header, [again.start()])
    assert store.read_media(again.ref) == []
    with pytest.raises(NotFoundError):
        store.read_media(Segment("nosuchrun").ref)


def image(digest: str, **extra: Any) -> dict[str, Any]:
    return {"_type": "image-file", "sha256": digest, "size": 3, "width": 1, "height": 1,
            "format": "png", "path": f"media/images/{digest}.png", **extra}


def test_images_are_found_by_digest_only_in_their_run_and_when_granted(
        store: SqlMetadataStore, store_url: str) -> None:
    from sqlalchemy import select

    from tracklet.store.sql.artifacts import SqlArtifactStore
    from tracklet.store.sql.schema import media_values

    one, two, three, gone = ("1" * 64), ("2" * 64), ("3" * 64), ("4" * 64)
    seg = Segment("run-a")
    table = {"_type": "table", "columns": ["pic"], "data": [[image(three)]]}
    batch = [seg.start(), media(seg, 0, {"single": image(one), "table": table,
                                         "list": {"_type": "images/separated", "count": 1,
                                                  "images": [image(two)]},
                                         "lost": image(gone, missing="deleted")})]
    store.append_records(seg.header, batch)
    other = Segment("run-b")
    store.append_records(other.header, [other.start()])
    assert store.find_media_image(seg.ref, one) is None  # no grant for the project yet
    index = SqlArtifactStore(store_url)
    try:
        for digest in (one, two, three, gone):
            index.record_blob(digest, 3, grant=("team", "proj"))
    finally:
        index.close()
    assert store.find_media_image(seg.ref, one) == image(one)
    assert store.find_media_image(seg.ref, two) == image(two)  # inside a list
    assert store.find_media_image(seg.ref, three) == image(three)  # in a table cell
    assert store.find_media_image(seg.ref, gone) is None  # stored without its bytes
    assert store.find_media_image(other.ref, one) is None  # another run of the project
    assert store.find_media_image(seg.ref, "5" * 64) is None
    with store._read.connect() as conn:  # a single image names its blob in blob_key
        keys = dict(conn.execute(select(media_values.c.key, media_values.c.blob_key)).all())
    assert keys == {"single": f"sha256/11/11/{one}", "table": None, "list": None,
                    "lost": None}
