"""Serve deterministic pseudo-random movie ratings for January 2019, behind basic auth."""
import base64
import datetime as dt
import json
import os
import random
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

START = dt.datetime(2019, 1, 1, tzinfo=dt.timezone.utc)


def generate(n: int = 20000, seed: int = 42) -> list[dict]:
    rng = random.Random(seed)
    span = 31 * 24 * 3600
    rows = [{"userId": rng.randint(1, 500), "movieId": rng.randint(1, 300),
             "rating": rng.choice([0.5 * i for i in range(1, 11)]),
             "timestamp": int(START.timestamp()) + rng.randrange(span)} for _ in range(n)]
    return sorted(rows, key=lambda r: r["timestamp"])


RATINGS = generate()


class Handler(BaseHTTPRequestHandler):
    def _send(self, code: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if code == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="movielens"')
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802
        url = urlparse(self.path)
        if url.path == "/health":
            return self._send(200, {"status": "ok"})
        expected = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        if self.headers.get("Authorization") != f"Basic {expected}":
            return self._send(401, {"error": "unauthorized"})
        if url.path != "/ratings":
            return self._send(404, {"error": "not found"})
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        try:
            lo = dt.datetime.fromisoformat(q.get("start_date", "2019-01-01")).replace(tzinfo=dt.timezone.utc)
            hi = dt.datetime.fromisoformat(q.get("end_date", "2019-02-01")).replace(tzinfo=dt.timezone.utc)
            offset, limit = int(q.get("offset", 0)), min(int(q.get("limit", 100)), 1000)
        except ValueError as exc:
            return self._send(400, {"error": str(exc)})
        rows = [r for r in RATINGS if lo.timestamp() <= r["timestamp"] < hi.timestamp()]
        self._send(200, {"result": rows[offset:offset + limit], "offset": offset,
                         "limit": limit, "total": len(rows)})

    def log_message(self, fmt: str, *args: object) -> None:
        sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))


if __name__ == "__main__":
    USER, PASSWORD = os.environ.get("API_USER"), os.environ.get("API_PASSWORD")
    if not USER or not PASSWORD:
        sys.exit("movielens-api: set API_USER and API_PASSWORD")
    ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("PORT", 5000))), Handler).serve_forever()
