"""One-host topologies for the daemons' tests (stdlib only)."""

import os
import re

# The site and its one host, as a str.format template (braces doubled).
_HEAD = "site: test.example\nhosts:\n  h1: {{ address: 127.0.0.1 }}\n"


def _first_keys(listen, workers):
    return "  listen: %s\n  status: {status}\n  workers: %s\n" % (listen,
                                                                  workers)


def one_daemon(daemon, listen="{port}", workers=1):
    """The start of a str.format template for a topology on one host, h1 at
    127.0.0.1, with one section, daemon's ("webd", "appd"): on: [h1], then
    listen (as written; "{port}" by default), status: {status} and
    workers (a number, or a "{field}" of the caller's). The caller's keys
    follow, indented two spaces, braces doubled as str.format wants."""
    return _HEAD + "%s:\n  on: [h1]\n" % daemon + _first_keys(listen, workers)


def lbd_keys(mode="http", listen="{port}", workers=1):
    """The first lines of lbd's section for one_host(), as a str.format
    template: listen (as written), status: {status}, workers, mode (left
    out when None) and servers: webd (every webd instance). The caller's
    keys follow, indented two spaces, braces doubled."""
    text = _first_keys(listen, workers)
    if mode is not None:
        text += "  mode: %s\n" % mode
    return text + "  servers: webd\n"


def one_host(servers, lbd=None, webd=""):
    """The YAML of a topology on one host, h1 at 127.0.0.1.

    servers: webd's instances, each (name, listen) or (name, listen,
    status); webd: more lines of webd's section; lbd: the lines of lbd's
    section, "on: [h1]" first unless they have an "on:" of their own
    (None: no lbd). Lines are indented two spaces and end with a newline.
    """
    text = _HEAD.format() + "webd:\n  on:\n"
    for s in servers:
        text += "    - { host: h1, name: %s, listen: %s%s }\n" % (
            s[0], s[1], ", status: %s" % s[2] if len(s) > 2 else "")
    text += webd
    if lbd is not None:
        if not re.search(r"^  on:", lbd, re.M):
            lbd = "  on: [h1]\n" + lbd
        text += "lbd:\n" + lbd
    return text


def write_conf(folder, text):
    """Writes text to folder/triad.yaml; returns that path."""
    path = os.path.join(folder, "triad.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path
