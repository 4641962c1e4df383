"""``SqlAccountStore``: the account store over SQLAlchemy Core, beside the metadata store
in the same database (same schema, same migrations)."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from tracklet.errors import ConflictError, NotFoundError, ValidationError
from tracklet.store.accounts import (
    PREFIX_CHARS,
    ROLES,
    VISIBILITIES,
    ApiKey,
    Member,
    Role,
    Session,
    ShareLink,
    Team,
    User,
    Visibility,
    check_password,
    hash_password,
    new_api_key,
    new_token,
    token_hash,
)
from tracklet.store.sql.engine import SqlStoreBase
from tracklet.store.sql.schema import (
    api_keys,
    memberships,
    project_visibility,
    sessions,
    share_links,
    teams,
    users,
)

MIN_PASSWORD = 8
NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


def check_name(kind: str, name: str) -> str:
    if not 1 <= len(name) <= 128 or not set(name) <= NAME_CHARS or name in (".", ".."):
        raise ValidationError(f"{kind} {name!r} is not valid: use 1-128 letters, digits, "
                              "'_', '.' or '-'")
    return name


class SqlAccountStore(SqlStoreBase):
    """Users, keys, teams, visibility and share links in one SQL database."""

    what = "account store"

    # -- users and keys ---------------------------------------------------------------------

    def create_user(self, username: str, *, password: str | None = None,
                    admin: bool = False) -> User:
        check_name("username", username)
        hashed = None if password is None else hash_password(password)
        now = self._clock()
        with self._engine.begin() as conn:
            self._name_free(conn, username)
            try:
                uid = conn.execute(insert(users).values(
                    username=username, password_hash=hashed, is_admin=admin,
                    created_at=now)).inserted_primary_key
            except IntegrityError:
                raise ConflictError(f"the name {username!r} is taken") from None
        assert uid is not None
        return User(int(uid[0]), username, admin, now)

    def get_user(self, username: str) -> User:
        with self._engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.username == username)).first()
        if row is None:
            raise NotFoundError(f"no user {username!r}")
        return _user(row)

    def list_users(self) -> list[User]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(users).order_by(users.c.username)).all()
        return [_user(r) for r in rows]

    def set_password(self, username: str, password: str) -> None:
        """Set (or replace) the login password; the user's browser sessions end."""
        if len(password) < MIN_PASSWORD:
            raise ValidationError(f"the password must have at least {MIN_PASSWORD} "
                                  "characters")
        user = self.get_user(username)
        hashed = hash_password(password)
        with self._engine.begin() as conn:
            conn.execute(update(users).where(users.c.id == user.id)
                         .values(password_hash=hashed))
            conn.execute(delete(sessions).where(sessions.c.user_id == user.id))

    def count_users(self) -> int:
        with self._engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(users)).scalar_one())

    def check_login(self, username: str, password: str) -> User | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.username == username)).first()
        stored = None if row is None else row.password_hash
        if not check_password(password, stored):
            return None
        assert row is not None
        return _user(row)

    def create_api_key(self, username: str, name: str = "") -> tuple[ApiKey, str]:
        user = self.get_user(username)
        key = new_api_key()
        now = self._clock()
        with self._engine.begin() as conn:
            kid = conn.execute(insert(api_keys).values(
                user_id=user.id, name=name[:128], prefix=key[:PREFIX_CHARS],
                key_hash=token_hash(key), created_at=now)).inserted_primary_key
        assert kid is not None
        return ApiKey(int(kid[0]), username, name[:128], key[:PREFIX_CHARS], now, None), key

    def list_api_keys(self, username: str) -> list[ApiKey]:
        with self._engine.connect() as conn:
            rows = conn.execute(self._keys().where(users.c.username == username)
                                .order_by(api_keys.c.id)).all()
        return [_key(r) for r in rows]

    def get_api_key(self, key_id: int) -> ApiKey:
        with self._engine.connect() as conn:
            row = conn.execute(self._keys().where(api_keys.c.id == key_id)).first()
        if row is None:
            raise NotFoundError(f"no API key {key_id}")
        return _key(row)

    def revoke_api_key(self, key_id: int) -> None:
        with self._engine.begin() as conn:
            conn.execute(update(api_keys).where(api_keys.c.id == key_id,
                                                api_keys.c.revoked_at.is_(None))
                         .values(revoked_at=self._clock()))

    def user_for_key(self, key: str) -> User | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(users).join(api_keys, api_keys.c.user_id == users.c.id)
                .where(api_keys.c.key_hash == token_hash(key),
                       api_keys.c.revoked_at.is_(None))).first()
        return None if row is None else _user(row)

    # -- sessions ---------------------------------------------------------------------------

    def create_session(self, user: User, *, ttl: float) -> tuple[str, str]:
        token, csrf = new_token(), new_token()
        now = self._clock()
        with self._engine.begin() as conn:
            conn.execute(delete(sessions).where(sessions.c.expires_at < now))
            conn.execute(insert(sessions).values(
                user_id=user.id, token_hash=token_hash(token), csrf_hash=token_hash(csrf),
                created_at=now, expires_at=now + ttl))
        return token, csrf

    def get_session(self, token: str) -> Session | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(users, sessions.c.csrf_hash, sessions.c.expires_at)
                .join(sessions, sessions.c.user_id == users.c.id)
                .where(sessions.c.token_hash == token_hash(token))).first()
        if row is None or row.expires_at <= self._clock():
            return None
        return Session(_user(row), row.csrf_hash, row.expires_at)

    def delete_session(self, token: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(delete(sessions).where(sessions.c.token_hash == token_hash(token)))

    # -- teams ------------------------------------------------------------------------------

    def create_team(self, name: str, *, admin: str | None = None) -> Team:
        check_name("team name", name)
        creator = None if admin is None else self.get_user(admin)
        now = self._clock()
        with self._engine.begin() as conn:
            self._name_free(conn, name)
            try:
                tid = conn.execute(insert(teams).values(name=name, created_at=now)
                                   ).inserted_primary_key
            except IntegrityError:
                raise ConflictError(f"the name {name!r} is taken") from None
            assert tid is not None
            if creator is not None:
                conn.execute(insert(memberships).values(team_id=tid[0], user_id=creator.id,
                                                        role="admin"))
        return Team(int(tid[0]), name, now)

    def get_team(self, name: str) -> Team:
        with self._engine.connect() as conn:
            row = conn.execute(select(teams).where(teams.c.name == name)).first()
        if row is None:
            raise NotFoundError(f"no team {name!r}")
        return Team(row.id, row.name, row.created_at)

    def set_member(self, team: str, username: str, role: Role) -> None:
        if role not in ROLES:
            raise ValidationError(f"role must be one of {', '.join(ROLES)}")
        found, user = self.get_team(team), self.get_user(username)
        with self._engine.begin() as conn:
            where = (memberships.c.team_id == found.id) & (memberships.c.user_id == user.id)
            current = conn.execute(select(memberships.c.role).where(where)).scalar()
            if current == "admin" and role != "admin":
                self._keep_an_admin(conn, found)
            if conn.execute(update(memberships).where(where).values(role=role)).rowcount == 0:
                conn.execute(insert(memberships).values(team_id=found.id, user_id=user.id,
                                                        role=role))

    def remove_member(self, team: str, username: str) -> None:
        found, user = self.get_team(team), self.get_user(username)
        with self._engine.begin() as conn:
            where = (memberships.c.team_id == found.id) & (memberships.c.user_id == user.id)
            role = conn.execute(select(memberships.c.role).where(where)).scalar()
            if role is None:
                raise NotFoundError(f"{username!r} is not a member of team {team!r}")
            if role == "admin":
                self._keep_an_admin(conn, found)
            conn.execute(delete(memberships).where(where))

    def list_teams(self) -> list[Team]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(teams).order_by(teams.c.name)).all()
        return [Team(r.id, r.name, r.created_at) for r in rows]

    def list_members(self, team: str) -> list[Member]:
        found = self.get_team(team)
        with self._engine.connect() as conn:
            rows = conn.execute(select(users.c.username, memberships.c.role)
                                .join(memberships, memberships.c.user_id == users.c.id)
                                .where(memberships.c.team_id == found.id)
                                .order_by(users.c.username)).all()
        return [Member(r.username, cast(Role, r.role)) for r in rows]

    @staticmethod
    def _keep_an_admin(conn: Connection, team: Team) -> None:
        """Refuse to take away the team's last admin (nobody could manage it any more)."""
        admins = conn.execute(select(func.count()).select_from(memberships).where(
            memberships.c.team_id == team.id, memberships.c.role == "admin")).scalar_one()
        if admins <= 1:
            raise ConflictError(f"team {team.name!r} would have no admin left: make "
                                "someone else an admin first")

    def roles_of(self, user_id: int) -> dict[str, Role]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(teams.c.name, memberships.c.role)
                                .join(memberships, memberships.c.team_id == teams.c.id)
                                .where(memberships.c.user_id == user_id)).all()
        return {r.name: cast(Role, r.role) for r in rows}

    # -- visibility and share links ---------------------------------------------------------

    def get_visibility(self, entity: str, project: str) -> Visibility:
        with self._engine.connect() as conn:
            found = conn.execute(select(project_visibility.c.visibility).where(
                project_visibility.c.entity == entity,
                project_visibility.c.project == project)).scalar()
        return cast(Visibility, found or "private")

    def set_visibility(self, entity: str, project: str, visibility: Visibility) -> None:
        if visibility not in VISIBILITIES:
            raise ValidationError(f"visibility must be one of {', '.join(VISIBILITIES)}")
        with self._engine.begin() as conn:
            where = ((project_visibility.c.entity == entity)
                     & (project_visibility.c.project == project))
            changed = conn.execute(update(project_visibility).where(where)
                                   .values(visibility=visibility)).rowcount
            if changed == 0:
                conn.execute(insert(project_visibility).values(
                    entity=entity, project=project, visibility=visibility))

    def list_visibilities(self) -> dict[tuple[str, str], Visibility]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(project_visibility)).all()
        return {(r.entity, r.project): cast(Visibility, r.visibility) for r in rows}

    def create_share_link(self, entity: str, project: str, run_id: str | None, *,
                          created_by: int | None) -> tuple[ShareLink, str]:
        token = new_token()
        now = self._clock()
        with self._engine.begin() as conn:
            lid = conn.execute(insert(share_links).values(
                token_hash=token_hash(token), entity=entity, project=project, run_id=run_id,
                created_by=created_by, created_at=now)).inserted_primary_key
        assert lid is not None
        return ShareLink(int(lid[0]), entity, project, run_id, now, None), token

    def get_share_link(self, link_id: int) -> ShareLink:
        with self._engine.connect() as conn:
            row = conn.execute(select(share_links).where(share_links.c.id == link_id)).first()
        if row is None:
            raise NotFoundError(f"no share link {link_id}")
        return _link(row)

    def share_link_for(self, token: str) -> ShareLink | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(share_links).where(
                share_links.c.token_hash == token_hash(token),
                share_links.c.revoked_at.is_(None))).first()
        return None if row is None else _link(row)

    def revoke_share_link(self, link_id: int) -> None:
        with self._engine.begin() as conn:
            conn.execute(update(share_links).where(share_links.c.id == link_id,
                                                   share_links.c.revoked_at.is_(None))
                         .values(revoked_at=self._clock()))

    def list_share_links(self, entity: str, project: str) -> list[ShareLink]:
        """The project's links (those of its runs too), newest first, revoked ones too."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(share_links).where(
                share_links.c.entity == entity, share_links.c.project == project)
                .order_by(share_links.c.id.desc())).all()
        return [_link(r) for r in rows]

    # -- helpers ----------------------------------------------------------------------------

    @staticmethod
    def _name_free(conn: Connection, name: str) -> None:
        taken = (conn.execute(select(users.c.id).where(users.c.username == name)).first()
                 or conn.execute(select(teams.c.id).where(teams.c.name == name)).first())
        if taken:
            raise ConflictError(f"the name {name!r} is taken by a user or a team")

    @staticmethod
    def _keys() -> Any:
        return select(api_keys, users.c.username).join(users,
                                                       users.c.id == api_keys.c.user_id)


def _user(row: Row[Any]) -> User:
    return User(row.id, row.username, bool(row.is_admin), row.created_at)


def _key(row: Row[Any]) -> ApiKey:
    return ApiKey(row.id, row.username, row.name, row.prefix, row.created_at, row.revoked_at)


def _link(row: Row[Any]) -> ShareLink:
    return ShareLink(row.id, row.entity, row.project, row.run_id, row.created_at,
                     row.revoked_at)
