"""`python -m bench`: chordflow vs the raw Celery floor, one run, JSON + Markdown + plots.

Both sides use the same Redis and the same number of prefork worker processes. The
chordflow side adds what makes it durable: PostgreSQL state for every task instance.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"


def pct(values, q):
    values = sorted(values)
    if not values:
        return None
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def summary_ms(values):
    return {"p50_ms": round(pct(values, 0.5) * 1000, 3), "p95_ms": round(pct(values, 0.95) * 1000, 3),
            "max_ms": round(max(values) * 1000, 3), "n": len(values)}


def progress(text):
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


class Bench:
    def __init__(self, args):
        self.args = args
        self.pg = args.postgres.rstrip("/")
        self.db = "cf_bench_" + uuid.uuid4().hex[:8]
        self.broker = f"{args.redis.rstrip('/')}/{args.redis_db}"
        os.environ["BENCH_BROKER_URL"] = self.broker  # bench.floor reads it at import
        self.tmp = Path(tempfile.mkdtemp(prefix="cf-bench-"))
        self.procs = []
        self.named = {}

    # -- infrastructure ------------------------------------------------------------------
    def env(self, **extra):
        env = {k: v for k, v in os.environ.items() if not k.startswith("CHORDFLOW_")}
        env.update({
            "CHORDFLOW_DATABASE_URL": f"{self.pg}/{self.db}", "CHORDFLOW_BROKER_URL": self.broker,
            "CHORDFLOW_DAGS_FOLDER": str(self.tmp / "dags"), "CHORDFLOW_RUNNER": "process",
            "CHORDFLOW_SCHEDULER_INTERVAL": str(self.args.scheduler_interval),
            "CHORDFLOW_HOME": str(self.tmp / "home"), "BENCH_BROKER_URL": self.broker,
            "PYTHONPATH": str(ROOT), "CHORDFLOW_LOG_LEVEL": "WARNING",
        })
        env.update(extra)
        return env

    def start(self, args, name, **env):
        log = open(self.tmp / f"{name}.log", "wb")
        proc = subprocess.Popen(args, env=self.env(**env), cwd=ROOT, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(proc)
        self.named[name] = proc
        return proc

    def wait_log(self, name, marker, timeout=60):
        deadline = time.monotonic() + timeout
        while marker not in (self.tmp / f"{name}.log").read_text(errors="replace"):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start")
            time.sleep(0.1)

    def __enter__(self):
        import psycopg2
        import redis

        conn = psycopg2.connect(f"{self.pg}/postgres")
        conn.autocommit = True
        conn.cursor().execute(f'CREATE DATABASE "{self.db}"')
        conn.close()
        redis.Redis.from_url(self.broker).flushdb()
        (self.tmp / "dags").mkdir()
        from bench.dags import write

        write(self.tmp / "dags", self.broker)
        subprocess.run([sys.executable, "-m", "cluster.cli", "db", "upgrade"], env=self.env(),
                       cwd=ROOT, check=True, capture_output=True)
        subprocess.run([sys.executable, "-m", "cluster.cli", "dags", "list"], env=self.env(),
                       cwd=ROOT, check=True, capture_output=True)
        return self

    def __exit__(self, *exc):
        import psycopg2

        self.stop_procs()
        conn = psycopg2.connect(f"{self.pg}/postgres")
        conn.autocommit = True
        conn.cursor().execute(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)')
        conn.close()

    def chordflow_cluster(self):
        self.start([sys.executable, "-m", "cluster.cli", "scheduler"], "scheduler")
        self.start([sys.executable, "-m", "cluster.cli", "worker", "-c", str(self.args.workers),
                    "--loglevel", "WARNING", "-n", "bench@%h"], "worker")
        time.sleep(3)
        from cluster.config import Settings
        from cluster.control.services import Cluster

        self.cluster = Cluster.open(Settings.from_env(self.env()))

    def memory(self, label):
        from bench.store_cost import rss_mb

        return {f"{name}_{label}": rss_mb(proc.pid) for name, proc in self.named.items()}

    def sample_memory(self):
        """Sample the worker's and scheduler's RSS in a thread until the returned stop()."""
        import threading

        peak, stop = {}, threading.Event()

        def loop():
            while not stop.wait(0.2):
                for key, value in self.memory("under_load").items():
                    peak[key] = max(peak.get(key, 0), value)

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()

        def finish():
            stop.set()
            thread.join()
            return peak

        return finish

    def docker_overhead(self, image="chordflow/runtime:latest", n=5):
        """The docker runner against a bare `docker run --rm IMAGE python -c pass` of the
        same image: a no-op task's claim to finish, and a 20-chain's hops from one task's
        code to the next one's (each in its own container), for each of --docker-pools
        (CHORDFLOW_WARM_CONTAINERS: 1, the default; 10; 20, a 20-chain's worth in one
        process, as a chain's tries mostly go to one; 0, none)."""
        import docker

        from workers.containers import listed

        client = docker.from_env()
        bare = []
        for _ in range(n + 1):
            t0 = time.perf_counter()
            client.containers.run(image, ["python", "-c", "pass"], remove=True)
            bare.append(time.perf_counter() - t0)
        bare_ms = round(statistics.median(bare[1:]) * 1000, 1)
        from cluster.config import Settings
        from cluster.control.services import Cluster

        out = {"bare_docker_run_ms": bare_ms}
        self.start([sys.executable, "-m", "cluster.cli", "scheduler"], "scheduler")
        self.cluster = Cluster.open(Settings.from_env(self.env()))
        for warm in self.args.docker_pools.split(","):
            label = f"warm{warm}" if warm != "0" else "cold"
            # the host's network: the tasks' span instrument reaches the bench's Redis
            self.start([sys.executable, "-m", "cluster.cli", "worker", "-c", str(self.args.workers),
                        "--loglevel", "WARNING", "-n", f"bench-docker-{label}@%h"],
                       f"worker-docker-{label}", CHORDFLOW_RUNNER="docker",
                       CHORDFLOW_WARM_CONTAINERS=warm, CHORDFLOW_TASK_NETWORK="host")
            time.sleep(5)
            self.run_dag("bench_chain5")  # warm-up
            task = statistics.median(e - s for s, e in
                                     self.run_dag("bench_chain5")["store_spans"].values())
            # the warm containers used so far are replaced before the chain (one at a time)
            full = int(warm) * self.args.workers
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and len(listed(
                    client, {"label": "chordflow.warm", "status": "running"})) != full:
                time.sleep(0.5)
            time.sleep(1)
            chain = self.run_dag("bench_chain20")
            order = [f"t{i}" for i in range(20)]
            out[label] = {"docker_runner_task_ms": round(task * 1000, 1),
                          "overhead_ms": round(task * 1000 - bare_ms, 1),
                          "chain20_hop": summary_ms(hops(chain["spans"], order)),
                          "chain20_trigger_to_success_s": round(chain["trigger_to_success_s"], 2)}
            worker = self.named.pop(f"worker-docker-{label}")
            os.killpg(worker.pid, 15)  # a warm shutdown: its waiting containers removed
            worker.wait(60)
            progress(f"docker runner, {label} containers: {out[label]}")
        self.stop_procs()
        return out

    def scheduler_loop(self):
        from bench.store_cost import scheduler_loop
        from cluster.config import Settings
        from cluster.control.services import Cluster

        cluster = Cluster.open(Settings.from_env(self.env()))
        try:
            return scheduler_loop(cluster, self.tmp / "dags")
        finally:
            cluster.close()

    def store_cost(self):
        from bench.store_cost import measure
        from cluster.config import Settings
        from cluster.control.services import Cluster

        cluster = Cluster.open(Settings.from_env(self.env()))
        try:
            return {"fan1000 (leaves)": measure(cluster, "bench_fan1000",
                                                ["root"] + [f"p{i}" for i in range(300)]),
                    "chain200 (links)": measure(cluster, "bench_chain200",
                                                [f"t{i}" for i in range(199)])}
        finally:
            cluster.close()

    def floor_worker(self):
        self.start([sys.executable, "-m", "celery", "-A", "bench.floor", "worker", "-c",
                    str(self.args.workers), "--loglevel", "WARNING", "-n", "floor@%h",
                    "-Q", "celery"], "floor")
        time.sleep(3)

    def stop_procs(self):
        for proc in self.procs:
            try:
                os.killpg(proc.pid, 15)
                proc.wait(30)
            except Exception:
                pass
        self.procs = []
        self.named = {}

    # -- chordflow side --------------------------------------------------------------------
    def run_dag(self, dag_id, timeout=600):
        import redis

        from cluster.control import services

        t0 = time.time()
        run = services.trigger(self.cluster, dag_id)
        # Chains are timed trigger→success; the wide shapes by their tasks' own timestamps,
        # so they poll gently (the floor's poll is a cheap Redis HLEN; this is a query).
        poll = 0.005 if "chain" in dag_id else 0.05
        final = services.wait(self.cluster, run.id, timeout=timeout, poll=poll)
        t1 = time.time()
        _, tis = services.run_details(self.cluster, run.id)
        assert final.state == "success", final.state
        store = {t.task_id: (t.start_date.timestamp(), t.end_date.timestamp()) for t in tis}
        # What the user feels: the tasks' own code start and end, recorded by the callable.
        recorded = redis.Redis.from_url(self.broker).hgetall("cfspan:" + final.run_id)
        spans = {k.decode(): tuple(map(float, v.decode().split(","))) for k, v in recorded.items()}
        user_code = set(spans)
        for task_id in store.keys() - spans.keys():  # EmptyOperators run no user code
            spans[task_id] = store[task_id]
        return {"trigger_to_success_s": t1 - t0, "spans": spans, "store_spans": store,
                "user_code_spans": len(user_code),
                "created": run.created_at.timestamp()}

    def scale(self):
        """10,000-task runs trigger → success, and 100 concurrent runs of a 50-task DAG."""
        from cluster.control import services

        out = {}
        for name, n in (("chain10000", 10000), ("fanjoin10000", 10000)):
            r = self.run_dag(f"bench_{name}", timeout=3600)
            out[name] = {"tasks": n, "trigger_to_success_s": round(r["trigger_to_success_s"], 2),
                         "tasks_per_s": round(n / r["trigger_to_success_s"], 1)}
            progress(f"chordflow {name}: {out[name]}")
        t0 = time.time()
        runs = [services.trigger(self.cluster, "bench_dag50") for _ in range(100)]
        for run in runs:
            services.wait(self.cluster, run.id, timeout=3600, poll=0.2)
        wall = time.time() - t0
        import redis

        r = redis.Redis.from_url(self.broker)
        handover = []
        for run in runs:
            final = services.run_details(self.cluster, run.id)[0]
            assert final.state == "success", final.state
            spans = {k.decode(): tuple(map(float, v.decode().split(",")))
                     for k, v in r.hgetall("cfspan:" + final.run_id).items()}
            handover += [spans[f"p{i}"][0] - spans["root"][1] for i in range(48)]
            handover.append(spans["join"][0] - max(spans[f"p{i}"][1] for i in range(48)))
        out["concurrent_100x50"] = {"runs": 100, "tasks": 5000, "wall_s": round(wall, 2),
                                    "tasks_per_s": round(5000 / wall, 1),
                                    "handover": summary_ms(handover)}
        progress(f"chordflow 100 concurrent runs: {out['concurrent_100x50']}")
        return out

    # -- floor side ----------------------------------------------------------------------------
    def floor_canvas(self, shape, n):
        import redis
        from celery import chain, chord, group

        from bench.floor import app

        key = "floor:" + uuid.uuid4().hex
        sig = lambda i: app.signature("bench.noop", args=(key, i), immutable=True)  # noqa: E731
        if shape == "chain":
            canvas = chain(*[sig(i) for i in range(n)])
        elif shape == "fan":
            canvas = chain(sig(-1), group(*[sig(i) for i in range(n)]))
        else:
            canvas = chain(sig(-1), chord(group(*[sig(i) for i in range(n)]), sig(n)))
        total = n + (0 if shape == "chain" else 1) + (1 if shape == "chord" else 0)
        r = redis.Redis.from_url(self.broker)
        t0 = time.time()
        canvas.apply_async()
        while r.hlen(key) < total:
            time.sleep(0.002)
        t1 = time.time()
        spans = {int(k): tuple(map(float, v.decode().split(","))) for k, v in r.hgetall(key).items()}
        return {"trigger_to_success_s": t1 - t0, "spans": spans}


def hops(spans, order):
    return [spans[b][0] - spans[a][1] for a, b in zip(order, order[1:])]


def throughput(spans, skip=()):
    body = [v for k, v in spans.items() if k not in skip]
    return len(body) / (max(e for _, e in body) - min(s for s, _ in body))


def compile_scenarios(sizes):
    from celery import Celery

    from cluster.planning import canvas
    from cluster.planning.compiler import compile_plan

    app = Celery("bench_compile", broker="memory://")
    out = {}
    for n in sizes:
        for shape in ("chain", "fan"):
            if shape == "chain":
                ups = {f"t{i}": ([f"t{i - 1}"] if i else []) for i in range(n)}
            else:
                ups = {"root": [], **{f"t{i}": ["root"] for i in range(n)}}
            t0 = time.perf_counter()
            plan = compile_plan(ups)
            t1 = time.perf_counter()
            canvas.build(app, plan.start, 1, "bench", {})
            t2 = time.perf_counter()
            out[f"{shape}{n}"] = {"compile_ms": round((t1 - t0) * 1000, 1),
                                  "canvas_ms": round((t2 - t1) * 1000, 1)}
            progress(f"compile {shape}{n}: {out[f'{shape}{n}']}")
    return out


def embedded_wall():
    home = tempfile.mkdtemp(prefix="cf-bench-emb-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHORDFLOW_")}
    env.update({"CHORDFLOW_HOME": home, "CHORDFLOW_RUNNER": "process"})
    t0 = time.time()
    done = subprocess.run([sys.executable, "-m", "cluster.cli", "run", "dagdefs/example_etl.py"],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    return {"wall_s": round(time.time() - t0, 3), "exit": done.returncode}


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench")
    p.add_argument("--redis", default=os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379"))
    p.add_argument("--redis-db", type=int, default=14)
    p.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES",
                                                        "postgresql://postgres@127.0.0.1:5432"))
    p.add_argument("--workers", type=int, default=2, help="prefork processes on each side")
    p.add_argument("--scheduler-interval", type=float, default=1.0)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--docker-pools", default="1,10,20,0",
                   help="the docker scenario's CHORDFLOW_WARM_CONTAINERS values (0: none warm)")
    p.add_argument("--scenarios", default="hops,throughput,diamond,compile,store,scheduler,docker,"
                                          "embedded,scale")
    args = p.parse_args(argv)
    chosen = set(args.scenarios.split(","))
    result = {"when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
              "workers": args.workers, "scenarios": {}}
    runs = {}
    with Bench(args) as bench:
        if chosen & {"hops", "throughput", "diamond"}:
            bench.chordflow_cluster()
            progress("chordflow: warm-up")
            bench.run_dag("bench_chain20")
            for name in ("chain20", "chain200", "fan1000", "chord1000", "diamond100"):
                if (name.startswith("chain") and "hops" not in chosen) or \
                        (name in ("fan1000", "chord1000") and "throughput" not in chosen) or \
                        (name == "diamond100" and "diamond" not in chosen):
                    continue
                reps = 1 if name in ("chain200", "fan1000", "chord1000") else args.reps
                if name == "fan1000":
                    memory = bench.memory("idle")
                    sampler = bench.sample_memory()
                runs[("chordflow", name)] = [bench.run_dag(f"bench_{name}") for _ in range(reps)]
                if name == "fan1000":
                    memory.update(sampler())
                    result["scenarios"]["memory_rss_mb"] = memory
                progress(f"chordflow {name}: {reps} run(s)")
            bench.stop_procs()
            bench.floor_worker()
            progress("floor: warm-up")
            bench.floor_canvas("chain", 20)
            for name, shape, n in (("chain20", "chain", 20), ("chain200", "chain", 200),
                                   ("fan1000", "fan", 1000), ("chord1000", "chord", 1000),
                                   ("diamond100", "chord", 100)):
                if ("chordflow", name) not in runs:
                    continue
                reps = len(runs[("chordflow", name)])
                runs[("floor", name)] = [bench.floor_canvas(shape, n) for _ in range(reps)]
                progress(f"floor {name}: {reps} run(s)")
            bench.stop_procs()
    scen = result["scenarios"]
    for name, n in (("chain20", 20), ("chain200", 200)):
        if ("chordflow", name) in runs:
            order = [f"t{i}" for i in range(n)]
            missing = sum(n - r["user_code_spans"] for r in runs[("chordflow", name)])
            if missing:
                raise RuntimeError(f"{name}: {missing} tasks did not record their code's span")
            cf = [h for r in runs[("chordflow", name)] for h in hops(r["spans"], order)]
            cf_store = [h for r in runs[("chordflow", name)] for h in hops(r["store_spans"], order)]
            fl = [h for r in runs[("floor", name)] for h in hops(r["spans"], list(range(n)))]
            scen[f"hop_{name}"] = {
                "measured_at": "the task's own code: previous callable's end -> next callable's start",
                "chordflow": summary_ms(cf), "celery": summary_ms(fl),
                "ratio_p50": round(pct(cf, .5) / pct(fl, .5), 2),
                "ratio_p95": round(pct(cf, .95) / pct(fl, .95), 2),
                "chordflow_store_timestamps": summary_ms(cf_store),
                "chordflow_trigger_to_success_s": round(statistics.median(
                    r["trigger_to_success_s"] for r in runs[("chordflow", name)]), 3),
                "celery_trigger_to_success_s": round(statistics.median(
                    r["trigger_to_success_s"] for r in runs[("floor", name)]), 3),
            }
    for name in ("fan1000", "chord1000", "diamond100"):
        if ("chordflow", name) in runs:
            cf = statistics.median(throughput(r["spans"], {"root", "join", "top", "bottom"})
                                   for r in runs[("chordflow", name)])
            fl = statistics.median(throughput(r["spans"], {-1, 1000, 100})
                                   for r in runs[("floor", name)])
            scen[f"throughput_{name}"] = {"chordflow_tasks_per_s": round(cf, 1),
                                          "celery_tasks_per_s": round(fl, 1),
                                          "ratio": round(cf / fl, 2)}
    if "scale" in chosen:
        with Bench(args) as bench:
            bench.chordflow_cluster()
            memory = bench.memory("idle")
            sampler = bench.sample_memory()
            scen["scale"] = bench.scale()
            memory.update(sampler())
            scen["scale"]["memory_rss_mb"] = memory
            bench.stop_procs()
    if "compile" in chosen:
        scen["compile"] = compile_scenarios([1000, 10000])
    if "docker" in chosen:
        with Bench(args) as bench:
            scen["docker_runner"] = bench.docker_overhead()
        progress(f"docker runner: {scen['docker_runner']}")
    if "store" in chosen:
        with Bench(args) as bench:
            scen["store_cost"] = bench.store_cost()
        progress(f"store cost: {scen['store_cost']}")
    if "scheduler" in chosen:
        with Bench(args) as bench:
            scen["scheduler_loop"] = bench.scheduler_loop()
        progress(f"scheduler loop: {scen['scheduler_loop']}")
    if "embedded" in chosen:
        scen["embedded_run_example"] = embedded_wall()
        progress(f"embedded: {scen['embedded_run_example']}")
    RESULTS.mkdir(exist_ok=True)
    stamp = result["when"].replace(":", "").replace("-", "")[:15]
    (RESULTS / f"bench-{stamp}.json").write_text(json.dumps(result, indent=2))
    (RESULTS / "latest.json").write_text(json.dumps(result, indent=2))
    md = to_markdown(result)
    (RESULTS / "summary.md").write_text(md)
    plot(runs, RESULTS)
    print(md)


