"""Whole runs of the example config: no network at all, and byte-identical repeats.

Both tests run every stage the pipeline has (they name none), so they keep covering the
stages added later (embed, topics, track, align, report).
"""

from __future__ import annotations

import socket

import pytest
from conftest import EXAMPLE_CONFIG
from runs import run_cli, snapshot

import textmine as tm

BLOCK_SOCKETS = '''
import socket
def _refuse(*args, **kwargs):
    raise OSError("network access attempted during an offline textmine run")
_connect = socket.socket.connect
def _connect_local(self, address):
    if self.family == socket.AF_UNIX:
        return _connect(self, address)
    _refuse()
socket.socket.connect = _connect_local
socket.socket.connect_ex = lambda self, address: _refuse()
socket.socket.sendto = lambda self, *a: _refuse()
socket.create_connection = _refuse
socket.getaddrinfo = _refuse
socket.gethostbyname = _refuse
'''


@pytest.mark.slow
def test_full_run_with_every_socket_refused(tmp_path, monkeypatch):
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args[:2])
        raise OSError("network access attempted during an offline textmine run")

    original_connect = socket.socket.connect

    def connect(self, address):
        if self.family == socket.AF_UNIX:  # local IPC (worker pools) is not the network
            return original_connect(self, address)
        return refuse(address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", lambda self, address: refuse(address))
    monkeypatch.setattr(socket.socket, "sendto", lambda self, *a: refuse(*a))
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "gethostbyname", refuse)
    monkeypatch.setenv("TEXTMINE_CACHE_DIR", str(tmp_path / "cache"))
    result = tm.run(EXAMPLE_CONFIG, out=tmp_path / "out")
    assert attempts == []
    assert result.manifest["corpus"]["segments"] > 1000
    assert (tmp_path / "out" / "manifest.json").is_file()


@pytest.mark.slow
def test_command_line_run_with_sockets_refused_in_a_fresh_process(tmp_path):
    done = run_cli(["-q", "run", str(EXAMPLE_CONFIG), "--out", str(tmp_path / "out")],
                   prelude=BLOCK_SOCKETS, env={"TEXTMINE_CACHE_DIR": str(tmp_path / "cache")})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "network access attempted" not in done.stderr
    assert (tmp_path / "out" / "manifest.json").is_file()


@pytest.mark.slow
def test_three_runs_give_byte_identical_outputs(tmp_path):
    # separate processes with different hash seeds: set and dict order cannot hide in them
    out = tmp_path / "outputs" / "example"
    snapshots = []
    # two cold caches (everything computed twice) and a warm one (the first run's cache)
    for hash_seed, cache in (("0", "cold0"), ("1", "cold1"), ("2", "cold0")):
        done = run_cli(["-q", "run", str(EXAMPLE_CONFIG), "--out", str(out)],
                       env={"PYTHONHASHSEED": hash_seed,
                            "TEXTMINE_CACHE_DIR": str(tmp_path / cache)})
        assert done.returncode == 0, done.stderr[-2000:]
        snapshots.append(snapshot(out))
    first = snapshots[0]
    assert "manifest.json" in first and "corpus/segments.parquet" in first
    for other in snapshots[1:]:
        assert sorted(other) == sorted(first)
        differ = [name for name in first if first[name] != other[name]]
        assert differ == []
