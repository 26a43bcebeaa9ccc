"""One-host topologies for the daemons' tests (stdlib only)."""

import re


def one_host(servers, lbd=None, webd=""):
    """The YAML of a topology on one host, h1 at 127.0.0.1.

    servers: webd's instances, each (name, listen) or (name, listen,
    status); webd: more lines of webd's section; lbd: the lines of lbd's
    section, "on: [h1]" first unless they have an "on:" of their own
    (None: no lbd). Lines are indented two spaces and end with a newline.
    """
    text = ("site: test.example\nhosts:\n  h1: { address: 127.0.0.1 }\n"
            "webd:\n  on:\n")
    for s in servers:
        text += "    - { host: h1, name: %s, listen: %s%s }\n" % (
            s[0], s[1], ", status: %s" % s[2] if len(s) > 2 else "")
    text += webd
    if lbd is not None:
        if not re.search(r"^  on:", lbd, re.M):
            lbd = "  on: [h1]\n" + lbd
        text += "lbd:\n" + lbd
    return text
