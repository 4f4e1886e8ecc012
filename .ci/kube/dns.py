#!/usr/bin/env python3
"""Service names for the pods of the test cluster, which has neither kube-proxy nor CoreDNS.

A minimal DNS server (UDP, A records only) that answers `<service>.<namespace>.svc.<domain>`
with the addresses of the Service's ready endpoints, as CoreDNS does for a headless
Service; the kubelet hands it to pods as their nameserver (`--cluster-dns`), with the
usual search path, so `chordflow-redis:6379` reaches the Redis pod. Since ClusterIPs do
not route here, every Service behaves as a headless one (the Service's port must be the
pod's port). `kubernetes.default` answers with the API server's address for pods.
Everything else is refused (pods resolve only cluster names).

    python3 dns.py KUBECONFIG LISTEN_ADDRESS API_ADDRESS [DOMAIN]
"""
from __future__ import annotations

import socket
import struct
import sys
import threading
import time

from kubernetes import client, config

REFRESH = 1.0  # seconds an answer may be stale


class Endpoints:
    """Ready endpoint addresses by (service, namespace), refreshed at most every REFRESH s."""

    def __init__(self, api: client.CoreV1Api) -> None:
        self.api = api
        self.table: dict[tuple[str, str], list[str]] = {}
        self.read_at = 0.0
        self.lock = threading.Lock()

    def get(self, service: str, namespace: str) -> list[str]:
        with self.lock:
            if time.monotonic() - self.read_at > REFRESH:
                table: dict[tuple[str, str], list[str]] = {}
                for ep in self.api.list_endpoints_for_all_namespaces(_request_timeout=5).items:
                    ips = [a.ip for s in ep.subsets or [] for a in s.addresses or []]
                    table[(ep.metadata.name, ep.metadata.namespace)] = ips
                self.table, self.read_at = table, time.monotonic()
            return self.table.get((service, namespace), [])


def parse_question(packet: bytes) -> tuple[str, int, int]:
    """(name, qtype, end offset) of the first question."""
    labels, i = [], 12
    while packet[i]:
        n = packet[i]
        labels.append(packet[i + 1:i + 1 + n].decode("ascii", "replace").lower())
        i += 1 + n
    qtype, _ = struct.unpack("!HH", packet[i + 1:i + 5])
    return ".".join(labels), qtype, i + 5


def answer(packet: bytes, endpoints: Endpoints, api_ip: str, domain: str) -> bytes:
    ident, flags = struct.unpack("!HH", packet[:4])
    name, qtype, end = parse_question(packet)
    question = packet[12:end]
    ips: list[str] = []
    parts = name.split(".")
    suffix = ["svc", *domain.split(".")]
    if len(parts) == 2 + len(suffix) and parts[2:] == suffix:
        service, namespace = parts[0], parts[1]
        if (service, namespace) == ("kubernetes", "default"):
            ips = [api_ip]
        else:
            ips = endpoints.get(service, namespace)
    rcode = 0 if ips else 3  # NXDOMAIN: the pod's resolver tries the next search suffix
    records = b""
    if qtype == 1:
        for ip in ips:
            records += b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 1, 4) + socket.inet_aton(ip)
    count = len(ips) if qtype == 1 else 0
    header = struct.pack("!HHHHHH", ident, 0x8180 | (flags & 0x0100) | rcode, 1, count, 0, 0)
    return header + question + records


def main() -> None:
    kubeconfig, listen, api_ip = sys.argv[1:4]
    domain = sys.argv[4] if len(sys.argv) > 4 else "cluster.local"
    api = client.CoreV1Api(config.new_client_from_config(config_file=kubeconfig))
    endpoints = Endpoints(api)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((listen, 53))
    print(f"answering cluster names on {listen}:53", flush=True)
    while True:
        packet, peer = sock.recvfrom(512)
        try:
            sock.sendto(answer(packet, endpoints, api_ip, domain), peer)
        except Exception as exc:  # a malformed query or the API briefly down: no answer
            print(f"query from {peer[0]} not answered: {exc}", flush=True)


if __name__ == "__main__":
    main()