def to_markdown(result):
    lines = [f"Run {result['when']} on {result['machine']['cpus']} CPUs, "
             f"{result['workers']} prefork worker processes per side.", "",
             "| scenario | chordflow | raw Celery | ratio |", "|---|---|---|---|"]
    for name, s in result["scenarios"].items():
        if name.startswith("hop_"):
            lines.append(f"| {name}, callable to callable, p50 / p95 / max (ms) | {s['chordflow']['p50_ms']} / "
                         f"{s['chordflow']['p95_ms']} / {s['chordflow']['max_ms']} | "
                         f"{s['celery']['p50_ms']} / {s['celery']['p95_ms']} / "
                         f"{s['celery']['max_ms']} | {s['ratio_p50']}x / {s['ratio_p95']}x |")
            st = s["chordflow_store_timestamps"]
            lines.append(f"| {name} from the store's timestamps (claim → finish) p50 / p95 (ms) | "
                         f"{st['p50_ms']} / {st['p95_ms']} | | |")
            lines.append(f"| {name} trigger→success (s) | {s['chordflow_trigger_to_success_s']} | "
                         f"{s['celery_trigger_to_success_s']} | |")
        elif name.startswith("throughput_"):
            lines.append(f"| {name} (tasks/s) | {s['chordflow_tasks_per_s']} | "
                         f"{s['celery_tasks_per_s']} | {s['ratio']} |")
        elif name == "compile":
            for k, v in s.items():
                lines.append(f"| compile {k} (ms) | {v['compile_ms']} (+ canvas {v['canvas_ms']}) | | |")
        elif name == "store_cost":
            for k, v in s.items():
                lines.append(f"| store per task instance, {k}: statements / commits / ms | "
                             f"{v['statements_per_ti']} / {v['commits_per_ti']} / "
                             f"{v['store_ms_per_ti']} | (no store) | |")
        elif name == "scheduler_loop":
            lines.append(f"| scheduler, {s['files']} DAG files / {s['active_runs']} active runs: "
                         f"parse (s), loop step p50 / max (ms) | {s['parse_s']}, "
                         f"{s['loop_step_ms_p50']} / {s['loop_step_ms_max']} | | |")
        elif name == "docker_runner":
            for label in [k for k in s if k != "bare_docker_run_ms"]:
                d = s[label]
                lines.append(f"| docker runner, {label} containers: no-op task claim → finish vs "
                             f"bare `docker run --rm` (ms) | {d['docker_runner_task_ms']} | "
                             f"{s['bare_docker_run_ms']} (bare) | {d['overhead_ms']:+} |")
                lines.append(f"| docker runner, {label} containers: 20-chain hop, code to code, "
                             f"p50 / p95 (ms); trigger → success (s) | "
                             f"{d['chain20_hop']['p50_ms']} / {d['chain20_hop']['p95_ms']}; "
                             f"{d['chain20_trigger_to_success_s']} | | |")
        elif name == "memory_rss_mb":
            names = sorted({k.split("_", 1)[0] for k in s})
            lines.append("| RSS idle → under the 1000 fan-out (MiB) | " + ", ".join(
                f"{n} {s.get(n + '_idle')} → {s.get(n + '_under_load')}" for n in names)
                + " | | |")
        elif name == "scale":
            for k in ("chain10000", "fanjoin10000"):
                lines.append(f"| {k}: trigger → success (s), tasks/s | {s[k]['trigger_to_success_s']}, "
                             f"{s[k]['tasks_per_s']} | | |")
            c = s["concurrent_100x50"]
            lines.append(f"| 100 concurrent runs × 50 tasks: tasks/s, hand-over p50 / p95 (ms) | "
                         f"{c['tasks_per_s']}, {c['handover']['p50_ms']} / {c['handover']['p95_ms']}"
                         f" | | |")
            m = s["memory_rss_mb"]
            names = sorted({k.split("_", 1)[0] for k in m})
            lines.append("| RSS idle → under the 10k runs (MiB) | " + ", ".join(
                f"{n} {m.get(n + '_idle')} → {m.get(n + '_under_load')}" for n in names) + " | | |")
        elif name == "embedded_run_example":
            lines.append(f"| `chordflow run dagdefs/example_etl.py`, cold (s) | {s['wall_s']} | | |")
    return "\n".join(lines) + "\n"


