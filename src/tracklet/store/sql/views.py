"""``SqlViewStore``: saved dashboard views (a named panel layout per project), in the same
database as the metadata store (table ``saved_views``, revision 0003)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update

from tracklet.errors import NotFoundError, ValidationError
from tracklet.store.sql.engine import SqlStoreBase
from tracklet.store.sql.schema import saved_views

MAX_NAME = 128


@dataclass(frozen=True)
class SavedView:
    entity: str
    project: str
    name: str
    spec: dict[str, Any]
    created_at: float
    updated_at: float


class SqlViewStore(SqlStoreBase):
    """Saved views of the dashboard, keyed by (entity, project, name)."""

    what = "view store"

    def list_views(self, entity: str, project: str) -> list[SavedView]:
        query = (select(saved_views).where(saved_views.c.entity == entity,
                                           saved_views.c.project == project)
                 .order_by(saved_views.c.name))
        with self._engine.connect() as conn:
            return [_view(row) for row in conn.execute(query)]

    def save_view(self, entity: str, project: str, name: str,
                  spec: dict[str, Any]) -> SavedView:
        """Create the view, or replace the spec of the one with that name."""
        if not 1 <= len(name) <= MAX_NAME or not name.strip():
            raise ValidationError(f"a view name must have 1-{MAX_NAME} characters, not "
                                  f"{len(name)}")
        now = self._clock()
        where = (saved_views.c.entity == entity, saved_views.c.project == project,
                 saved_views.c.name == name)
        with self._engine.begin() as conn:
            found = conn.execute(select(saved_views.c.id).where(*where)).first()
            if found is None:
                conn.execute(insert(saved_views).values(
                    entity=entity, project=project, name=name, spec=spec, created_at=now,
                    updated_at=now))
            else:
                conn.execute(update(saved_views).where(saved_views.c.id == found[0])
                             .values(spec=spec, updated_at=now))
            row = conn.execute(select(saved_views).where(*where)).one()
        return _view(row)

    def delete_view(self, entity: str, project: str, name: str) -> None:
        with self._engine.begin() as conn:
            gone = conn.execute(delete(saved_views).where(
                saved_views.c.entity == entity, saved_views.c.project == project,
                saved_views.c.name == name))
        if not gone.rowcount:
            raise NotFoundError(f"no view {name!r} in {entity}/{project}",
                                details={"view": name})


def _view(row: Any) -> SavedView:
    return SavedView(entity=row.entity, project=row.project, name=row.name,
                     spec=dict(row.spec), created_at=row.created_at,
                     updated_at=row.updated_at)
