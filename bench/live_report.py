"""The load benchmark's printed figures: one block per measured run, then a summary block
with the median of the runs (the worst for counts that must be zero)."""

from __future__ import annotations

import argparse
import math
import statistics
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.live_load import Outcome


#: How each ``--server`` is named in the summary.
SERVERS = {"flask": "flask serve (threading)", "gunicorn": "gunicorn -k gevent (gevent)"}


def pct(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); nan when there are none.

    >>> pct([5, 1, 3, 2, 4], 50), pct([5, 1, 3, 2, 4], 99), pct([], 50) != pct([], 50)
    (3, 5, True)
    """
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = -(-q * len(ordered) // 100)  # ceil
    return ordered[int(min(len(ordered), max(1, rank))) - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def latency_line(values: Sequence[float]) -> str:
    return (f"p50 {ms(pct(values, 50))}, p99 {ms(pct(values, 99))}, "
            f"max {ms(max(values, default=float('nan')))} (n={len(values):,})")


def server_lines(outcome: Outcome) -> list[str]:
    lines = []
    for name, process in outcome.servers.items():
        s = process.stats
        cpu = f"CPU mean {statistics.fmean(s.cpu):.0f} % (max {max(s.cpu):.0f} %)" \
            if s.cpu else "CPU n/a"
        rss = f"RSS max {max(s.rss_mb):.0f} MB" if s.rss_mb else "RSS n/a"
        threads = f"threads max {max(s.threads)}" if s.threads else "threads n/a"
        per = (f"; {10 * statistics.fmean(s.cpu) * outcome.seconds / outcome.sends.ok:.1f} ms "
               f"CPU per answered change" if s.cpu and outcome.sends.ok else "")
        lines.append(f"  {name}: {cpu}, {rss}, {threads} ({len(s.cpu)} samples){per}")
    return lines


def report(scenario: str, o: Outcome, run: int, args: argparse.Namespace) -> None:
    """Print one run's figures."""
    s = o.sends
    print(f"== {scenario} run {run}: {o.label}, {o.clients} clients, {args.rate:g} ev/s each, "
          f"{o.seconds:.0f} s ==")
    if o.setup_seconds:
        print(f"  set-up (database, server, connecting, joining, starting): "
              f"{o.setup_seconds:.1f} s")
    print(f"  clients held: {o.held}/{o.clients}; connect failures: "
          f"{sum(o.connect_failures.values())} {dict(o.connect_failures) or ''}".rstrip())
    print(f"  sends: {s.ok:,} answered ({s.ok / o.seconds:.1f}/s), refused "
          f"{sum(s.refused.values())} {dict(s.refused) or ''}, unanswered "
          f"{sum(s.failed.values())} {dict(s.failed) or ''}, skipped {s.skipped}")
    print(f"  fan-out latency: {latency_line(o.latency)}")
    print(f"  ack latency (sender): {latency_line(o.ack)}")
    kind_lines(o)
    sql_line(o)
    if o.held < o.clients - sum(o.connect_failures.values()) or o.sync_failures:
        print(f"  clients not connected at the end: "
              f"{o.clients - sum(o.connect_failures.values()) - o.held}, connected but their "
              f"final sync failed: {o.sync_failures}; behind by {o.behind:,} changes in all "
              f"(not counted as lost: they could not catch up)")
    print(f"  lost: {o.lost}; duplicates dropped by clients: {o.duplicates} (of them while "
          f"joining and starting: {o.setup_duplicates}); applied twice: {o.applied_twice}")
    if o.label == "app":
        print(f"  in the database twice: {o.db_twice}; acked but not in the log: "
              f"{o.acked_missing}; snapshot fallbacks: {o.snapshots}; gap fetches: "
              f"{o.gap_fetches}; quiet-time syncs: {o.syncs}")
    for line in server_lines(o):
        print(line)
    print(f"  load generator CPU: {o.loadgen_cpu:.0f} % of one core; its GC: "
          f"{o.loadgen_gc[0]} full passes, longest pause {1000 * o.loadgen_gc[1]:.0f} ms; "
          f"machine load average {o.load[0]:.1f} before, {o.load[1]:.1f} after "
          f"(other work shares the cores)")
    extra_lines(scenario, o)


def kind_lines(o: Outcome) -> None:
    """Fan-out by kind of change, busiest first (one line per kind when there are several)."""
    if len(o.by_kind) < 2:
        return
    print("  fan-out by kind of change (answered changes, share):")
    total = sum(o.kinds.values()) or 1
    for kind, n in o.kinds.most_common():
        values = o.by_kind.get(kind, [])
        print(f"    {kind:<18} {n:>7,} ({100 * n / total:4.1f} %)  {latency_line(values)}")


