#!/usr/bin/env python3
"""
Submit a task to MOE-Agents with a per-org NATS credential (`moe creds issue --org O --out F`),
from Python, speaking the NATS wire protocol directly: only the standard library and
`cryptography` (for the ed25519 signature of the server's nonce). No NATS client library needed;
with nats-py the same is `nats.connect(url, user_credentials=F, inbox_prefix="_INBOX_<org>")`.

  1. CONNECT with the creds file's JWT and the nonce signed by its nkey seed;
  2. subscribe to the org's inbox (_INBOX_<org>.…: the only inbox the credential may use) and to
     the task's journal subject moe.evt.<org>.<ws>.agent.<task> (live);
  3. publish the CommandEnvelope to moe.cmd.<org>.<ws>.agent.<task> with Nats-Msg-Id and a reply
     subject in the org's inbox: JetStream answers there with its PubAck;
  4. print the PubAck, then the task's outcome (task.completed / task.failed) from the journal.
With --other-org X it also tries to publish to X's subjects and prints the server's refusal.

Usage: NATS_URL=nats://127.0.0.1:4222 python3 examples/nats_creds_client.py \
         --creds acme.creds --org acme --ws main [--task t-1] [--other-org beta] "your prompt"
Each result is one JSON line on stdout; exit 0 when the task completed.
"""
import argparse
import base64
import json
import os
import secrets
import socket
import sys
import time
from urllib.parse import urlparse

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def read_creds(path):
    lines = open(path, encoding="utf-8").read().splitlines()
    after = lambda marker: next(lines[i + 1].strip() for i, l in enumerate(lines) if marker in l)
    return after("BEGIN NATS USER JWT"), after("BEGIN USER NKEY SEED")


def seed_key(seed):
    raw = base64.b32decode(seed + "=" * (-len(seed) % 8))  # 2 prefix bytes, 32-byte seed, crc16
    return Ed25519PrivateKey.from_private_bytes(raw[2:34])


class Conn:
    def __init__(self, url, creds):
        u = urlparse(url)
        self.sock = socket.create_connection((u.hostname or "127.0.0.1", u.port or 4222), timeout=30)
        self.buf = b""
        info = json.loads(self.line().split(b" ", 1)[1])
        jwt, seed = read_creds(creds)
        sig = base64.urlsafe_b64encode(seed_key(seed).sign(info["nonce"].encode())).rstrip(b"=").decode()
        connect = {"verbose": False, "pedantic": False, "jwt": jwt, "sig": sig, "protocol": 1,
                   "headers": True, "lang": "python-raw", "version": "0.1"}
        self.send(f"CONNECT {json.dumps(connect)}\r\nPING\r\n".encode())
        while True:
            line = self.line()
            if line.startswith(b"-ERR"):
                raise SystemExit(json.dumps({"error": line.decode()}))
            if line == b"PONG":
                break

    def send(self, data):
        self.sock.sendall(data)

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise SystemExit(json.dumps({"error": "connection closed"}))
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def take(self, n):
        while len(self.buf) < n + 2:
            self.buf += self.sock.recv(65536)
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def next(self):
        """The next MSG/HMSG as (subject, payload), or ("-ERR", text) for a server error."""
        while True:
            line = self.line()
            if line == b"PING":
                self.send(b"PONG\r\n")
            elif line.startswith(b"-ERR"):
                return "-ERR", line[5:].decode().strip("'")
            elif line.startswith(b"MSG "):
                parts = line.split()
                return parts[1].decode(), self.take(int(parts[-1]))
            elif line.startswith(b"HMSG "):
                parts = line.split()
                data = self.take(int(parts[-1]))
                return parts[1].decode(), data[int(parts[-2]):]

    def hpub(self, subject, reply, headers, payload):
        hdr = "NATS/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        body = hdr.encode() + payload
        self.send(f"HPUB {subject} {reply} {len(hdr)} {len(body)}\r\n".encode() + body + b"\r\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--creds", required=True)
    ap.add_argument("--org", required=True)
    ap.add_argument("--ws", required=True)
    ap.add_argument("--task", default=f"t-{secrets.token_hex(4)}")
    ap.add_argument("--other-org")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("prompt")
    a = ap.parse_args()
    c = Conn(os.environ.get("NATS_URL", "nats://127.0.0.1:4222"), a.creds)
    inbox = f"_INBOX_{a.org}.{secrets.token_hex(8)}"
    events = f"moe.evt.{a.org}.{a.ws}.agent.{a.task}"
    c.send(f"SUB {inbox} 1\r\nSUB {events} 2\r\nPING\r\n".encode())
    cmd_id = f"c-{secrets.token_hex(6)}"
    envelope = {"id": cmd_id, "type": "task.submit", "data": {"prompt": a.prompt}}
    msg_id = f"{a.org}.{a.ws}.agent.{a.task}/{cmd_id}"
    c.hpub(f"moe.cmd.{a.org}.{a.ws}.agent.{a.task}", inbox, {"Nats-Msg-Id": msg_id}, json.dumps(envelope).encode())
    if a.other_org:
        c.hpub(f"moe.cmd.{a.other_org}.{a.ws}.agent.{a.task}", inbox, {"Nats-Msg-Id": msg_id + "x"}, b"{}")
    deadline = time.time() + a.timeout
    outcome = None
    while time.time() < deadline and outcome is None:
        subject, data = c.next()
        if subject == "-ERR":
            print(json.dumps({"denied": data}), flush=True)
        elif subject == inbox:
            print(json.dumps({"puback": json.loads(data)}), flush=True)
        elif subject == events:
            entry = json.loads(data)
            for turn in entry.get("turns", [entry]):
                for ev in turn.get("events", []):
                    if ev.get("type") in ("task.completed", "task.failed"):
                        outcome = ev
    print(json.dumps({"outcome": outcome}), flush=True)
    return 0 if outcome and outcome.get("type") == "task.completed" else 1


if __name__ == "__main__":
    sys.exit(main())
