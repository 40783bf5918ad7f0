"""Shared pieces of the ``aof.dev/v1`` resource envelope."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# The egress address checks (7 to 9 ms) are imported only when a host is validated.

API_VERSION = "aof.dev/v1"

#: Names are used in execution names, table keys and URLs: keep them DNS-label-like.
NAME_PATTERN = r"^[a-z0-9]([a-z0-9_.-]{0,61}[a-z0-9])?$"


class StrictModel(BaseModel):
    """Base for every spec model: unknown fields are errors, never silently ignored."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, protected_namespaces=())


class Metadata(StrictModel):
    name: str = Field(pattern=NAME_PATTERN)
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)


ApiVersion = Literal["aof.dev/v1"]


def _allowed_host(entry: str) -> str:
    from ..egress.addresses import allowlist_entry_problem

    problem = allowlist_entry_problem(entry)
    if problem:
        raise ValueError(problem)
    return entry


#: An entry of an egress allowlist: a host name, an IP address or a CIDR network.
AllowedHost = Annotated[str, AfterValidator(_allowed_host)]
