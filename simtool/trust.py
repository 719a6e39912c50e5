"""A file never chooses the network or a secret.

Traces, worlds, suites and sweep specs travel between users, so what they say is untrusted.
A policy that can make network requests declares which of its options turn them on and
where they go (:class:`NetworkOptions`, the class attribute ``network``). Then:

- a policy section read from a file may only hold an offline mode (``llm_mode: replay``);
  live or record mode comes from the command line (``--set policy.llm_mode=live``);
- a policy a file chooses, whose default mode is not offline, needs its mode from the
  command line too;
- when the network is on, the endpoint and the key variable (``base_url``,
  ``api_key_env``) come from the command line, never from the file;
- a URL holding credentials (``user:pass@host``) is refused, and never quoted back;
- files an option names (a cassette) resolve next to the file that names them.

The check runs where a config is assembled from a file and the command line
(:mod:`simtool.config`, :func:`simtool.run.replay`, the sweep), not inside a policy's own
options: code that builds a config in Python is trusted.
"""

from __future__ import annotations

import contextvars
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from attrs import frozen

from simtool import registry
from simtool.errors import SimtoolError, SpecError
from simtool.yamlspec import Located

__all__ = ["NetworkOptions", "network_of", "check_policy_origin", "redact_url", "check_url", "files_beside",
           "locate_named_file"]


@frozen
class NetworkOptions:
    """What a policy's options say about the network (declared as the policy class's ``network``)."""

    mode: str  # the option that turns requests on
    offline: tuple[str, ...]  # its values that make no request
    default: str  # its value when nobody gives one
    endpoints: tuple[str, ...]  # options naming where requests go and which secret they carry
    urls: tuple[str, ...] = ()  # options holding a URL (never with credentials)


def network_of(policy_name: str) -> NetworkOptions | None:
    """The network options a registered policy declares (None: it never makes a request)."""
    try:
        cls = registry.load("policy", policy_name)
    except SimtoolError:
        return None
    network = getattr(cls, "network", None)
    return network if isinstance(network, NetworkOptions) else None


def redact_url(url: str) -> str:
    """``url`` with any ``user:password@`` replaced by ``***@``: safe to print or record."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<a URL that cannot be parsed>"
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, "***@" + host, parts.path, parts.query, parts.fragment))


def check_url(value: Any, key: str) -> None:
    """A URL option must not carry credentials (they would reach the trace header and messages)."""
    if isinstance(value, str) and value and "@" in (urlsplit(value).netloc if _parses(value) else value):
        raise SpecError("a URL must not hold credentials (user:password@): they would be written to the trace; "
                        "put the key in the environment variable that api_key_env names",
                        key=key, expected="scheme://host[:port]/path", found=redact_url(value))


def _parses(value: str) -> bool:
    try:
        urlsplit(value)
    except ValueError:
        return False
    return True


def check_policy_origin(policy: Mapping[str, Any], *, origin: str, where: Located | None = None,
                        command_line: Collection[str] = (), name_from_command_line: bool = False) -> None:
    """Refuse a policy section whose network settings came from a file.

    ``policy``: the section after the command line's overrides; ``command_line``: the option
    keys the command line gave (``--set policy.<key>=...``); ``name_from_command_line``: the
    policy was chosen by ``--policy``; ``origin``: what the file is ("the world file",
    "the trace header", "the sweep spec").
    """
    name = policy.get("name")
    if not isinstance(name, str):
        return
    network = network_of(name)
    if network is None:
        return
    where = where or Located(None, {})
    for key in network.urls:
        if key in policy:
            try:
                check_url(policy[key], f"policy.{key}")
            except SpecError as exc:
                if key in command_line:
                    raise
                raise where.error(("policy", key), exc.detail, expected=exc.expected, found=exc.found) from None
    how = f"--set policy.{network.mode}=<mode> on the command line"
    if network.mode in policy and network.mode not in command_line:
        mode = policy[network.mode]
        if mode not in network.offline:
            raise where.error(("policy", network.mode),
                              f"{origin} cannot turn on network requests: a file never chooses the network; "
                              f"pass {how.replace('<mode>', str(mode))}",
                              expected=" | ".join(network.offline), found=mode)
    mode = policy.get(network.mode, network.default)
    if mode in network.offline:
        return  # offline: the endpoint options are inert
    if network.mode not in policy and not name_from_command_line:
        raise where.error(("policy",),
                          f"{origin} chooses the '{name}' policy, whose default {network.mode} '{network.default}' makes "
                          f"network requests, and a file never chooses the network: pass {how.replace('<mode>', network.default)} "
                          f"(or --policy {name}), or set {network.mode}: {network.offline[0]} in the file",
                          expected=f"{network.mode}: " + " | ".join(network.offline), found=f"no {network.mode}")
    for key in network.endpoints:
        value = policy.get(key)
        if value and key not in command_line:
            shown = redact_url(value) if isinstance(value, str) else value
            raise where.error(("policy", key),
                              f"{origin} sets policy.{key}, but the endpoint and the key variable come only from the command line "
                              f"when the network is on: pass --set policy.{key}=... yourself, or leave it out of the file",
                              expected="nothing in the file", found=shown)


# ---------------------------------------------------------------------------- named files
_beside: contextvars.ContextVar[Path | None] = contextvars.ContextVar("simtool_files_beside", default=None)


@contextmanager
def files_beside(folder: str | Path | None) -> Iterator[None]:
    """While active, file paths that options name resolve in ``folder`` (that of the file naming them)."""
    token = _beside.set(Path(folder) if folder is not None else None)
    try:
        yield
    finally:
        _beside.reset(token)


def locate_named_file(path: str | Path) -> Path:
    """Where a file an option names is: as given, or, inside :func:`files_beside`, in that folder.

    In that folder a relative path is tried as written, then by its bare name (a trace and its
    cassette travel together); an absolute path is only tried by its bare name there.
    """
    folder = _beside.get()
    p = Path(path)
    if folder is None:
        return p
    candidates = ([folder / p] if not p.is_absolute() else []) + [folder / p.name]
    for candidate in candidates:
        if candidate.exists():
            return candidate
    return candidates[0]
