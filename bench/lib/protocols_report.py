#!/usr/bin/env python3
"""bench/protocols' report: medians over the rounds of its runs.tsv, one table
per workload (every front-end protocol and client), the ratios of
mod_oxbalance against the better peer, and issue 15's targets."""

import argparse
import csv
import statistics
from collections import defaultdict

LABEL = {"ox": "mod_oxbalance", "oxb": "mod_oxbalance B", "proxy": "mod_proxy_balancer", "jk": "mod_jk", "static": "static file (floor)",
         "mem": "memory floor", "ajpfloor": "AJP floor"}
PROTO = {"h1": "HTTP/1.1", "h1tls": "HTTP/1.1 + TLS 1.3", "h2": "h2 (TLS 1.3)", "h2c": "h2c"}
CLIENT = {"wrk": "wrk, saturated", "h2load": "h2load -n, saturated", "rate": "h2load --rps, equal load"}
WORKLOAD = {"w1": "w1: 200-byte GET, 32 connections", "w3": "w3: 1 MiB download, 8 connections"}
PEERS = ("proxy", "jk")


def num(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("runs")
    for opt in ("started", "rounds", "duration", "machine", "module", "h2load"):
        ap.add_argument("--" + opt, default="")
    # What receiving a body from Tomcat costs the kernel alone (bench/recv-floor; docs/performance.md,
    # "The receive floor"): µs per request, lowest rounds measured.
    ap.add_argument("--recv-floor", default="w1=32,w3=652")
    a = ap.parse_args()

    vals = defaultdict(list)   # (w, p, c, v, column) -> values over the rounds
    order = {"w": [], "p": [], "c": [], "v": []}
    with open(a.runs) as f:
        for row in csv.DictReader(f, delimiter="\t"):
            key = (row["workload"], row["protocol"], row["client"], row["variant"])
            for k, col in zip("wpcv", key):
                if col not in order[k]:
                    order[k].append(col)
            for col in ("rps", "cpu_us", "p99_ms", "failed", "client_us", "backend_us", "busy_cores", "offered_rps"):
                x = num(row.get(col))
                if x is not None:
                    vals[key + (col,)].append(x)

    def med(w, p, c, v, col):
        xs = vals.get((w, p, c, v, col))
        return statistics.median(xs) if xs else None

    def ratio(x, y):
        return f"{x / y:.2f}" if x is not None and y else "–"

    def better(w, p, c, col, low):
        xs = [med(w, p, c, v, col) for v in PEERS if v in order["v"]]
        xs = [x for x in xs if x is not None]
        if not xs:
            return None
        return min(xs) if low else max(xs)

    out = []
    out.append(f"Run started {a.started}; {a.rounds} round(s) per cell, variants alternated, medians.")
    out.append("")
    out.append(a.machine)
    out.append(a.module)
    out.append(f"- Clients: wrk -t 2 (HTTP/1.1 only), {a.h2load} -t 1 -m 1 with a fixed request count "
               "(-n) and at a fixed rate (--rps per connection; p99 from its --log-file)")
    out.append("- CPU: the httpd process tree's user+system time over the run ÷ requests answered")
    out.append("")
    def figures(w, p, c, v):
        """Variant v ÷ the better peer (CPU, req/s, p99) and its overhead
        above the static floor ÷ the seed stack's, as strings ("–": not
        measured)."""
        mine = {col: med(w, p, c, v, col) for col in ("rps", "cpu_us", "p99_ms")}
        over = "–"
        floor = med(w, p, c, "static", "cpu_us")
        seed = med(w, p, c, "proxy", "cpu_us")
        if floor is not None and seed is not None and mine["cpu_us"] is not None and seed > floor:
            over = f"{(mine['cpu_us'] - floor) / (seed - floor):.2f}"
        return {"cpu": ratio(mine["cpu_us"], better(w, p, c, "cpu_us", True)),
                "rps": ratio(mine["rps"], better(w, p, c, "rps", False)),
                "p99": ratio(mine["p99_ms"], better(w, p, c, "p99_ms", True)), "over": over}

    def offered_rate(w, p, c):
        """The rate offered to every front end of a fixed-rate cell (None:
        not a fixed-rate cell, or data from before it was recorded)."""
        if c != "rate":
            return None
        return next((x for x in (med(w, p, c, v, "offered_rps") for v in order["v"]) if x), None)

    def short_of_rate(w, p, c):
        """At a fixed rate, the front ends that answered less than 97 % of the
        offered rate (queued: saturated, not at equal load), as text."""
        offered = offered_rate(w, p, c)
        if not offered:
            return ""
        answered = {v: med(w, p, c, v, "rps") for v in order["v"] if v not in ("static", "mem")}
        short = [f"{LABEL.get(v, v)} {x:.0f}" for v, x in answered.items() if x is not None and x < 0.97 * offered]
        return f"not at equal load: {', '.join(short)} of {offered:.0f} req/s offered" if short else ""

    def client_label(w, p, c):
        offered = offered_rate(w, p, c)
        label = CLIENT.get(c, c)
        return f"{label} ({offered:.0f} req/s)" if offered else label

    targets = []
    unequal = []
    for w in order["w"]:
        out.append(f"### {WORKLOAD.get(w, w)}")
        out.append("")
        head = "| protocol | client |"
        sep = "|---|---|"
        for v in order["v"]:
            head += f" {LABEL.get(v, v)} req/s | CPU µs/req | p99 ms |"
            sep += "---:|---:|---:|"
        head += " ours ÷ better peer: CPU | req/s | p99 |"
        sep += "---:|---:|---:|"
        if "static" in order["v"]:
            head += " overhead above floor ÷ seed's |"
            sep += "---:|"
        out.append(head)
        out.append(sep)
        for p in order["p"]:
            for c in order["c"]:
                if med(w, p, c, "ox", "rps") is None and med(w, p, c, "proxy", "rps") is None:
                    continue
                line = f"| {PROTO.get(p, p)} | {client_label(w, p, c)} |"
                for v in order["v"]:
                    rps, cpu, p99 = (med(w, p, c, v, col) for col in ("rps", "cpu_us", "p99_ms"))
                    line += f" {rps:.0f} |" if rps is not None else " – |"
                    line += f" {cpu:.0f} |" if cpu is not None else " – |"
                    line += f" {p99:.2f} |" if p99 is not None else " – |"
                    fails = med(w, p, c, v, "failed")
                    if fails:
                        line = line[:-1] + f"(**{fails:.0f} failed**) |"
                # The same figures for mod_oxbalance and for the AJP floor (the
                # least any AJP proxy in httpd costs, measured beside it).
                fig = {v: figures(w, p, c, v) for v in ("ox", "ajpfloor")}
                rc, rr, rp, over = (fig["ox"][k] for k in ("cpu", "rps", "p99", "over"))
                line += f" {rc} | {rr if c != 'rate' else '(same rate)'} | {rp} |"
                if "static" in order["v"]:
                    line += f" {over} |"
                out.append(line)
                # issue 15's targets
                wanted = []
                if w == "w1":
                    wanted.append(("CPU ≤ 0.75×", "cpu", lambda x: x <= 0.75))
                    if c != "rate":
                        wanted.append(("overhead above floor ≤ 0.4× seed's", "over", lambda x: x <= 0.4))
                if w == "w3":
                    wanted.append(("CPU ≤ 0.5×", "cpu", lambda x: x <= 0.5))
                    if c != "rate":
                        wanted.append(("req/s ≥ 1.3×", "rps", lambda x: x >= 1.3))
                if c == "rate":
                    wanted.append(("p99 ≤ better peer's", "p99", lambda x: x <= 1.0))
                short = short_of_rate(w, p, c)
                if short:
                    unequal.append(f"- {w}, {PROTO.get(p, p)}: {short}")
                for what, k, ok in wanted:
                    if fig["ox"][k] != "–":
                        targets.append((w, p, c, what, fig["ox"][k], fig["ajpfloor"][k], ok, short))
        out.append("")
        if unequal:
            out.append("Fixed-rate cells where a front end fell short of the offered rate "
                       "(medians; its figures are a saturated run's, no target is judged there):")
            out += unequal + [""]
            unequal = []
    out += req_rate_bound(order, med, dict(kv.split("=") for kv in a.recv_floor.split(",") if kv))
    if targets:
        out.append("### Targets (mod_oxbalance ÷ the better of mod_proxy_balancer and mod_jk, same run)")
        out.append("")
        out.append("The AJP floor (bench/lib/mod_oxb_ajpfloor.c) is the least any AJP proxy inside httpd "
                   "does: one AJP round trip to the same Tomcats per request and nothing else. Where it "
                   "misses a w1 target too, no AJP proxy module reaches it on this machine. For w3 it is shown, "
                   "not taken as a bound: it copies each body once out of the AJP packets, where mod_oxbalance "
                   "passes the received blocks by reference over HTTP/1.1.")
        out.append("")
        out.append("| workload | protocol | client | target | mod_oxbalance | AJP floor | |")
        out.append("|---|---|---|---|---:|---:|---|")
        for w, p, c, what, got, floor, ok, short in targets:
            if short:
                verdict = "– not judged: " + short
            elif ok(float(got)):
                verdict = "✓ met"
            elif w == "w1" and floor != "–" and not ok(float(floor)):
                verdict = "✗ out of reach: the AJP floor misses it too"
            else:
                verdict = "✗ missed"
            out.append(f"| {w} | {PROTO.get(p, p)} | {client_label(w, p, c)} | {what} | {got} | {floor} | {verdict} |")
        out.append("")
    print("\n".join(out))


def req_rate_bound(order, med, recv_floor):
    """Saturated runs share the machine's CPUs between httpd, the client and
    Tomcat: when they are busy, req/s follows the CPU all three spend per
    request. The best ratio any proxy could reach against the better peer is
    the peer's total over a total with httpd at the memory floor plus the
    receive floor (the client's cost as with the memory floor, Tomcat's as
    with the peer)."""
    if "mem" not in order["v"]:
        return []
    out = ["### Saturated runs: where the CPU goes, and the req/s a proxy could reach", "",
           "| workload | protocol | client | front end | req/s | httpd µs/req | client µs/req | Tomcat µs/req | "
           "sum | busy cores |", "|---|---|---|---|---:|---:|---:|---:|---:|---:|"]
    bounds = []
    for w in order["w"]:
        for p in order["p"]:
            for c in order["c"]:
                if c == "rate":
                    continue
                tot = {}
                for v in order["v"]:
                    cols = [med(w, p, c, v, col) for col in ("rps", "cpu_us", "client_us", "backend_us", "busy_cores")]
                    if cols[0] is None or None in cols[1:4]:
                        continue
                    tot[v] = sum(cols[1:4])
                    busy = f"{cols[4]:.2f}" if cols[4] is not None else "–"
                    out.append(f"| {w} | {PROTO.get(p, p)} | {CLIENT.get(c, c)} | {LABEL.get(v, v)} | {cols[0]:.0f} | "
                               f"{cols[1]:.0f} | {cols[2]:.0f} | {cols[3]:.0f} | {tot[v]:.0f} | {busy} |")
                peers = [v for v in PEERS if v in tot]
                if "mem" not in tot or not peers or w not in recv_floor:
                    continue
                best = max(peers, key=lambda v: med(w, p, c, v, "rps"))
                floor = (med(w, p, c, "mem", "cpu_us") + float(recv_floor[w]) + med(w, p, c, "mem", "client_us")
                         + med(w, p, c, best, "backend_us"))
                ours = med(w, p, c, "ox", "rps") if "ox" in tot else None
                peer_rps = med(w, p, c, best, "rps")
                ajp = med(w, p, c, "ajpfloor", "rps") if "ajpfloor" in tot else None
                bounds.append(f"| {w} | {PROTO.get(p, p)} | {CLIENT.get(c, c)} | {tot[best]:.0f} | {floor:.0f} | "
                              f"{tot[best] / floor:.2f} | {tot['ox'] / floor if 'ox' in tot else 0:.2f} | "
                              f"{ours / peer_rps if ours else 0:.2f} | {f'{ajp / peer_rps:.2f}' if ajp else '–'} |")
    out.append("")
    if bounds:
        out += ["Bound: memory floor + receive floor (" + ", ".join(f"{k} {v} µs" for k, v in recv_floor.items())
                + ") for httpd, the memory floor's client cost, the better peer's Tomcat cost.", "",
                "| workload | protocol | client | better peer's sum µs | bound's sum µs | best req/s ratio a proxy could "
                "reach | ours: sum ÷ bound | ours: req/s ratio measured | the AJP floor's req/s ratio measured |",
                "|---|---|---|---:|---:|---:|---:|---:|---:|"] + bounds + [""]
    return out


if __name__ == "__main__":
    main()
