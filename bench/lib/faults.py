#!/usr/bin/env python3
"""Helpers of bench/faults and bench/soak (see bench/README.md).

  faults.py relay  --listen P --upstream P --control FILE
      A TCP relay in front of one backend whose behaviour the control file
      switches at run time (read every 50 ms):
        pass     forward both ways
        reset    a node that resets its connections mid-response: of the
                 first data the backend sends on a connection, forward half,
                 then reset both sides (SO_LINGER 0: RST, not FIN)
        garbage  answer whatever the front end sends (a request, a CPing)
                 with bytes that are no AJP, then close
        close    accept and close at once (and close a pooled connection
                 when the next request comes on it)

  faults.py load   --base URL (--logins PORT,... | --cookies FILE) --duration S
                   [--rate R] [--workers N] [--out TSV] [--seed N]
      The client, open-loop: R requests a second are due on a fixed schedule
      whatever the answers take (as users' requests are), sent by N threads,
      each with its own keep-alive connection. Each request is a new session
      (15 %: GET /login, no cookie) or uses one of the sessions (cookies of
      every node) chosen at random: 61 % GET /whoami, 12 % POST /post-echo
      (2 KiB, the echo checked), 12 % GET /download?bytes=131072 (the
      length checked). Writes one line per request (TSV): due time, send
      time, end time, kind, session route, status, error, route that answered.
      Like a browser, a request on a reused keep-alive connection that the
      server had closed (no byte of a response) is sent again once on a new
      connection; those are counted ("ka-retry"), not errors.

  faults.py report --requests TSV --events FILE --errorlog FILE --frontend ox|proxy
                   --node HOST:PORT --route R --fault NAME
      Prints one Markdown table row and a JSON line for the run.
"""
import argparse
import asyncio
import http.client
import json
import os
import queue
import random
import re
import signal
import socket
import struct
import sys
import threading
import time

# ---------------------------------------------------------------- relay ----

GARBAGE = b"this is not AJP\r\n" * 8


class RelayState:
    def __init__(self, control):
        self.control = control
        self.mode = "pass"
        self.mtime = None

    def poll(self):
        try:
            st = os.stat(self.control)
        except OSError:
            return
        if st.st_mtime_ns == self.mtime:
            return
        self.mtime = st.st_mtime_ns
        try:
            with open(self.control) as f:
                m = f.read().strip()
        except OSError:
            return
        if m in ("pass", "reset", "garbage", "close") and m != self.mode:
            print(f"relay: {time.time():.3f} mode {m}", flush=True)
            self.mode = m


def rst(writer):
    """Close with RST (SO_LINGER 0), not FIN."""
    if writer is None:
        return
    try:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()
    except Exception:
        pass


def fin(writer):
    if writer is None:
        return
    try:
        writer.close()
    except Exception:
        pass


