"""``HttpRunReader``: what ``tracklet.Api("http://host:port")`` reads through ``/api/v1``.

It offers the same read methods as a local ``MetadataStore`` (``list_projects``,
``list_runs``, ``get_run``, ``list_metric_keys``, ``read_series``, ``read_console``), so
``Api``, ``Runs`` and ``ApiRun`` work the same against a server. Every reply is asked for
as msgpack, which carries NaN and infinities as floats (JSON would turn them into
strings), and every list is followed page by page.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Sequence
from typing import Any, Literal
from urllib.parse import quote

import httpx
import msgspec

from tracklet.shipping.client import RetryPolicy, ServerClient
from tracklet.store.base import (
    ConsoleLine,
    MediaValue,
    Page,
    ProjectInfo,
    RunFilter,
    RunInfo,
    RunRef,
    Series,
)

PAGE = 1000                  # projects, keys per request (the server's maximum)
MAX_KEYS = 100               # keys per history request (the server's maximum)
MAX_POINTS = 100_000         # points per key per history request (the server's maximum)
MAX_CONSOLE = 10_000         # console lines per request (the server's maximum)
MEDIA_PAGE = 200             # media values per request (tables can be megabytes each)
MAX_KEYS_QUERY = 4_000       # characters of keys per request: request lines stay short
MSGPACK = {"Accept": "application/x-msgpack"}
_OPS = {"=": "$eq", "!=": "$ne", "<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte",
        "in": "$in", "contains": "$contains"}
_RUN_FIELDS = {f.name for f in dataclasses.fields(RunInfo)}
_PROJECT_FIELDS = {f.name for f in dataclasses.fields(ProjectInfo)}
_CONSOLE_FIELDS = {f.name for f in dataclasses.fields(ConsoleLine)}


class _HistoryReply(msgspec.Struct):
    series: list[Series]
    next_min_step: int | None = None


def _q(*parts: str) -> str:
    return "/".join(quote(p, safe="") for p in parts)


def _run_path(run: RunRef) -> str:
    return "/runs/" + _q(run.entity, run.project, run.run_id)


def run_info(data: dict[str, Any]) -> RunInfo:
    """A ``RunInfo`` from the server's run object (fields it does not know are ignored)."""
    return RunInfo(**{k: v for k, v in data.items() if k in _RUN_FIELDS})


def filters_json(filters: Sequence[RunFilter]) -> str:
    """``RunFilter``s as the W&B-style JSON the server reads (all must hold)."""
    clauses = [{f.field: {_OPS[f.op]: f.value}} for f in filters]
    return json.dumps({"$and": clauses}, separators=(",", ":"), allow_nan=False)


