"""What an account store offers: users, API keys, teams, roles, visibility, share links.

Users and teams are *entities* (one namespace: a team cannot take a user's name); projects
belong to an entity. Secrets are never stored: passwords as argon2 hashes, API keys,
session and share tokens as SHA-256 digests (they are long random strings, so a fast hash
is enough), with a short visible prefix of each API key for listing.

The hashing helpers here are pure functions; randomness comes from ``secrets``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Literal, Protocol

Role = Literal["admin", "member", "viewer"]
Visibility = Literal["private", "team", "public"]
ROLES: tuple[Role, ...] = ("admin", "member", "viewer")
VISIBILITIES: tuple[Visibility, ...] = ("private", "team", "public")
WRITE_ROLES = frozenset({"admin", "member"})
KEY_PREFIX = "tk_"
PREFIX_CHARS = 10  # "tk_" + 7 characters shown when keys are listed


@dataclass(frozen=True)
class User:
    id: int
    username: str
    is_admin: bool
    created_at: float


@dataclass(frozen=True)
class ApiKey:
    """An API key as listed: never the key itself, only its first characters."""

    id: int
    username: str
    name: str
    prefix: str
    created_at: float
    revoked_at: float | None


@dataclass(frozen=True)
class Team:
    id: int
    name: str
    created_at: float


@dataclass(frozen=True)
class Member:
    """A user's role in a team."""

    username: str
    role: Role


@dataclass(frozen=True)
class ShareLink:
    """Read-only access to one project, or to one run when ``run_id`` is set."""

    id: int
    entity: str
    project: str
    run_id: str | None
    created_at: float
    revoked_at: float | None


@dataclass(frozen=True)
class Session:
    user: User
    csrf_hash: str
    expires_at: float


def token_hash(token: str) -> str:
    """The SHA-256 (hex) under which a random token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def same_hash(token: str, stored: str) -> bool:
    return hmac.compare_digest(token_hash(token), stored)


def new_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_password(password: str) -> str:
    from argon2 import PasswordHasher

    return PasswordHasher().hash(password)


def check_password(password: str, stored: str | None) -> bool:
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    if stored is None:
        return False
    try:
        return PasswordHasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


class AccountStore(Protocol):
    """Accounts of one server. Lookups by secret return None when nothing (or something
    revoked or expired) matches; ``get_`` methods raise ``NotFoundError``."""

    # users and keys
    def create_user(self, username: str, *, password: str | None = None,
                    admin: bool = False) -> User: ...
    def get_user(self, username: str) -> User: ...
    def list_users(self) -> list[User]: ...
    def set_password(self, username: str, password: str) -> None: ...
    def count_users(self) -> int: ...
    def check_login(self, username: str, password: str) -> User | None: ...
    def create_api_key(self, username: str, name: str = "") -> tuple[ApiKey, str]: ...
    def list_api_keys(self, username: str) -> list[ApiKey]: ...
    def get_api_key(self, key_id: int) -> ApiKey: ...
    def revoke_api_key(self, key_id: int) -> None: ...
    def user_for_key(self, key: str) -> User | None: ...

    # browser sessions
    def create_session(self, user: User, *, ttl: float) -> tuple[str, str]: ...
    def get_session(self, token: str) -> Session | None: ...
    def delete_session(self, token: str) -> None: ...

    # teams and roles
    def create_team(self, name: str, *, admin: str | None = None) -> Team: ...
    def get_team(self, name: str) -> Team: ...
    def set_member(self, team: str, username: str, role: Role) -> None: ...
    def remove_member(self, team: str, username: str) -> None: ...
    def list_teams(self) -> list[Team]: ...
    def list_members(self, team: str) -> list[Member]: ...
    def roles_of(self, user_id: int) -> dict[str, Role]: ...

    # projects and share links
    def get_visibility(self, entity: str, project: str) -> Visibility: ...
    def set_visibility(self, entity: str, project: str, visibility: Visibility) -> None: ...
    def list_visibilities(self) -> dict[tuple[str, str], Visibility]: ...
    def create_share_link(self, entity: str, project: str, run_id: str | None, *,
                          created_by: int | None) -> tuple[ShareLink, str]: ...
    def get_share_link(self, link_id: int) -> ShareLink: ...
    def share_link_for(self, token: str) -> ShareLink | None: ...
    def revoke_share_link(self, link_id: int) -> None: ...
    def list_share_links(self, entity: str, project: str) -> list[ShareLink]: ...
