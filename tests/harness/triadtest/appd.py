"""appd's tests: its per-app metrics, and the checks its two paths share
(an app served through the master, an app on its own listen), made with
the test module (appd/apps/testmod) as app "t" with request_timeout 1s."""

import re

from . import http


def metric(status_port, name, app):
    """The value of triad_appd_<name>{app="<app>"} on appd's status port,
    as an int; None when absent."""
    text = http.get("http://127.0.0.1:%d/metrics" % status_port).text()
    m = re.search(r'^triad_appd_%s\{app="%s"\} (\d+)' % (name, app), text,
                  re.M)
    return int(m.group(1)) if m else None


def check_timeout_504(tc, daemon, get):
    """tc (a TestCase) asserts that /t/sleep?ms=4000, asked through
    get(path, **kw), gets 504, and that daemon (appd) logs the request
    that ran past request_timeout and the end of its worker."""
    mark = daemon.log_mark()
    r = get("/t/sleep?ms=4000", timeout=10)
    tc.assertEqual(r.status, 504)
    daemon.wait_log(r"app t: GET /t/sleep\?ms=4000 on worker (\d+) "
                    r"ran past request_timeout \(1000 ms\)", since=mark)
    daemon.wait_log(r"app t: worker \d+ ended after its request timeout",
                    since=mark)
