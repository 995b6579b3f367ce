"""FastAPI dependencies: the platform from the composition root, the caller and its permissions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request, status

from nplhub.api.security import Permission, Principal, TokenTable
from nplhub.bootstrap import Platform


def get_platform(request: Request) -> Platform:
    return request.app.state.platform  # type: ignore[no-any-return]


def principal_of(tokens: TokenTable, authorization: str | None, x_api_key: str | None) -> Principal:
    """The caller named by its headers (a bearer token or an X-API-Key); 401 for an unknown token."""
    token = x_api_key
    if authorization and authorization.lower().startswith("bearer "):
        token = authorization[7:].strip()
    principal = tokens.principal(token)
    if principal is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown token / 无效的访问令牌")
    return principal


def check(principal: Principal, permission: Permission) -> Principal:
    """`principal` when it holds `permission`; 403 naming the role and the permission otherwise."""
    if not principal.can(permission):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"role '{principal.role}' lacks permission '{permission}' / 当前角色无此权限",
        )
    return principal


def get_principal(
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
    x_api_key: Annotated[str | None, Header()] = None,
) -> Principal:
    return principal_of(request.app.state.tokens, authorization, x_api_key)


PlatformDep = Annotated[Platform, Depends(get_platform)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(permission: Permission) -> Callable[[Principal], Principal]:
    def checker(principal: PrincipalDep) -> Principal:
        return check(principal, permission)

    return checker
