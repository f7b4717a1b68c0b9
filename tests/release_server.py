#!/usr/bin/env python3
"""Fake GitHub releases for install.sh tests: python's http.server serving ROOT on 127.0.0.1, plus
GitHub's one redirect, /releases/latest -> /releases/tag/LATEST_TAG.

usage: tests/release_server.py ROOT PORT_FILE LATEST_TAG [LIFETIME_SECONDS]
Binds a free port, writes it to PORT_FILE, and exits by itself after LIFETIME_SECONDS (default 300).
"""
import functools
import http.server
import os
import sys
import threading

root, port_file, latest = sys.argv[1:4]
lifetime = float(sys.argv[4]) if len(sys.argv) > 4 else 300.0


class Handler(http.server.SimpleHTTPRequestHandler):
    def redirect_latest(self):
        if self.path.rstrip("/") != "/releases/latest":
            return False
        self.send_response(302)
        self.send_header("Location", f"/releases/tag/{latest}")
        self.send_header("Content-Length", "0")
        self.end_headers()
        return True

    def do_GET(self):
        if not self.redirect_latest():
            super().do_GET()

    def do_HEAD(self):
        if not self.redirect_latest():
            super().do_HEAD()

    def log_message(self, fmt, *args):
        sys.stderr.write("release_server: " + (fmt % args) + "\n")


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=root))
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
# Rename after the write so a reader never sees a partial port number.
os.replace(port_file + ".tmp", port_file)
threading.Timer(lifetime, server.shutdown).start()
server.serve_forever()
