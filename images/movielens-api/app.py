"""movielens-api: generated movie ratings over HTTP, behind basic auth.

A stand-in for the ratings API of the "Data Pipelines with Apache Airflow" movielens
example. The ratings are pseudo-random but the same on every start (fixed seed): each
movie has a hidden quality, so rankings are meaningful, and timestamps spread over
January 2019.

    GET /health                                               no credentials needed
    GET /ratings?start_date=2019-01-01&end_date=2019-01-02&offset=0&limit=100
        -> {"result": [{"userId", "movieId", "rating", "timestamp"}, ...],
            "offset": 0, "limit": 100, "total": 651}

start_date is inclusive and end_date exclusive (UTC days); limit is at most 1000.
Credentials come from API_USER and API_PASSWORD (required); PORT defaults to 5000.
"""
from __future__ import annotations

import base64
import bisect
import datetime as dt
import hmac
import json
import os
import random
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

FIRST_DAY = dt.date(2019, 1, 1)
DAYS = 31
MAX_LIMIT = 1000


def generate(count: int = 20_000, movies: int = 400, users: int = 1_000,
             seed: int = 42) -> list[dict]:
    """Ratings sorted by timestamp; popular movies get more ratings than others."""
    rng = random.Random(seed)
    quality = [rng.uniform(1.5, 4.5) for _ in range(movies)]
    weights = [1 / (rank + 1) ** 0.7 for rank in range(movies)]
    start = int(dt.datetime(2019, 1, 1, tzinfo=dt.timezone.utc).timestamp())
    rows = []
    for movie in rng.choices(range(movies), weights=weights, k=count):
        stars = round((quality[movie] + rng.gauss(0, 0.9)) * 2) / 2
        rows.append({"userId": rng.randint(1, users), "movieId": movie + 1,
                     "rating": min(5.0, max(0.5, stars)),
                     "timestamp": start + rng.randrange(DAYS * 86_400)})
    rows.sort(key=lambda r: (r["timestamp"], r["userId"], r["movieId"]))
    return rows


class RatingsServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], user: str, password: str) -> None:
        super().__init__(address, Handler)
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        self.expected_auth = f"Basic {token}".encode()
        self.ratings = generate()
        self.timestamps = [r["timestamp"] for r in self.ratings]


class Handler(BaseHTTPRequestHandler):
    server: RatingsServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        url = urlparse(self.path)
        if url.path == "/health":
            return self._send(200, {"status": "ok", "ratings": len(self.server.ratings)})
        if not self._authorized():
            return self._send(401, {"error": "unauthorized"})
        if url.path != "/ratings":
            return self._send(404, {"error": f"no such resource: {url.path}"})
        try:
            lo, hi, offset, limit = self._query(url.query)
        except ValueError as exc:
            return self._send(400, {"error": str(exc)})
        first = bisect.bisect_left(self.server.timestamps, lo)
        last = bisect.bisect_left(self.server.timestamps, hi)
        start = min(first + offset, last)
        self._send(200, {"result": self.server.ratings[start:min(start + limit, last)],
                         "offset": offset, "limit": limit, "total": max(0, last - first)})

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization", "")
        return hmac.compare_digest(header.encode("utf-8", "replace"), self.server.expected_auth)

    @staticmethod
    def _query(query: str) -> tuple[float, float, int, int]:
        q = {key: values[-1] for key, values in parse_qs(query).items()}

        def day(name: str, default: dt.date) -> float:
            value = dt.date.fromisoformat(q[name]) if name in q else default
            return dt.datetime.combine(value, dt.time(), dt.timezone.utc).timestamp()

        try:
            lo = day("start_date", FIRST_DAY)
            hi = day("end_date", FIRST_DAY + dt.timedelta(days=DAYS))
            offset, limit = int(q.get("offset", 0)), int(q.get("limit", 100))
        except ValueError:
            raise ValueError("start_date/end_date must be YYYY-MM-DD, offset/limit integers") from None
        if offset < 0 or limit < 1:
            raise ValueError("offset must be >= 0 and limit >= 1")
        return lo, hi, offset, min(limit, MAX_LIMIT)

    def _send(self, code: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if code == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="movielens"')
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        sys.stderr.write(f"{self.address_string()} {format % args}\n")


def main() -> None:
    user, password = os.environ.get("API_USER"), os.environ.get("API_PASSWORD")
    if not user or not password:
        sys.exit("movielens-api: set API_USER and API_PASSWORD")
    port = int(os.environ.get("PORT", "5000"))
    server = RatingsServer(("0.0.0.0", port), user, password)
    # As PID 1 in a container, SIGTERM has no default action: stop at once on `docker stop`.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"movielens-api: {len(server.ratings)} ratings on port {port}", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
