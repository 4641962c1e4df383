"""Bodies of the account endpoints: login, keys, users, teams, visibility, share links."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Name = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.-]+$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginIn(Strict):
    username: str = Field(max_length=128)
    password: str = Field(max_length=1024)


class LoginOut(BaseModel):
    username: str
    csrf_token: str = Field(description="Send it as `X-CSRF-Token` on every write made "
                                        "with the session cookie.")


class TeamRole(BaseModel):
    name: str
    role: Literal["admin", "member", "viewer"]


class MeOut(BaseModel):
    username: str | None = Field(description="None for a static admin key.")
    admin: bool
    via: str
    teams: list[TeamRole]


class KeyIn(Strict):
    name: str = Field("", max_length=128)


class KeyOut(BaseModel):
    id: int
    username: str
    name: str
    prefix: str = Field(description="The key's first characters, to tell keys apart.")
    created_at: float
    revoked_at: float | None


class NewKeyOut(KeyOut):
    key: str = Field(description="The key itself: shown this once, store it now.")


class KeyList(BaseModel):
    items: list[KeyOut]


class UserIn(Strict):
    username: str = Name
    password: str | None = Field(None, min_length=8, max_length=1024)
    admin: bool = False


class UserOut(BaseModel):
    id: int
    username: str
    is_admin: bool
    created_at: float


class TeamIn(Strict):
    name: str = Name


class TeamOut(BaseModel):
    id: int
    name: str
    created_at: float


class MemberIn(Strict):
    username: str = Field(max_length=128)
    role: Literal["admin", "member", "viewer"]


class VisibilityIn(Strict):
    visibility: Literal["private", "team", "public"]


class VisibilityOut(BaseModel):
    entity: str
    project: str
    visibility: Literal["private", "team", "public"]


class ShareIn(Strict):
    entity: str = Field(max_length=128)
    project: str = Field(max_length=128)
    run_id: str | None = Field(None, max_length=64)


class ShareOut(BaseModel):
    id: int
    entity: str
    project: str
    run_id: str | None
    created_at: float
    token: str = Field(description="Shown this once; pass it as `?share=` or "
                                   "`X-Tracklet-Share`.")


class MemberOut(BaseModel):
    team: str
    username: str
    role: Literal["admin", "member", "viewer"]


class UserList(BaseModel):
    items: list[UserOut]
    next_cursor: str | None


class PasswordIn(Strict):
    password: str = Field(min_length=8, max_length=1024, description="The new password.")
    current_password: str | None = Field(
        None, max_length=1024, description="Your present password: needed to change your "
        "own once you have one (a site admin setting another user's needs none).")


class MyTeamOut(TeamOut):
    role: Literal["admin", "member", "viewer"] | None = Field(
        description="Your role in the team (None: you see it as a site admin).")


class TeamList(BaseModel):
    items: list[MyTeamOut]
    next_cursor: str | None


class MemberList(BaseModel):
    items: list[MemberOut]
    next_cursor: str | None


class ShareLinkOut(BaseModel):
    id: int
    entity: str
    project: str
    run_id: str | None
    created_at: float
    revoked_at: float | None


class ShareList(BaseModel):
    items: list[ShareLinkOut]
    next_cursor: str | None