def sql_line(o: Outcome) -> None:
    """SQL statements and round trips per answered change, from the server's statement log
    (everything the servers did while measuring, divided by the changes answered)."""
    if not o.sql or not o.sends.ok:
        return
    trips = sum(o.sql.values())
    print(f"  SQL per answered change: {o.sql['statements'] / o.sends.ok:.2f} statements, "
          f"{trips / o.sends.ok:.2f} round trips (with BEGIN, COMMIT, ROLLBACK); in all "
          f"{o.sql['statements']:,} statements, {o.sql['begin']:,} BEGIN, "
          f"{o.sql['commit']:,} COMMIT, {o.sql['rollback']:,} ROLLBACK")


def extra_lines(scenario: str, o: Outcome) -> None:
    e = o.extra
    for path in ("/health", "/login"):
        answers = [(status, took) for p, status, took in e.get("probes", []) if p == path]
        if answers:
            bad = sum(status != 200 for status, _took in answers)
            print(f"  GET {path} every second through the run: "
                  f"{latency_line([took for _s, took in answers])}; not 200: {bad}")
    if "refused_busy" in e:
        print(f"  busy bound {e['busy_at']} events in flight: {e['refused_busy']:,} events "
              f"answered \"busy, send again\" (clients resent them); most in flight seen by "
              f"/health {e['in_flight_max']}")
    if scenario == "rolling" and "restarts" in e:
        print(f"  rolling restart: SIGTERM → exited, exited → answering again (s): "
              f"{', '.join(f'{a:.1f} → {b:.1f}' for a, b in e['restarts'])}; "
              f"reconnects in all: {e['joins']}")
    if scenario == "crash" and "back" in e:
        share = 100 * e["back"] / max(1, e["held_before"])
        print(f"  kill -9: {e['back']}/{e['held_before']} clients back ({share:.0f} %); "
              f"server down (kill → answering again) {e['down']:.2f} s")
        print(f"  reconnect from kill: p50 {pct(e['from_kill'], 50):.2f} s, p99 "
              f"{pct(e['from_kill'], 99):.2f} s, max {max(e['from_kill'], default=0):.2f} s; "
              f"from the restarted server answering: p99 {pct(e['from_ready'], 99):.2f} s")
    if scenario == "redis" and "redis_down" in e:
        print(f"  redis-server killed and restarted: down {e['redis_down']:.1f} s; "
              f"/health afterwards: {e.get('health')}")
    if scenario == "flood" and "flooder" in e:
        start, end = e["flood_window"]
        before = o_window(o, start - (end - start), start)
        during = o_window(o, start, end)
        cuts = [a["cut_off_after"] for a in e["flooder"].get("attempts", [])]
        print(f"  others before the flood: {latency_line(before)}")
        print(f"  others during the flood: {latency_line(during)}; p99 ratio "
              f"{pct(during, 99) / pct(before, 99):.2f}x")
        print(f"  flooder: {len(cuts)} connections, cut off after "
              f"{', '.join('never' if c is None else f'{c:.2f} s' for c in cuts)}; "
              f"acks {e['flooder'].get('acks')}; flooder CPU "
              f"{100 * e['flooder'].get('cpu_seconds', 0) / e['flooder'].get('seconds', 1):.0f} % "
              f"(niced)")
        e["ratio"] = pct(during, 99) / pct(before, 99)
        e["cut_max"] = max((c if c is not None else float("inf") for c in cuts),
                           default=float("nan"))


def o_window(o: Outcome, start: float, end: float) -> list[float]:
    return [lat for at, lat in zip(o.sent_at, o.latency) if start <= at < end]