async def relay_conn(state, upstream, creader, cwriter):
    mode = state.mode
    if mode == "close":
        fin(cwriter)
        return
    uwriter = ureader = None
    if mode != "garbage":
        try:
            ureader, uwriter = await asyncio.open_connection("127.0.0.1", upstream)
        except OSError:
            fin(cwriter)
            return
    done = asyncio.Event()

    async def client_to_backend():
        try:
            while True:
                data = await creader.read(65536)
                if not data:
                    if uwriter is not None and not uwriter.is_closing():
                        uwriter.write_eof()
                    return
                m = state.mode
                if m == "garbage":
                    cwriter.write(GARBAGE)
                    await cwriter.drain()
                    fin(cwriter)
                    fin(uwriter)
                    return
                if m == "close" or uwriter is None:
                    fin(cwriter)
                    fin(uwriter)
                    return
                uwriter.write(data)
                await uwriter.drain()
        except (OSError, asyncio.IncompleteReadError):
            fin(cwriter)
            fin(uwriter)
        finally:
            done.set()

    async def backend_to_client():
        try:
            while True:
                data = await ureader.read(65536)
                if not data:
                    fin(cwriter)
                    return
                if state.mode == "reset":
                    half = data[: len(data) // 2]
                    if half:
                        cwriter.write(half)
                        try:
                            await asyncio.wait_for(cwriter.drain(), 1)
                        except Exception:
                            pass
                    rst(cwriter)
                    rst(uwriter)
                    return
                cwriter.write(data)
                await cwriter.drain()
        except (OSError, asyncio.IncompleteReadError):
            fin(cwriter)
        finally:
            done.set()

    tasks = [asyncio.ensure_future(client_to_backend())]
    if ureader is not None:
        tasks.append(asyncio.ensure_future(backend_to_client()))
    await asyncio.gather(*tasks, return_exceptions=True)
    fin(cwriter)
    fin(uwriter)


async def relay_main(args):
    state = RelayState(args.control)
    state.poll()
    server = await asyncio.start_server(
        lambda r, w: relay_conn(state, args.upstream, r, w), "127.0.0.1", args.listen, backlog=512
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    print(f"relay: 127.0.0.1:{args.listen} -> 127.0.0.1:{args.upstream}", flush=True)
    async with server:
        while not stop.is_set():
            state.poll()
            try:
                await asyncio.wait_for(stop.wait(), 0.05)
            except asyncio.TimeoutError:
                pass


# ----------------------------------------------------------------- load ----

ROUTE_RE = re.compile(rb"route=(\S+)")
COOKIE_RE = re.compile(r"JSESSIONID=([^;]+)")
POST_BYTES = 2048
DOWNLOAD_BYTES = 131072


def login_direct(port):
    """A session straight from a Tomcat's HTTP connector: JSESSIONID value."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        c.request("GET", "/login")
        r = c.getresponse()
        r.read()
        m = COOKIE_RE.search(r.getheader("Set-Cookie") or "")
        return m.group(1) if m else None
    finally:
        c.close()


class Worker(threading.Thread):
    """Takes requests from the queue and sends them on its own keep-alive
    connection. Each request says when it was due (an open-loop schedule:
    requests keep coming at the rate whatever the answers take, as users'
    do), so a request that waited for a free connection shows it."""

    def __init__(self, idx, args, work, records, lock):
        super().__init__(daemon=True)
        self.args, self.work, self.records, self.lock = args, work, records, lock
        self.conn = None
        self.used = False  # the connection carried a request already
        self.host, self.port, self.prefix = split_base(args.base)

    def connect(self):
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.args.timeout)
        self.used = False

    def once(self, method, path, headers, body):
        """One attempt: (status, body) or raises."""
        if self.conn is None:
            self.connect()
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        data = resp.read()
        self.used = True
        if resp.will_close:
            self.drop()
        return resp.status, data

    def run(self):
        while True:
            item = self.work.get()
            if item is None:
                break
            self.send(*item)
        self.drop()

    def send(self, t_due, kind, route, cookie, post_body):
        headers = {}
        body = None
        if kind == "new":
            method, path = "GET", "/login"
        else:
            headers["Cookie"] = "JSESSIONID=" + cookie
            if kind == "sticky":
                method, path = "GET", "/whoami"
            elif kind == "post":
                method, path = "POST", "/post-echo"
                body = post_body
                headers["Content-Type"] = "application/octet-stream"
            else:
                method, path = "GET", "/download?bytes=%d" % DOWNLOAD_BYTES
        path = self.prefix + path
        t0 = time.time()
        status, err, answered, karetry = 0, "", "", 0
        for attempt in (0, 1):
            reused = self.conn is not None and self.used
            try:
                status, data = self.once(method, path, headers, body)
                if kind == "download" and status == 200 and len(data) != DOWNLOAD_BYTES:
                    err = "short-body"
                elif kind == "post" and status == 200 and data != post_body:
                    err = "bad-echo"
                m = ROUTE_RE.search(data) if kind in ("new", "sticky") else None
                if m:
                    answered = m.group(1).decode("ascii", "replace")
                break
            except socket.timeout:
                err = "timeout"
            except http.client.IncompleteRead:
                err = "incomplete"
            except (ConnectionResetError, BrokenPipeError) as e:
                # (http.client.RemoteDisconnected is a ConnectionResetError.)
                # A reused keep-alive connection closed before any byte of
                # a response: browsers send the request again.
                if reused and attempt == 0:
                    karetry = 1
                    self.drop()
                    continue
                err = "closed" if isinstance(e, (http.client.RemoteDisconnected, BrokenPipeError)) else "reset"
            except (OSError, http.client.HTTPException) as e:
                err = type(e).__name__
            self.drop()
            break
        t1 = time.time()
        if not err and not (200 <= status < 300):
            err = "status"
        with self.lock:
            self.records.append((t_due, t0, t1, kind, route, status, err, answered, karetry))

    def drop(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception:
                pass
        self.conn = None


def split_base(base):
    m = re.match(r"http://([^:/]+):(\d+)(/.*)?$", base)
    if not m:
        sys.exit("--base must be http://HOST:PORT[/prefix]")
    return m.group(1), int(m.group(2)), (m.group(3) or "").rstrip("/")


def load_main(args):
    sessions = []  # (route, cookie value)
    if args.cookies:
        with open(args.cookies) as f:
            for line in f:
                c = line.strip()
                if c.startswith("JSESSIONID="):
                    c = c[len("JSESSIONID="):]
                if "." in c:
                    sessions.append((c.split(".", 1)[1], c))
    else:
        for p in [int(p) for p in args.logins.split(",")]:
            for _ in range(10):
                c = login_direct(p)
                if not c:
                    sys.exit(f"load: no session from 127.0.0.1:{p}/login")
                sessions.append((c.split(".", 1)[1], c))
    if not sessions:
        sys.exit("load: no sessions")
    rng = random.Random(args.seed)
    post_body = bytes(rng.getrandbits(8) for _ in range(POST_BYTES))
    records, lock = [], threading.Lock()
    work = queue.Queue()
    workers = [Worker(i, args, work, records, lock) for i in range(args.workers)]
    for w in workers:
        w.start()
    start = time.time()
    n = int(args.duration * args.rate)
    for i in range(n):
        due = start + i / args.rate
        d = due - time.time()
        if d > 0:
            time.sleep(d)
        r = rng.random()
        route, cookie = rng.choice(sessions)
        if r < 0.15:
            kind, route, cookie = "new", "", ""
        elif r < 0.76:
            kind = "sticky"
        elif r < 0.88:
            kind = "post"
        else:
            kind = "download"
        work.put((due, kind, route, cookie, post_body))
    for _ in workers:
        work.put(None)
    for w in workers:
        w.join()
    records.sort()
    out = open(args.out, "w") if args.out else sys.stdout
    out.write("t_due\tt_send\tt_end\tkind\tsession_route\tstatus\terror\tanswered_by\tka_retry\n")
    for r in records:
        out.write("%.6f\t%.6f\t%.6f\t%s\t%s\t%d\t%s\t%s\t%d\n" % r)
    if args.out:
        out.close()
    errs = sum(1 for r in records if r[6])
    print(f"load: {len(records)} requests, {errs} errors", file=sys.stderr)


# --------------------------------------------------------------- report ----

def read_requests(path):
    rows = []
    with open(path) as f:
        next(f)
        for line in f:
            p = line.rstrip("\n").split("\t")
            rows.append(
                dict(due=float(p[0]), t0=float(p[1]), t1=float(p[2]), kind=p[3], route=p[4],
                     status=int(p[5]), err=p[6], by=p[7], karetry=int(p[8]))
            )
    return rows


def read_events(path):
    ev = []
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) >= 2:
                ev.append((float(p[0]), p[1], " ".join(p[2:])))
    return ev


LOGTIME_RE = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\.(\d+)\]")


def log_lines(path):
    """(epoch, line) of each error log line (ErrorLogFormat with %{cu}t)."""
    out = []
    try:
        f = open(path, errors="replace")
    except OSError:
        return out
    with f:
        for line in f:
            m = LOGTIME_RE.match(line)
            if not m:
                continue
            t = time.mktime(time.strptime(m.group(1), "%Y-%m-%d %H:%M:%S"))
            t += float("0." + m.group(2))
            out.append((t, line.rstrip("\n")))
    return out


# What says that the front end stopped sending to the node.
DETECT = {
    # OXB00011: the member's error window (a failed request); OXB00043:
    # probes found the node down.
    "ox": re.compile(r"OXB000(11|43)\b"),
    # mod_proxy logs no line of its own when it puts a worker into its error
    # state after a failed request (a 503 from the scheme handler does it):
    # the first failure that names the node is the detection. AH00957/
    # AH00959: connect failed (worker disabled for retry=); AH00878/AH00876/
    # AH00893: read/send/dialog failed; AH03303: mod_proxy_hcheck DISABLING;
    # AH02460/AH01174: forced into error state.
    "proxy": re.compile(r"AH0(0957|0959|0878|0876|0893|3303|2460|1174)\b"),
}


def fmt_s(x):
    return "–" if x is None else "%.1f s" % x


def report_main(args):
    rows = read_requests(args.requests)
    events = read_events(args.events)
    logs = log_lines(args.errorlog)
    t_start = next((t for t, e, _ in events if e == "start"), rows[0]["t0"] if rows else 0)
    t_fault = next((t for t, e, _ in events if e == "fault"), None)
    t_recover = next((t for t, e, _ in events if e == "recover"), None)
    detect_kind = args.detect
    t_detect = None
    if detect_kind == "node" and t_fault is not None:
        pat = DETECT[args.frontend]
        for t, line in logs:
            if t >= t_fault - 0.5 and pat.search(line) and args.node in line:
                t_detect = t
                break
    n = len(rows)
    errors = [r for r in rows if r["err"]]
    # Slower than 1 s as a user sees it: from when the request was due.
    slow = [r for r in rows if r["t1"] - r["due"] > 1.0]
    karetry = sum(r["karetry"] for r in rows)
    if detect_kind == "node":
        cut = t_detect if t_detect is not None else float("inf")
        before = [r for r in errors if r["t0"] < cut]
        after = [r for r in errors if r["t0"] >= cut]
    else:
        before, after = [], errors
    # Back: first request the node answered after the recovery.
    t_back = None
    if t_recover is not None and args.route:
        for r in rows:
            if r["t0"] >= t_recover and r["by"] == args.route and not r["err"]:
                t_back = r["t1"] - t_recover
                break
    kinds = {}
    for r in errors:
        k = "%s %s" % (r["kind"], r["err"] if r["err"] != "status" else str(r["status"]))
        kinds[k] = kinds.get(k, 0) + 1
    kinds_s = ", ".join("%s ×%d" % (k, v) for k, v in sorted(kinds.items(), key=lambda x: -x[1])) or "–"
    det_s = "n/a" if detect_kind != "node" else (
        "not seen" if t_detect is None else "%.1f s" % (t_detect - t_fault))
    loadavg = args.loadavg or ""
    if detect_kind == "node":
        err_s = "%d / %d" % (len(before), len(after))
    else:
        err_s = "– / %d" % len(after)
    print("| %s | %s | %d | %s | %d | %s | %s | %d | %s | %s |" % (
        args.fault, args.label, n, err_s, len(slow), det_s, fmt_s(t_back), karetry, kinds_s, loadavg))
    summary = dict(fault=args.fault, frontend=args.frontend, requests=n, errors=len(errors),
                   errors_before=len(before), errors_after=len(after), slow=len(slow),
                   detect_s=None if t_detect is None or t_fault is None else round(t_detect - t_fault, 2),
                   back_s=None if t_back is None else round(t_back, 2), ka_retries=karetry,
                   error_kinds=kinds, duration_s=round(max((r["t1"] for r in rows), default=t_start) - t_start, 1))
    with open(args.json, "a") if args.json else sys.stderr as j:
        j.write(json.dumps(summary) + "\n")


# ----------------------------------------------------------- soakreport ----

def soakreport_main(args):
    samples = []
    with open(args.samples) as f:
        head = next(f).rstrip("\n").split("\t")
        for line in f:
            p = line.rstrip("\n").split("\t")
            samples.append({k: float(v) for k, v in zip(head, p)})
    rows = read_requests(args.requests)
    events = read_events(args.events)
    t0 = next((t for t, e, _ in events if e == "start"), samples[0]["t"])
    tend = next((t for t, e, _ in events if e == "end"), samples[-1]["t"])
    stops = [t for t, e, _ in events if e == "stop"]
    errors = [r for r in rows if r["err"]]
    near = [r for r in errors if any(0 <= r["t0"] - s < 30 for s in stops)]
    slow = [r for r in rows if r["t1"] - r["due"] > 1.0]
    kinds = {}
    for r in errors:
        k = "%s %s" % (r["kind"], r["err"] if r["err"] != "status" else str(r["status"]))
        kinds[k] = kinds.get(k, 0) + 1
    print("**Requests**: %d in %.0f min (%.0f/s), errors %d (%d of them within 30 s after a node stop%s), "
          "%d slower than 1 s, %d keep-alive retries; %d node restarts.\n" % (
              len(rows), (tend - t0) / 60, len(rows) / max(1, tend - t0), len(errors), len(near),
              (": " + ", ".join("%s ×%d" % kv for kv in sorted(kinds.items(), key=lambda x: -x[1]))) if kinds else "",
              len(slow), sum(r["karetry"] for r in rows), len(stops)))
    first = [x for x in samples if x["t"] - t0 < 300]
    last = [x for x in samples if tend - x["t"] < 300 and x["t"] <= tend]
    cols = [("rss_sum_kib", "httpd RSS, all processes (MiB)", 1 / 1024.0),
            ("rss_max_child_kib", "httpd RSS, largest child (MiB)", 1 / 1024.0),
            ("fds_sum", "open fds, all processes", 1),
            ("fds_max_child", "open fds, largest child", 1),
            ("backend_conns", "established backend connections", 1),
            ("client_conns", "established client connections", 1),
            ("procs", "httpd processes", 1)]

    def mean(xs):
        return sum(xs) / len(xs) if xs else float("nan")
    print("| figure | first 5 min: mean (max) | last 5 min: mean (max) | growth | whole run max |")
    print("|---|---:|---:|---:|---:|")
    for key, label, scale in cols:
        a = [x[key] * scale for x in first]
        b = [x[key] * scale for x in last]
        allv = [x[key] * scale for x in samples]
        g = (mean(b) - mean(a)) / mean(a) * 100 if a and mean(a) else float("nan")
        fmt = "%.1f" if scale != 1 else "%.0f"
        print("| %s | %s (%s) | %s (%s) | %+.1f %% | %s |" % (
            label, fmt % mean(a), fmt % max(a, default=0), fmt % mean(b), fmt % max(b, default=0), g,
            fmt % max(allv, default=0)))
    print()
    print("Backend connections never above %d of the bound %d (3 members x processes x max=)." % (
        max((x["backend_conns"] for x in samples), default=0), args.bound))
    print()
    print("<details><summary>every sample</summary>\n")
    print("| min | loadavg | procs | RSS sum MiB | RSS max child MiB | fds sum | fds max child | backend conns (OX1/OX2/OX3) | client conns | event |")
    print("|---:|---:|---:|---:|---:|---:|---:|---|---:|---|")
    prev = t0
    for x in samples:
        ev = [e + " " + a for t, e, a in events if prev < t <= x["t"] and e in ("stop", "started")]
        prev = x["t"]
        print("| %.1f | %.2f | %d | %.1f | %.1f | %d | %d | %d (%d/%d/%d) | %d | %s |" % (
            (x["t"] - t0) / 60, x["loadavg"], x["procs"], x["rss_sum_kib"] / 1024, x["rss_max_child_kib"] / 1024,
            x["fds_sum"], x["fds_max_child"], x["backend_conns"], x["OX1"], x["OX2"], x["OX3"],
            x["client_conns"], ", ".join(ev)))
    print("\n</details>\n")
    ids = {}
    try:
        for line in open(args.errorlog, errors="replace"):
            m = re.search(r"\b(OXB\d{5}|AH\d{5})\b", line)
            k = m.group(1) if m else "other"
            ids[k] = ids.get(k, 0) + 1
    except OSError:
        pass
    print("Error log (warn and above, beyond start/stop notices): " +
          (", ".join("%s ×%d" % kv for kv in sorted(ids.items())) or "nothing") + ".")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("relay")
    r.add_argument("--listen", type=int, required=True)
    r.add_argument("--upstream", type=int, required=True)
    r.add_argument("--control", required=True)
    lo = sub.add_parser("load")
    lo.add_argument("--base", required=True)
    lo.add_argument("--logins", help="Tomcat HTTP ports to log in at first")
    lo.add_argument("--cookies", help="a file of JSESSIONID values, one a line")
    lo.add_argument("--duration", type=float, required=True)
    lo.add_argument("--rate", type=float, default=250, help="requests per second")
    lo.add_argument("--workers", type=int, default=48, help="connections (threads)")
    lo.add_argument("--timeout", type=float, default=45)
    lo.add_argument("--seed", type=int, default=1)
    lo.add_argument("--out")
    rp = sub.add_parser("report")
    rp.add_argument("--requests", required=True)
    rp.add_argument("--events", required=True)
    rp.add_argument("--errorlog", required=True)
    rp.add_argument("--frontend", choices=("ox", "proxy"), required=True)
    rp.add_argument("--label", required=True)
    rp.add_argument("--node", default="")
    rp.add_argument("--route", default="")
    rp.add_argument("--fault", required=True)
    rp.add_argument("--detect", choices=("node", "none"), default="node")
    rp.add_argument("--loadavg", default="")
    rp.add_argument("--json")
    sr = sub.add_parser("soakreport")
    sr.add_argument("--samples", required=True)
    sr.add_argument("--requests", required=True)
    sr.add_argument("--events", required=True)
    sr.add_argument("--bound", type=int, required=True)
    sr.add_argument("--errorlog", default="")
    args = ap.parse_args()
    if args.cmd == "relay":
        asyncio.run(relay_main(args))
    elif args.cmd == "load":
        load_main(args)
    elif args.cmd == "soakreport":
        soakreport_main(args)
    else:
        report_main(args)


if __name__ == "__main__":
    main()
