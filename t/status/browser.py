#!/usr/bin/python3
# Opens the status page in a real headless browser (Debian's chromium) and
# drives it over the Chrome DevTools protocol on a pipe (--remote-debugging-
# pipe: no port, no websocket library, nothing downloaded):
#
#   browser.py URL BALANCER ROUTE SHOT_BEFORE SHOT_AFTER PROFILE_DIR
#
# loads URL, saves a screenshot, reads the member table from the DOM, then
# clicks the Drain button of the member of BALANCER with route ROUTE (a
# real mouse click: the browser submits the page's own form, nonce and
# all), waits for the answer page, saves a second screenshot and reads it.
# Prints one JSON object: {"before": PAGE, "after": PAGE, "errors": [...]}
# where PAGE is what read_page() returns and errors are the console's and
# the page's error messages (a CSP violation would be one).
import base64
import fcntl
import json
import os
import subprocess
import sys
import time

CHROMIUM = os.environ.get("OXB_CHROMIUM", "/usr/bin/chromium")
TIMEOUT = float(os.environ.get("OXB_BROWSER_TIMEOUT", "60"))

# What the test reads from a page: the stable hooks of docs/status.md.
READ_PAGE = r"""
(() => {
  const cell = (tr, cls) => {
    const td = tr.querySelector('td.' + cls);
    return td ? {text: td.innerText.trim(), value: td.dataset.value ?? null,
                 background: getComputedStyle(td).backgroundColor} : null;
  };
  const rows = [...document.querySelectorAll('tr.member')].map(tr => ({
    balancer: tr.dataset.balancer, member: tr.dataset.member, route: tr.dataset.route,
    admin: tr.dataset.admin, health: tr.dataset.health,
    cells: Object.fromEntries(['url', 'route', 'admin', 'health', 'probe', 'loadfactor', 'in-flight', 'requests',
        'failures', 'new-sessions', 'sticky', 'failovers', 'bytes-sent', 'bytes-received', 'last-session',
        'sessions-recent'].map(c => [c, cell(tr, c)])),
    forms: [...tr.querySelectorAll('form.action')].map(f => ({
        action: f.dataset.action, method: f.method, target: f.getAttribute('action'),
        disabled: f.querySelector('button').disabled})),
  }));
  const notice = document.getElementById('notice');
  return {
    url: location.href, title: document.title,
    refresh: !!document.querySelector('meta[http-equiv="refresh"]'),
    balancers: [...document.querySelectorAll('section.balancer')].map(s => s.dataset.balancer),
    rows,
    notice: notice ? {cls: notice.className, text: notice.innerText} : null,
    back: !!document.getElementById('back'),
    scripts: document.scripts.length,
  };
})()
"""


class DevTools:
    """One Chromium, spoken to over fds 3 (its input) and 4 (its output)."""

    def __init__(self, profile):
        to_chrome_r, to_chrome_w = os.pipe()
        from_chrome_r, from_chrome_w = os.pipe()
        # The child's ends, out of the way of 3 and 4 until it moves them there.
        child_in, child_out = _high(to_chrome_r), _high(from_chrome_w)

        def move():
            os.dup2(child_in, 3)
            os.dup2(child_out, 4)

        args = [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check",
            "--disable-dev-shm-usage", "--disable-breakpad", "--disable-extensions", "--hide-scrollbars",
            "--window-size=1600,1000", "--remote-debugging-pipe", "--user-data-dir=" + profile, "about:blank",
        ]
        # preexec_fn runs before the child closes what pass_fds does not keep.
        self.proc = subprocess.Popen(args, preexec_fn=move, pass_fds=(3, 4), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(child_in)
        os.close(child_out)
        self.w = to_chrome_w
        self.r = from_chrome_r
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.session = None

    def send(self, method, params=None, session=True):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        want = self.next_id
        while True:
            m = self._read()
            if m.get("id") == want:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, name):
        deadline = time.time() + TIMEOUT
        while time.time() < deadline:
            for i, e in enumerate(self.events):
                if e.get("method") == name:
                    del self.events[i]
                    return e
            self.events.append(self._read())
        raise RuntimeError("no %s within %s s" % (name, TIMEOUT))

    def _read(self):
        while b"\0" not in self.buf:
            chunk = os.read(self.r, 65536)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def evaluate(self, expression):
        r = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in r:
            raise RuntimeError("evaluate: %s" % r["exceptionDetails"])
        return r["result"].get("value")

    def screenshot(self, path):
        shot = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        with open(path, "wb") as f:
            f.write(base64.b64decode(shot["data"]))

    def close(self):
        try:
            self.send("Browser.close", session=False)
        except Exception:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _high(fd):
    """A copy of fd numbered 10 or higher, the original closed."""
    new = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return new


def errors_of(events):
    out = []
    for e in events:
        p = e.get("params", {})
        entry = p.get("entry", {})
        if e.get("method") == "Log.entryAdded" and entry.get("level") == "error":
            # The browser asks for /favicon.ico by itself; the page links none.
            if entry.get("url", "").endswith("/favicon.ico"):
                continue
            out.append("%s (%s)" % (entry.get("text", ""), entry.get("url", "")))
        elif e.get("method") == "Runtime.exceptionThrown":
            out.append(str(p.get("exceptionDetails", {}).get("text", "")))
        elif e.get("method") == "Runtime.consoleAPICalled" and p.get("type") == "error":
            out.append(" ".join(str(a.get("value", "")) for a in p.get("args", [])))
    return out


def main():
    url, balancer, route, shot_before, shot_after, profile = sys.argv[1:7]
    dt = DevTools(profile)
    try:
        target = dt.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        dt.session = dt.send("Target.attachToTarget", {"targetId": target, "flatten": True}, session=False)["sessionId"]
        for domain in ("Page.enable", "Runtime.enable", "Log.enable"):
            dt.send(domain)
        dt.send("Page.navigate", {"url": url})
        dt.wait_event("Page.loadEventFired")
        dt.screenshot(shot_before)
        before = dt.evaluate(READ_PAGE)

        # The Drain button of that member, clicked where it is on the page.
        where = dt.evaluate(r"""
          (() => {
            const tr = [...document.querySelectorAll('tr.member')].find(
                t => t.dataset.balancer === %s && t.dataset.route === %s);
            const b = tr && tr.querySelector('form.action[data-action="drain"] button');
            if (!b) return null;
            b.scrollIntoView({block: 'center'});
            const r = b.getBoundingClientRect();
            return {x: r.left + r.width / 2, y: r.top + r.height / 2, disabled: b.disabled};
          })()""" % (json.dumps(balancer), json.dumps(route)))
        if not where:
            raise RuntimeError("no drain button for %s %s" % (balancer, route))
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            dt.send("Input.dispatchMouseEvent", {"type": kind, "x": where["x"], "y": where["y"],
                                                 "button": "left", "clickCount": 1})
        dt.wait_event("Page.loadEventFired")
        dt.screenshot(shot_after)
        after = dt.evaluate(READ_PAGE)
        print(json.dumps({"before": before, "after": after, "clicked": where, "errors": errors_of(dt.events)}))
        return 0
    finally:
        dt.close()


if __name__ == "__main__":
    sys.exit(main())
