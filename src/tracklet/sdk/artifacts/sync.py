"""``tracklet sync`` for artifacts: versions logged (or used) by offline runs, from the
local store of their data directory to a server.

An offline run logs artifacts into the local store beside its run log (blobs under
``<dir>/artifacts/blobs``, versions in ``<dir>/tracklet.db``). Syncing a run sends the
blobs the server lacks, commits each version the run logged or used, oldest first, with
its aliases, metadata, description and the run that logged it, and records which runs
used which versions. Everything is idempotent: the server keeps one version per manifest
digest, aliases and usages are set, not added, and blobs it holds are never sent again,
so a second sync creates nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from tracklet.sdk.artifacts.backend import LocalBackend
from tracklet.sdk.artifacts.http_backend import HttpBackend
from tracklet.store.artifacts import ArtifactVersionInfo


@dataclass
class ArtifactSyncReport:
    """What a sync of artifacts did."""

    versions: int = 0          # versions of the synced runs (logged or used)
    created: int = 0           # of those, new on the server
    blobs_sent: int = 0
    bytes_sent: int = 0
    usages: int = 0
    names: list[str] = field(default_factory=list)  # server names of the new versions

    def summary(self) -> str:
        if not self.versions:
            return "no artifacts"
        noun = "version" if self.versions == 1 else "versions"
        new = f"{self.created} new" if self.created else "up to date"
        return (f"{self.versions} artifact {noun} ({new}; {self.blobs_sent} files, "
                f"{self.bytes_sent / 1e6:.1f} MB sent)")


def sync_run_artifacts(local: LocalBackend, remote: HttpBackend,
                       runs: Iterable[tuple[str, str, str]], *,
                       show_progress: bool | None = None) -> ArtifactSyncReport:
    """Ship the artifacts that the ``runs`` (entity, project, run id) logged or used from
    ``local`` to ``remote``, with their lineage."""
    from tracklet.sdk.artifacts.transfer import send_blobs

    report = ArtifactSyncReport()
    versions: dict[int, ArtifactVersionInfo] = {}
    used_by: list[tuple[int, tuple[str, str, str]]] = []
    for entity, project, run_id in runs:
        logged, used = local.run_artifacts(entity, project, run_id)
        for info in logged:
            versions[info.id] = info
        for info in used:
            versions[info.id] = info
            used_by.append((info.id, (entity, project, run_id)))
    on_server: dict[int, ArtifactVersionInfo] = {}
    for info in sorted(versions.values(), key=lambda v: (v.created_at, v.version)):
        entries = local.list_files(info)
        blobs = {e.digest: e.size or 0 for e in entries if e.digest is not None}
        missing = remote.missing(info.entity, info.project, list(blobs)) if blobs else []
        todo = [(d, local.blobs.path(d), blobs[d]) for d in missing]
        send_blobs(remote, info.entity, info.project, todo, show_progress=show_progress)
        report.blobs_sent += len(todo)
        report.bytes_sent += sum(size for _, _, size in todo)
        made, created = remote.commit(
            info.entity, info.project, info.name, info.type, entries,
            description=info.description, metadata=info.metadata,
            aliases=[a for a in info.aliases if a != "latest"], run_id=info.run_id,
            digest=info.digest)
        for alias in info.aliases:  # an alias moved locally after this version: as there
            if alias != "latest" and alias not in made.aliases:
                made = remote.set_alias(made, alias)
        on_server[info.id] = made
        report.versions += 1
        if created:
            report.created += 1
            report.names.append(made.qualified_name)
    for version_id, (entity, project, run_id) in used_by:
        remote.record_usage(on_server[version_id], entity, project, run_id)
        report.usages += 1
    return report
