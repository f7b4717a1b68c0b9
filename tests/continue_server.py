#!/usr/bin/env python3
"""A stand-in for CircleCI's continuation endpoint over TLS, for scripts/test-static.sh.

usage: continue_server.py CERT KEY PORT_FILE RECORD_FILE LIFETIME_SECONDS

Listens on 127.0.0.1 (an ephemeral port, written to PORT_FILE once listening) with the
given certificate. Each POST /api/v2/pipeline/continue is appended to RECORD_FILE as one
JSON line {"path", "headers", "body"} and answered 200 {"message": "Pipeline continued"};
anything else gets 404. Exits after LIFETIME_SECONDS whatever happens, so a failed test
never leaves it behind.
"""

import http.server
import json
import os
import ssl
import sys
import threading


def main():
    cert, key, port_file, record_file, lifetime = sys.argv[1:6]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8", "replace")
            if self.path != "/api/v2/pipeline/continue":
                self.reply(404, {"message": "Not found"})
                return
            with open(record_file, "a", encoding="utf-8") as out:
                out.write(json.dumps({"path": self.path, "headers": dict(self.headers), "body": body}) + "\n")
            self.reply(200, {"message": "Pipeline continued"})

        def reply(self, status, payload):
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, fmt, *args):
            sys.stderr.write("continue_server: " + fmt % args + "\n")

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Timer(float(lifetime), server.shutdown).start()
    with open(port_file + ".tmp", "w", encoding="utf-8") as out:
        out.write(str(server.server_address[1]))
    os.replace(port_file + ".tmp", port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
