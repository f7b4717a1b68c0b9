#!/usr/bin/env python3
"""Test-only smart-HTTP git server on 127.0.0.1 that demands a token.

usage: git_http_server.py PROJECT_ROOT TOKEN MODE LOG
  MODE  "rw": the token may push; "ro": pushes get 403 (a fork's token).
  LOG   one line per request: "<status> <method> <path>".
Prints the chosen port on stdout, then serves until killed. Every request
needs HTTP Basic auth with password TOKEN (any user name); otherwise 401.
"""
import base64
import http.server
import os
import subprocess
import sys

ROOT, TOKEN, MODE, LOG = sys.argv[1:5]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def record(self, status):
        with open(LOG, "a") as log:
            log.write(f"{status} {self.command} {self.path}\n")

    def authorised(self):
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user_pass = base64.b64decode(header[6:]).decode()
        except ValueError:
            return False
        return user_pass.partition(":")[2] == TOKEN

    def reply(self, status, body=b"", headers=()):
        self.record(status)
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b""
        while True:
            size = int(self.rfile.readline().strip().split(b";")[0], 16)
            if size == 0:
                self.rfile.readline()
                return body
            body += self.rfile.read(size)
            self.rfile.readline()

    def handle_git(self):
        body = self.read_body()
        if not self.authorised():
            self.reply(401, b"token required\n", [("WWW-Authenticate", 'Basic realm="git"')])
            return
        path, _, query = self.path.partition("?")
        if MODE == "ro" and "git-receive-pack" in (path + query):
            self.reply(403, b"Permission to org/repo.git denied to fork.\n")
            return
        env = dict(os.environ, GIT_PROJECT_ROOT=ROOT, GIT_HTTP_EXPORT_ALL="1",
                   REMOTE_USER="tester", REMOTE_ADDR=self.client_address[0],
                   REQUEST_METHOD=self.command, PATH_INFO=path, QUERY_STRING=query,
                   CONTENT_TYPE=self.headers.get("Content-Type", ""),
                   CONTENT_LENGTH=str(len(body)),
                   GIT_PROTOCOL=self.headers.get("Git-Protocol", ""))
        out = subprocess.run(["git", "http-backend"], input=body, env=env,
                             capture_output=True, timeout=60).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        status, headers = 200, []
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers.append((name, value.strip()))
        self.reply(status, payload, headers)

    do_GET = handle_git
    do_POST = handle_git


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