def summary(scenario: str, runs: Sequence[Sequence[Outcome]], args: argparse.Namespace,
            target: str) -> None:
    """The median over runs of each figure; counts that must be zero: the worst run."""
    def med(label: str, get: Callable[[Outcome], float]) -> float:
        values = [get(o) for outcomes in runs for o in outcomes if o.label == label]
        return statistics.median(values) if values else float("nan")

    def worst(get: Callable[[Outcome], int]) -> int:
        return max(get(o) for outcomes in runs for o in outcomes if o.label == "app")

    print(f"== summary: {scenario}, {len(runs)} run(s), median (counts: worst run) ==")
    print(f"  {args.clients} clients in rooms of 8, {args.rate:g} ev/s each, "
          f"{args.duration:g} s, transport {args.transport}, "
          f"{args.processes} x {SERVERS[args.server]}"
          f"{' behind nginx' if args.topology == 'nginx' else ''}, "
          f"{args.database}, {args.mix} mix, per-address connect gate off; "
          f"target: {target}")
    if args.relay and args.relay_async_mode != "threading":
        print(f"  relay async mode: {args.relay_async_mode}")
    if args.server_env:
        print(f"  server environment: {' '.join('='.join(kv) for kv in args.server_env)}")
    print(f"  clients held {med('app', lambda o: o.held):.0f}; connect failures "
          f"{worst(lambda o: sum(o.connect_failures.values()))}")
    for part in ("p50", "p99", "max"):
        q = {"p50": 50, "p99": 99, "max": 100}[part]
        line = f"  fan-out {part}: ours {ms(med('app', quantile(q)))}"
        if args.relay:
            line += f", relay {ms(med('relay', quantile(q)))}"
        print(line)
    kinds = sorted({k for outcomes in runs for o in outcomes if o.label == "app"
                    for k in o.by_kind})
    if len(kinds) > 1:
        worst_p99 = max(kinds, key=lambda k: med("app", lambda o: pct(o.by_kind.get(k, []), 99)))
        worst_p50 = max(kinds, key=lambda k: med("app", lambda o: pct(o.by_kind.get(k, []), 50)))
        print(f"  by kind: highest p50 {worst_p50} "
              f"{ms(med('app', lambda o: pct(o.by_kind.get(worst_p50, []), 50)))}, highest "
              f"p99 {worst_p99} {ms(med('app', lambda o: pct(o.by_kind.get(worst_p99, []), 99)))}")
    per_change = med("app", lambda o: _cpu(o) * o.seconds / 100 / o.sends.ok * 1000
                     if o.sends.ok else float("nan"))
    relay_per = med("relay", lambda o: _cpu(o) * o.seconds / 100 / o.sends.ok * 1000
                    if o.sends.ok else float("nan"))
    print(f"  server CPU per answered change: ours {per_change:.2f} ms (all processes)"
          + (f", relay {relay_per:.2f} ms" if args.relay else ""))
    statements = med("app", lambda o: o.sql.get("statements", 0) / o.sends.ok
                     if o.sql and o.sends.ok else float("nan"))
    trips = med("app", lambda o: sum(o.sql.values()) / o.sends.ok
                if o.sql and o.sends.ok else float("nan"))
    if not math.isnan(statements):
        print(f"  SQL per answered change: {statements:.2f} statements, {trips:.2f} round trips")
    if args.relay:
        ratio = med("app", lambda o: pct(o.latency, 99)) / med(
            "relay", lambda o: pct(o.latency, 99))
        print(f"  p99 ours / relay: {ratio:.2f}x")
    print(f"  lost {worst(lambda o: o.lost)} (clients not connected at the end: behind by "
          f"{worst(lambda o: o.behind)}); duplicates dropped "
          f"{worst(lambda o: o.duplicates)}; applied twice {worst(lambda o: o.applied_twice)}; "
          f"in the database twice {worst(lambda o: o.db_twice)}; acked but not logged "
          f"{worst(lambda o: o.acked_missing)}")
    print(f"  server CPU mean {med('app', lambda o: _cpu(o)):.0f} %, RSS max "
          f"{med('app', lambda o: _rss(o)):.0f} MB, threads max "
          f"{med('app', lambda o: _threads(o)):.0f}; load generator CPU "
          f"{med('app', lambda o: o.loadgen_cpu):.0f} %")
    if scenario == "crash":
        print(f"  reconnected {med('app', lambda o: o.extra.get('back', 0)):.0f}/"
              f"{med('app', lambda o: o.extra.get('held_before', 0)):.0f}; reconnect p99 "
              f"from kill {med('app', lambda o: pct(o.extra.get('from_kill', []), 99)):.2f} s")
    if scenario == "flood":
        print(f"  others' p99 during / before the flood "
              f"{med('app', lambda o: o.extra.get('ratio', float('nan'))):.2f}x; flooder cut "
              f"off within {med('app', lambda o: o.extra.get('cut_max', float('nan'))):.2f} s")


def quantile(q: float) -> Callable[[Outcome], float]:
    return lambda o: pct(o.latency, q)


def _cpu(o: Outcome) -> float:
    return sum(statistics.fmean(p.stats.cpu) for p in o.servers.values() if p.stats.cpu)


def _rss(o: Outcome) -> float:
    return sum(max(p.stats.rss_mb, default=0) for p in o.servers.values())


def _threads(o: Outcome) -> float:
    return sum(max(p.stats.threads, default=0) for p in o.servers.values())
