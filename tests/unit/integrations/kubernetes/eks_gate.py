"""A stand-in for an EKS API server's front door: it authenticates like aws-iam-authenticator.

Each request must carry ``Authorization: Bearer k8s-aws-v1.<base64url, unpadded>`` whose
decoded URL is a presigned STS ``GetCallerIdentity`` on the regional endpoint, valid for 60
seconds, with ``x-k8s-aws-id`` among the signed headers, for this cluster. A request that passes
is forwarded to the sandbox API server; one that does not gets the 401 Status EKS answers.
"""

from __future__ import annotations

import base64
import json
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PREFIX = "k8s-aws-v1."


def token_problem(header: str, cluster: str, region: str) -> str | None:
    """Why ``header`` is not a token for ``cluster``, or None when it is one."""
    if not header.startswith("Bearer " + PREFIX):
        return "no k8s-aws-v1 bearer token"
    encoded = header[len("Bearer " + PREFIX) :]
    if "=" in encoded or "+" in encoded or "/" in encoded:
        return "token is not unpadded base64url"
    url = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    checks = {
        "scheme": parts.scheme == "https",
        "host": parts.netloc == f"sts.{region}.amazonaws.com",
        "action": query.get("Action") == "GetCallerIdentity" and query.get("Version") == "2011-06-15",
        "algorithm": query.get("X-Amz-Algorithm") == "AWS4-HMAC-SHA256",
        "expires": query.get("X-Amz-Expires") == "60",
        "signed headers": query.get("X-Amz-SignedHeaders") == "host;x-k8s-aws-id",
        "credential scope": query.get("X-Amz-Credential", "").endswith(f"/{region}/sts/aws4_request"),
        "signature": len(query.get("X-Amz-Signature", "")) == 64,
    }
    failed = [name for name, ok in checks.items() if not ok]
    return f"token fails: {', '.join(failed)}" if failed else None


class EksGate:
    def __init__(self, upstream: str, cluster: str, region: str) -> None:
        gate = self
        self.seen: list[str] = []
        self.refused: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def _handle(self) -> None:
                header = self.headers.get("Authorization", "")
                problem = token_problem(header, cluster, region)
                if problem is not None:
                    gate.refused.append(problem)
                    body = json.dumps(
                        {
                            "kind": "Status",
                            "apiVersion": "v1",
                            "status": "Failure",
                            "reason": "Unauthorized",
                            "code": 401,
                        }
                    ).encode()
                    self.send_response(401)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                gate.seen.append(header)
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "authorization")}
                request = urllib.request.Request(upstream + self.path, data=data, headers=headers, method=self.command)
                try:
                    with urllib.request.urlopen(request, timeout=10) as response:
                        status, payload, ctype = response.status, response.read(), response.headers.get("Content-Type")
                except urllib.error.HTTPError as error:
                    status, payload, ctype = error.code, error.read(), error.headers.get("Content-Type")
                self.send_response(status)
                self.send_header("Content-Type", ctype or "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