class HttpRunReader:
    def __init__(self, base_url: str, api_key: str | None = None, *,
                 transport: httpx.BaseTransport | None = None,
                 timeout: float = 60.0, retry: RetryPolicy | None = None) -> None:
        self.client = ServerClient(base_url, api_key, transport=transport, timeout=timeout,
                                   retry=retry)
        self._history = msgspec.msgpack.Decoder(_HistoryReply)

    @property
    def base_url(self) -> str:
        return self.client.base_url

    def _get(self, path: str, params: dict[str, Any] | list[tuple[str, Any]] | None = None
             ) -> Any:
        return msgspec.msgpack.decode(
            self.client.request("GET", path, params=params, headers=MSGPACK).content)

    def _pages(self, path: str, params: dict[str, Any]) -> Iterator[Any]:
        cursor: str | None = None
        while True:
            query = {**params, "limit": PAGE}
            if cursor is not None:
                query["cursor"] = cursor
            reply = self._get(path, query)
            yield from reply["items"]
            cursor = reply.get("next_cursor")
            if not cursor:
                return

    def list_projects(self, entity: str | None = None) -> list[ProjectInfo]:
        params = {"entity": entity} if entity else {}
        return [ProjectInfo(**{k: v for k, v in item.items() if k in _PROJECT_FIELDS})
                for item in self._pages("/projects", params)]

    def get_run(self, run: RunRef) -> RunInfo:
        return run_info(self._get(_run_path(run)))

    def list_runs(self, entity: str, project: str, *, filters: Sequence[RunFilter] = (),
                  order: Sequence[str] = ("-created_at",), limit: int = 100,
                  cursor: str | None = None) -> Page:
        params: dict[str, Any] = {"limit": limit, "order": ",".join(order)}
        if filters:
            params["filters"] = filters_json(filters)
        if cursor is not None:
            params["cursor"] = cursor
        reply = self._get("/runs/" + _q(entity, project), params)
        return Page([run_info(item) for item in reply["items"]], reply.get("next_cursor"))

    def list_metric_keys(self, run: RunRef, *,
                         kind: Literal["history", "system"]) -> list[str]:
        return [str(k) for k in self._pages(_run_path(run) + "/keys", {"kind": kind})]

    def read_series(self, run: RunRef, keys: Sequence[str], *, min_step: int | None = None,
                    max_step: int | None = None, limit: int | None = None) -> list[Series]:
        """The first ``limit`` points (all when None) of each key in ``[min_step,
        max_step]``, read in pages of at most the server's limits."""
        found: dict[str, Series] = {}
        for group in _key_groups(list(dict.fromkeys(keys))):
            for series in self._read_group(run, group, min_step, max_step, limit):
                found[series.key] = series
        return [found[k] for k in dict.fromkeys(keys) if k in found]

    def _read_group(self, run: RunRef, keys: list[str], min_step: int | None,
                    max_step: int | None, limit: int | None) -> list[Series]:
        path = _run_path(run) + "/history"
        out = {k: Series(k, [], [], []) for k in keys}
        seen: set[str] = set()
        lo = min_step
        per_page = min(limit, MAX_POINTS) if limit is not None else MAX_POINTS
        while True:
            params: list[tuple[str, Any]] = [("keys", k) for k in keys]
            params.extend((name, value) for name, value in
                          (("min_step", lo), ("max_step", max_step), ("limit", per_page))
                          if value is not None)
            response = self.client.request("GET", path, params=params, headers=MSGPACK)
            reply = self._history.decode(response.content)
            for series in reply.series:
                seen.add(series.key)
                into = out[series.key]
                into.steps.extend(series.steps)
                into.timestamps.extend(series.timestamps)
                into.values.extend(series.values)
            lo = reply.next_min_step
            if lo is None or (limit is not None and all(len(s.steps) >= limit
                                                        for s in out.values())):
                break
        if limit is not None:
            out = {k: Series(k, s.steps[:limit], s.timestamps[:limit], s.values[:limit])
                   for k, s in out.items()}
        return [out[k] for k in keys if k in seen]

    def list_media_keys(self, run: RunRef) -> list[str]:
        return list(self._get(_run_path(run) + "/media/keys")["items"])

    def read_media(self, run: RunRef, keys: Sequence[str] | None = None, *,
                   min_step: int | None = None, max_step: int | None = None,
                   offset: int = 0, limit: int | None = None) -> list[MediaValue]:
        """Media values through ``/media``, page by page (keys in groups of 100)."""
        groups = [None] if keys is None else [list(keys)[i:i + 100]
                                              for i in range(0, len(keys), 100)]
        found: list[MediaValue] = []
        for group in groups:
            params: list[tuple[str, Any]] = [("keys", k) for k in group or []]
            params += [(n, v) for n, v in (("min_step", min_step), ("max_step", max_step))
                       if v is not None]
            next_offset: int | None = 0
            while next_offset is not None:
                reply = self._get(_run_path(run) + "/media",
                                  [*params, ("offset", next_offset), ("limit", MEDIA_PAGE)])
                found.extend(MediaValue(**item) for item in reply["items"])
                next_offset = reply.get("next_offset")
        found.sort(key=lambda m: (m.step, m.key))
        end = None if limit is None else offset + limit
        return found[offset:end]

    def read_media_blob(self, run: RunRef, digest: str) -> bytes:
        """The bytes of an image the run logged (``/media/blobs/{digest}``)."""
        return self.client.request("GET", _run_path(run) + f"/media/blobs/{digest}").content

    def read_console(self, run: RunRef, *, offset: int = 0, limit: int = 1000,
                     search: str | None = None) -> list[ConsoleLine]:
        lines: list[ConsoleLine] = []
        next_offset: int | None = offset
        while next_offset is not None and len(lines) < limit:
            params: dict[str, Any] = {"offset": next_offset,
                                      "limit": min(limit - len(lines), MAX_CONSOLE)}
            if search:
                params["search"] = search
            reply = self._get(_run_path(run) + "/console", params)
            lines.extend(ConsoleLine(**{k: v for k, v in item.items()
                                        if k in _CONSOLE_FIELDS})
                         for item in reply["items"])
            next_offset = reply.get("next_offset")
        return lines

    def close(self) -> None:
        self.client.close()


def _key_groups(keys: Sequence[str]) -> Iterator[list[str]]:
    """Keys in groups the server takes in one request (count and request-line length)."""
    group: list[str] = []
    size = 0
    for key in keys:
        cost = len(quote(key, safe="")) + 6
        if group and (size + cost > MAX_KEYS_QUERY or len(group) >= MAX_KEYS):
            yield group
            group, size = [], 0
        group.append(key)
        size += cost
    if group:
        yield group
