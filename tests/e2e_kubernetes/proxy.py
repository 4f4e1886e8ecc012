"""A TCP relay in front of the API server whose open connections a test can cut.

Workers talk to the API server through it, so a test drops a log stream (or a watch)
for real: the sockets close mid-response, as when a load balancer or the network does.
It listens on the API server's own host address (the serving certificate names it), so
TLS passes through untouched.
"""
from __future__ import annotations

import socket
import threading
from pathlib import Path
from urllib.parse import urlsplit

import yaml


class CuttableProxy:
    """Relays `target`'s host at `port` to `target`; `cut()` closes every open connection."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self._server = socket.create_server((target[0], 0))
        self.port = self._server.getsockname()[1]
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self.cuts = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=10)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                self._close(s)

    def _close(self, s: socket.socket) -> None:
        with self._lock:
            if s in self._open:
                self._open.remove(s)
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()

    def cut(self) -> int:
        """Close every relayed connection now; returns how many there were."""
        with self._lock:
            victims = list(self._open)
        for s in victims:
            self._close(s)
        self.cuts += 1
        return len(victims) // 2

    def close(self) -> None:
        self._server.close()
        self.cut()


def proxied_kubeconfig(kubeconfig: str, out: Path) -> tuple[Path, CuttableProxy]:
    """A copy of `kubeconfig` whose current cluster is reached through a new proxy."""
    config = yaml.safe_load(Path(kubeconfig).read_text())
    context = next(c for c in config["contexts"] if c["name"] == config["current-context"])
    cluster = next(c for c in config["clusters"]
                   if c["name"] == context["context"]["cluster"])["cluster"]
    server = urlsplit(cluster["server"])
    proxy = CuttableProxy((server.hostname, server.port or 443))
    cluster["server"] = f"{server.scheme}://{server.hostname}:{proxy.port}"
    out.write_text(yaml.safe_dump(config))
    out.chmod(0o600)
    return out, proxy
