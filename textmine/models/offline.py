"""No network, ever: the Hugging Face libraries are told to stay offline, and a guard proves it.

textmine only ever loads models from local folders (the bundled MiniLM, a distilled static
model in the cache, or a folder the user names), always with ``local_files_only=True`` and
``trust_remote_code=False``. On top of that, :func:`enforce_offline` sets the libraries' own
offline switches, so that no code path inside them asks a model hub for anything (model
cards, telemetry, "is there a newer revision" checks).

:func:`block_network` is a guard that makes every outbound connection attempt fail loudly;
the tests wrap whole runs in it, and a researcher can do the same to convince an auditor.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: Environment switches read by huggingface_hub / transformers / sentence-transformers.
#: huggingface_hub reads them once, when it is imported, so they must be set first.
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
    "HF_HUB_DISABLE_UPDATE_CHECK": "1",
}


def enforce_offline() -> None:
    """Switch the Hugging Face libraries to offline mode (idempotent, cheap).

    Called when textmine is imported, before any model library is. If a notebook imported
    ``huggingface_hub`` earlier, its already-read constant is switched too.
    """
    os.environ.update(OFFLINE_ENV)
    hub_constants = sys.modules.get("huggingface_hub.constants")
    if hub_constants is not None:
        hub_constants.HF_HUB_OFFLINE = True
        hub_constants.HF_HUB_DISABLE_TELEMETRY = True


class NetworkBlocked(OSError):
    """Raised by :func:`block_network` when code tries to open a network connection."""


def _is_local_ipc(address: Any) -> bool:
    # AF_UNIX addresses are str/bytes paths: local inter-process communication, not network
    return isinstance(address, str | bytes)


@contextmanager
def block_network(attempts: list[str] | None = None) -> Iterator[list[str]]:
    """Make every network connection attempt inside the block raise :class:`NetworkBlocked`.

    Parameters
    ----------
    attempts
        A list the blocked targets are appended to (a new one if not given).

    Yields
    ------
    list of str
        The targets that were attempted (empty if nothing tried to connect).

    Examples
    --------
    >>> with block_network() as tried:                        # doctest: +SKIP
    ...     tm.run("configs/example.yaml")
    >>> assert tried == []
    """
    tried: list[str] = [] if attempts is None else attempts
    saved = (socket.socket.connect, socket.socket.connect_ex, socket.create_connection,
             socket.getaddrinfo)
    original_connect, original_connect_ex = saved[0], saved[1]

    def refuse(kind: str, target: Any) -> NetworkBlocked:
        tried.append(f"{kind} {target!r}")
        return NetworkBlocked(f"network access blocked by textmine: {kind} {target!r}")

    def connect(self, address):
        if _is_local_ipc(address):
            return original_connect(self, address)
        raise refuse("connect", address)

    def connect_ex(self, address):
        if _is_local_ipc(address):
            return original_connect_ex(self, address)
        raise refuse("connect_ex", address)

    def create_connection(address, *args, **kwargs):
        raise refuse("create_connection", address)

    def getaddrinfo(host, *args, **kwargs):
        raise refuse("getaddrinfo", host)

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.create_connection = create_connection
    socket.getaddrinfo = getaddrinfo
    try:
        yield tried
    finally:
        (socket.socket.connect, socket.socket.connect_ex, socket.create_connection,
         socket.getaddrinfo) = saved