def plot(runs, folder):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        progress("matplotlib not installed: no plots (pip install matplotlib)")
        return
    if ("chordflow", "chain200") in runs:
        fig, ax = plt.subplots(figsize=(7, 4))
        cf = [h * 1000 for r in runs[("chordflow", "chain200")] for h in hops(r["spans"], [f"t{i}" for i in range(200)])]
        fl = [h * 1000 for r in runs[("floor", "chain200")] for h in hops(r["spans"], list(range(200)))]
        ax.hist([cf, fl], bins=40, label=["chordflow (PostgreSQL state)", "raw Celery"])
        ax.set_xlabel("hop latency (ms): next task's code starts - previous task's code ends")
        ax.set_ylabel("hops")
        ax.set_title("200-task chain")
        ax.legend()
        fig.tight_layout()
        fig.savefig(folder / "hops_chain200.png", dpi=100)
        plt.close(fig)
    names = [n for n in ("fan1000", "chord1000", "diamond100") if ("chordflow", n) in runs]
    if names:
        fig, ax = plt.subplots(figsize=(7, 4))
        cf = [statistics.median(throughput(r["spans"], {"root", "join", "top", "bottom"}) for r in runs[("chordflow", n)]) for n in names]
        fl = [statistics.median(throughput(r["spans"], {-1, 1000, 100}) for r in runs[("floor", n)]) for n in names]
        xs = range(len(names))
        ax.bar([x - 0.2 for x in xs], cf, 0.4, label="chordflow")
        ax.bar([x + 0.2 for x in xs], fl, 0.4, label="raw Celery")
        ax.set_xticks(list(xs), names)
        ax.set_ylabel("no-op tasks per second")
        ax.legend()
        fig.tight_layout()
        fig.savefig(folder / "throughput.png", dpi=100)
        plt.close(fig)


if __name__ == "__main__":
    main()
