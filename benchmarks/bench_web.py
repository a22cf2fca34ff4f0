"""Load test of the web app: the story page of a 100k-article store under 20 concurrent clients.

    python benchmarks/bench_web.py [STORE] [--articles 100000] [--clients 20] [--seconds 20] [--workers 1]
                                   [--page-cache-mb 0]

1. If STORE (default ``out/bench-web-100k.db``) does not exist, generate it: synthetic
   articles (about 1 KB of text each, 10 per story, dates over two years, 150 outlets,
   three languages), each story with relations and aligned passages, a claim ledger with
   evidence spans, omissions, a timeline, and entities (three of them in a third of all
   stories, so their payloads are megabytes). Stage results are written through the
   store's own ``save_stories`` / ``save_relations`` / ``save_entities``; articles and
   per-story results go in by a fast path (plain INSERTs in one transaction, the same
   rows ``Store.ingest`` and ``save_story_result`` write) so generation takes a minute,
   not an hour. No model runs: the web app only reads stored results.
2. Start ``storyline serve --read-only`` on 127.0.0.1 (a subprocess), by default with its
   page cache off (``--page-cache-mb 0``) so every story page is read and rendered: the
   figure is a page's full cost, not a cache's.
3. Load it with ``wrk`` when installed (closed loop, one connection per client, a random
   story per request), else with an async httpx client at the same concurrency. The
   peer in the same run is the server's cheapest response (a static file), a floor for
   the framework's own cost; ratios are printed.

Nothing leaves the machine: the server binds 127.0.0.1 and the client talks only to it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from storyline.model import (  # noqa: E402
    Article, Claim, Entity, Event, Evidence, Mention, Omission, Passage, Relation, Story, TimelineEntry, text_hash,
)
from storyline.store import open_store  # noqa: E402

ARTICLES_PER_STORY = 10
CLAIMS_PER_STORY = 30
SENTENCES_PER_ARTICLE = 9
OUTLETS = [f"Outlet {index:03d}" for index in range(150)]
LANGUAGES = ["en", "en", "en", "es", "de"]
SYLLABLES = ["ka", "lo", "mi", "ra", "to", "ve", "sun", "dar", "bel", "mon", "tri", "qua", "pen", "sol", "nor", "est"]
WIDESPREAD_ENTITIES = 3


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 3)))


def _sentence(rng: random.Random) -> str:
    return " ".join(_word(rng) for _ in range(rng.randint(9, 16))).capitalize() + "."


def generate(path: Path, articles: int, seed: int = 7) -> None:
    """Write a synthetic analysed store of ``articles`` articles to ``path``."""
    rng = random.Random(seed)
    stories_count = articles // ARTICLES_PER_STORY
    entity_count = stories_count * 2
    started = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    store = open_store(path)
    now = "2025-01-01T00:00:00+00:00"
    article_rows, version_rows, search_rows, results = [], [], [], []
    stories, relations, published = [], [], {}
    entity_mentions: dict[int, list[Mention]] = {}
    entity_articles: dict[int, list[str]] = {}
    for s in range(stories_count):
        pool = [_sentence(rng) for _ in range(CLAIMS_PER_STORY)]
        day = 1 + rng.randrange(700)
        base = time.gmtime(1672531200 + day * 86400)
        ids, spans, texts = [], [], []
        for j in range(ARTICLES_PER_STORY):
            source = f"synthetic/{s:06d}/{j}.txt"
            article_id = Article.id_for(source)
            chosen = sorted(rng.sample(range(CLAIMS_PER_STORY), SENTENCES_PER_ARTICLE))
            text, where = "", {}
            for k in chosen:
                where[k] = (len(text), len(text) + len(pool[k]))
                text += pool[k] + " "
            date = time.strftime("%Y-%m-%d", time.gmtime(time.mktime(base) + rng.randrange(4) * 86400))
            outlet = rng.choice(OUTLETS)
            title = pool[chosen[0]][:70]
            article_rows.append((article_id, source, 1, text_hash(text), title, None, outlet, date,
                                 rng.choice(LANGUAGES), None, "text", now, now))
            version_rows.append((article_id, 1, text, text_hash(text), now))
            search_rows.append((article_id, title, text))
            ids.append(article_id)
            spans.append(where)
            texts.append(text)
            published[article_id] = date
        story_id = f"s-{s:012x}"
        story_relations = []
        for a, b, kind, direction in ((0, 1, "rewrite", "a->b"), (0, 2, "excerpt", "a->b"),
                                      (3, 4, "translation", "b->a"), (5, 6, "duplicate", None)):
            shared = sorted(set(spans[a]) & set(spans[b]))
            x, y = sorted((ids[a], ids[b]))
            sx, sy = (spans[a], spans[b]) if x == ids[a] else (spans[b], spans[a])
            story_relations.append(Relation(x, y, kind, direction, round(rng.uniform(0.5, 0.95), 3),
                                            [f"aligned {len(shared)} sentences"],
                                            [Passage(sx[k], sy[k], 0.9) for k in shared]))
        relations.extend(story_relations)
        independent = ARTICLES_PER_STORY - 4
        events = [Event(f"e-{s:012x}-0", pool[0][:60], ids[:5], published[ids[0]]),
                  Event(f"e-{s:012x}-1", pool[1][:60], ids[5:], published[ids[5]])]
        stories.append(Story(story_id, pool[0][:80], ids, events, independent))
        claims, carried_by = [], {}
        for k, sentence in enumerate(pool):
            carriers = [j for j in range(ARTICLES_PER_STORY) if k in spans[j]]
            if not carriers:
                continue
            status = "contradicted" if k % 13 == 0 else ("corroborated" if len(carriers) >= 2 else "single-source")
            claim_id = f"c-{s:08x}{k:04x}"
            carried_by[claim_id] = carriers
            claims.append(Claim(claim_id, story_id, sentence, "statement", None, [ids[j] for j in carriers], status,
                                min(len(carriers), independent), [], [
                                    Evidence(ids[j], spans[j][k], sentence, sentence) for j in carriers]))
        omissions = [Omission(story_id, ids[j], [c for c, carriers in carried_by.items() if j not in carriers])
                     for j in range(ARTICLES_PER_STORY)]
        timeline = [TimelineEntry(story_id, published[ids[j]], "day", "on Tuesday", pool[k], [ids[j]],
                                  [Evidence(ids[j], spans[j][k], pool[k], "")])
                    for j in range(0, ARTICLES_PER_STORY, 2) for k in list(spans[j])[:1]]
        results.append((story_id, "claims", "synthetic", json.dumps(
            {"claims": [asdict(c) for c in claims], "omissions": [asdict(o) for o in omissions]})))
        results.append((story_id, "timeline", "synthetic", json.dumps([asdict(t) for t in timeline])))
        named = {rng.randrange(WIDESPREAD_ENTITIES, entity_count) for _ in range(8)}
        if rng.random() < 0.33:
            named |= set(range(WIDESPREAD_ENTITIES))
        for entity in named:
            for j in rng.sample(range(ARTICLES_PER_STORY), rng.randint(1, 5)):
                entity_articles.setdefault(entity, []).append(ids[j])
                entity_mentions.setdefault(entity, []).append(Mention(ids[j], (0, 5), texts[j][:5]))
    entities = [Entity(f"n-{e:012x}", f"Entity {e}", "PERSON" if e % 2 else "ORG", [f"Entity {e}", f"E. {e}"],
                       entity_articles[e], entity_mentions[e]) for e in sorted(entity_articles)]
    with store.transaction() as db:
        db.executemany("INSERT INTO articles (id, source, version, text_hash, title, url, outlet, published, language,"
                       " byline, reader, added_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", article_rows)
        db.executemany("INSERT INTO article_versions VALUES (?, ?, ?, ?, ?)", version_rows)
        db.executemany("INSERT INTO article_search (article_id, title, text) VALUES (?, ?, ?)", search_rows)
        db.executemany("INSERT INTO story_results VALUES (?, ?, ?, ?)", results)
    store.save_stories(stories, published)
    store.save_relations([], relations)
    store.save_entities(entities)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    print(f"generated {articles} articles, {stories_count} stories, {len(relations)} relations, "
          f"{len(entities)} entities in {time.perf_counter() - started:.0f} s -> {path}")


def server_cpu_seconds(group: int) -> float:
    """CPU time (user + system) used so far by every process of the server's process group."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended while we looked
        if int(fields[2]) == group:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(db: Path, port: int, workers: int, page_cache_mb: int) -> subprocess.Popen:
    command = [str(Path(sys.executable).with_name("storyline")), "serve", "--db", str(db), "--read-only",
               "--port", str(port), "--workers", str(workers), "--page-cache-mb", str(page_cache_mb)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit(f"the server did not start: {server.stderr.read().decode() if server.stderr else ''}")


WRK_SCRIPT = """
local ids = {}
for line in io.lines("%(ids)s") do ids[#ids + 1] = line end
-- Each wrk thread has its own Lua state: seed each differently, or they would ask for the same ids.
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("seed", 7 + threads)
end
init = function(args)
  math.randomseed(seed)
end
request = function()
  return wrk.format("GET", "%(prefix)s" .. ids[math.random(#ids)] .. "%(suffix)s")
end
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status
    + summary.errors.timeout
  io.write(string.format("RESULT %%d %%d %%.3f %%.3f %%.3f %%.3f %%d\\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.mean / 1000, errors))
end
"""


def load_wrk(port: int, ids_file: Path, prefix: str, suffix: str, clients: int, seconds: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % {"ids": ids_file, "prefix": prefix, "suffix": suffix})
    try:
        output = subprocess.run(["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "-s", script.name,
                                 f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script.name)
    line = next(line for line in output.splitlines() if line.startswith("RESULT"))
    requests, duration_us, p50, p95, p99, mean, errors = line.split()[1:]
    return {"requests": int(requests), "rps": int(requests) / (int(duration_us) / 1e6), "p50": float(p50),
            "p95": float(p95), "p99": float(p99), "mean": float(mean), "errors": int(errors)}


def load_httpx(port: int, ids: list[str], prefix: str, suffix: str, clients: int, seconds: int) -> dict[str, float]:
    import httpx

    async def run() -> dict[str, float]:
        latencies: list[float] = []
        errors = 0
        rng = random.Random(7)
        stop = time.perf_counter() + seconds
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=30,
                                     trust_env=False) as client:
            async def worker() -> None:
                nonlocal errors
                while time.perf_counter() < stop:
                    started = time.perf_counter()
                    response = await client.get(prefix + rng.choice(ids) + suffix)
                    latencies.append((time.perf_counter() - started) * 1000)
                    errors += response.status_code != 200
            began = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(clients)))
            elapsed = time.perf_counter() - began
        ordered = sorted(latencies)

        def pct(q: float) -> float:
            return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

        return {"requests": len(ordered), "rps": len(ordered) / elapsed, "p50": pct(0.5), "p95": pct(0.95),
                "p99": pct(0.99), "mean": statistics.fmean(ordered), "errors": errors}

    return asyncio.run(run())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("store", nargs="?", default=str(REPO / "out" / "bench-web-100k.db"))
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1, help="server processes (storyline serve --workers)")
    parser.add_argument("--page-cache-mb", type=int, default=0,
                        help="the server's page cache (default off: every request builds its page)")
    parser.add_argument("--client", choices=["auto", "wrk", "httpx"], default="auto")
    parser.add_argument("--target-p95-ms", type=float, default=100.0)
    args = parser.parse_args()

    db = Path(args.store)
    if not db.exists():
        generate(db, args.articles)
    with open_store(db, read_only=True) as store:
        count = store.article_count()
        story_ids = [row[0] for row in store.db.execute("SELECT id FROM stories ORDER BY id")]
        article_ids = [row[0] for row in store.db.execute("SELECT article_id FROM story_articles ORDER BY article_id")]
    client = args.client if args.client != "auto" else ("wrk" if shutil.which("wrk") else "httpx")
    port = free_port()
    server = start_server(db, port, args.workers, args.page_cache_mb)
    rows = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            targets = [("story page", "/stories/", "", story_ids), ("story JSON", "/stories/", ".json", story_ids),
                       ("article page", "/articles/", "", article_ids), ("static file (peer)", "/static/style.css", "", [""])]
            for name, prefix, suffix, ids in targets:
                ids_file = Path(folder) / "ids.txt"
                ids_file.write_text("\n".join(ids) + "\n")
                # A short warm-up so the first connections' set-up is not measured.
                load_httpx(port, ids, prefix, suffix, 2, 1)
                cpu_before = server_cpu_seconds(server.pid)
                if client == "wrk":
                    result = load_wrk(port, ids_file, prefix, suffix, args.clients, args.seconds)
                else:
                    result = load_httpx(port, ids, prefix, suffix, args.clients, args.seconds)
                result["cpu_ms"] = (server_cpu_seconds(server.pid) - cpu_before) * 1000 / max(1, result["requests"])
                rows.append((name, result))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    print(f"store: {db} ({count} articles, {len(story_ids)} stories); server: storyline serve --read-only "
          f"--workers {args.workers} --page-cache-mb {args.page_cache_mb}; client: {client}, {args.clients} concurrent, "
          f"{args.seconds} s per target")
    print(f"{'target':<22}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}"
          f"{'server CPU ms/req':>19}")
    for name, r in rows:
        print(f"{name:<22}{r['requests']:>9}{r['rps']:>9.0f}{r['p50']:>9.1f}{r['p95']:>9.1f}{r['p99']:>9.1f}"
              f"{r['errors']:>8}{r['cpu_ms']:>19.2f}")
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    story, peer = rows[0][1], rows[-1][1]
    print(f"story page vs static file: {story['p95'] / peer['p95']:.1f}x the p95, "
          f"{peer['rps'] / story['rps']:.1f}x fewer requests/s")
    verdict = "meets" if story["p95"] <= args.target_p95_ms and story["errors"] == 0 else "MISSES"
    print(f"story page p95 {story['p95']:.1f} ms {verdict} the {args.target_p95_ms:.0f} ms target")
    return 0 if verdict == "meets" else 1


if __name__ == "__main__":
    sys.exit(main())
