"""kubesim served out of process on 127.0.0.1, as the P3 figures use it.

``python -m tests.kubesim serve`` loads the state, writes an admin
kubeconfig, appends one JSON line per request to an audit file, and prints
``ready <url>`` when it serves.
"""

from __future__ import annotations

import base64
import json
import signal
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional

import yaml

from bench.context import REPO, Context
from bench.measuring import CommandFailed

# kubesim parses the full state (about 45 MB of YAML) before it serves, which takes minutes.
READY_TIMEOUT = 900.0
STOP_TIMEOUT = 30.0
PAGE_TIMEOUT = 300.0
# How long the audit file must stay the same size before a run's entries
# count as complete, and the longest wait for that.
AUDIT_SETTLE = 1.0
AUDIT_SETTLE_MAX = 30.0


class Server:
    """kubesim serving the state out of process on 127.0.0.1, with an audit file."""

    def __init__(self, context: Context, state: Path, folder: Path) -> None:
        self.context = context
        self.state = state
        self.kubeconfig = folder / "kubeconfig"
        self.audit = folder / "audit.jsonl"
        self.stdout = folder / "kubesim.out"
        self.stderr = folder / "kubesim.err"
        self.process: Optional[subprocess.Popen] = None  # type: ignore[type-arg]
        self.load_seconds = 0.0

    def start(self) -> None:
        argv = [self.context.python, "-m", "tests.kubesim", "serve", "--state", str(self.state)]
        argv += ["--kubeconfig", str(self.kubeconfig), "--audit", str(self.audit), "--tls"]
        started = time.perf_counter()
        with open(self.stdout, "wb") as stdout, open(self.stderr, "wb") as stderr:
            self.process = subprocess.Popen(
                argv, cwd=REPO, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr
            )
        deadline = started + READY_TIMEOUT
        while time.perf_counter() < deadline:
            if self.stdout.read_text(encoding="utf-8", errors="replace").startswith("ready "):
                self.load_seconds = time.perf_counter() - started
                return
            if self.process.poll() is not None:
                tail = self.stderr.read_text(encoding="utf-8", errors="replace")[-2000:]
                raise CommandFailed(f"kubesim exited with {self.process.returncode}: {tail}")
            time.sleep(0.2)
        raise CommandFailed(f"kubesim was not ready within {READY_TIMEOUT:.0f} s")

    def audit_size(self) -> int:
        return self.audit.stat().st_size if self.audit.exists() else 0

    def audit_since(self, offset: int) -> List[Dict[str, object]]:
        """Return the audit entries written after offset, once the file has settled.

        kubesim writes an entry after it has sent the response, so a client
        can exit before its last entry is in the file. Waiting until the
        file stops growing for AUDIT_SETTLE seconds lets those entries land.
        """
        self._wait_for_audit()
        if not self.audit.exists():
            return []
        with open(self.audit, "rb") as audit:
            audit.seek(offset)
            return [json.loads(line) for line in audit.read().splitlines() if line.strip()]

    def _wait_for_audit(self) -> None:
        deadline = time.monotonic() + AUDIT_SETTLE_MAX
        size = self.audit_size()
        while time.monotonic() < deadline:
            time.sleep(AUDIT_SETTLE)
            grown = self.audit_size()
            if grown == size:
                return
            size = grown

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def time_request(self, path: str) -> float:
        """Return the seconds one GET of path takes, as the admin user, with the body read."""
        config = yaml.safe_load(self.kubeconfig.read_text(encoding="utf-8"))
        cluster = config["clusters"][0]["cluster"]
        user = config["users"][0]["user"]
        context = ssl.create_default_context(
            cadata=base64.b64decode(cluster["certificate-authority-data"]).decode("ascii")
        )
        request = urllib.request.Request(
            cluster["server"] + path, headers={"Authorization": f"Bearer {user['token']}"}
        )
        started = time.perf_counter()
        with urllib.request.urlopen(request, context=context, timeout=PAGE_TIMEOUT) as response:
            response.read()
        return time.perf_counter() - started
