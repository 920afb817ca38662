#!/usr/bin/python3
"""Load for the webhook benchmark, either way between a chat system (webhook, generic dialect) and XMPP.

  in:  C threads post N signed messages from carol@globex.test to alice@acme.test to POST /hooks/ADAPTER
       (one keep-alive connection each); alice@acme.test (slixmpp, through Prosody) counts what arrives.
       Reports the accept latency (request sent -> 202, p50 / p99) beside the end-to-end rate.
  http-alone: the same posts as `in`, to the load tool's own sink instead of the gateway: the ceiling of the
       load generator and the sink on this machine (no gateway, no XMPP).
  out: alice@acme.test sends N chat messages to carol's contact JID on acme's component; an HTTP sink on
       127.0.0.1:SINK_PORT (the adapter's deliver_url) counts the posts that arrive and answers 200.

Prints one JSON line: the count, the seconds from the first send to the last arrival, and for each --pid
the CPU time (user + system, from /proc/PID/stat) that process spent during the run, per message received,
and its resident memory before and after the run and at its peak so far (from /proc/PID/status).

usage: webhook_load.py {in,out} --n N --xmpp-port PORT --http-port PORT --sink-port PORT --secret-file F
       [--concurrency C] [--rate PER_SECOND] [--timeout SECONDS] [--pid NAME=PID ...]
(N is capped at 100000, C at 64; the run is bounded by --timeout; every target is 127.0.0.1)
"""
import argparse, asyncio, concurrent.futures, hashlib, hmac, http.client, http.server, json, statistics
import sys, threading, time
from loadlib import Client, Watch

p = argparse.ArgumentParser()
p.add_argument("direction", choices=["in", "out", "http-alone"])
p.add_argument("--n", type=int, default=2000)
p.add_argument("--xmpp-port", type=int, required=True)
p.add_argument("--http-port", type=int, required=True)
p.add_argument("--sink-port", type=int, required=True)
p.add_argument("--secret-file", required=True)
p.add_argument("--adapter", default="globex-chat")
p.add_argument("--concurrency", type=int, default=16)
p.add_argument("--rate", type=float, default=0, help="offer this many messages a second (default: as fast as possible)")
p.add_argument("--timeout", type=float, default=300)
p.add_argument("--tag", default="load", help="prefix of every message's text, so runs do not count each other's")
p.add_argument("--pid", action="append", default=[], help="NAME=PID: report this process's CPU per message")
args = p.parse_args()
n = min(args.n, 100000)
concurrency = max(1, min(args.concurrency, 64))
watched = dict(item.split("=", 1) for item in args.pid)
secret = open(args.secret_file, "rb").read().rstrip(b"\n")
prefix = "%s " % args.tag

class Counter:
    """Arrivals, from any thread; `done` is set once N arrived."""
    def __init__(self):
        self.lock = threading.Lock()
        self.count = 0
        self.last = 0.0
        self.done = threading.Event()

    def arrived(self):
        with self.lock:
            self.count += 1
            self.last = time.monotonic()
            if self.count >= n: self.done.set()

counter = Counter()

class Sink(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            if json.loads(body).get("text", "").startswith(prefix): counter.arrived()
        except ValueError:
            pass
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *_): pass

def pace(i, start):
    """With --rate, the time message i is due: start + i / rate (0 when sending as fast as possible)."""
    return max(0.0, start + i / args.rate - time.monotonic()) if args.rate > 0 else 0.0

def post_all(worker, start):
    """Posts messages worker, worker + C, ... on one keep-alive connection; returns each accept latency."""
    alone = args.direction == "http-alone"
    connection = http.client.HTTPConnection("127.0.0.1", args.sink_port if alone else args.http_port, timeout=60)
    latencies = []
    for i in range(worker, n, concurrency):
        body = json.dumps({"event_id": "%s-%d" % (args.tag, i), "from": "carol@globex.test", "to": ["alice@acme.test"],
                           "text": "%s%d" % (prefix, i)}).encode()
        timestamp = str(int(time.time()))
        signature = hmac.new(secret, b"v1:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json", "X-Bridged-Timestamp": timestamp, "X-Bridged-Signature": "v1=" + signature}
        wait = pace(i, start)
        if wait > 0: time.sleep(wait)
        sent = time.monotonic()
        connection.request("POST", "/hooks/" + args.adapter, body, headers)
        response = connection.getresponse()
        response.read()
        if response.status != (200 if alone else 202): raise RuntimeError("post %d answered %d" % (i, response.status))
        latencies.append(time.monotonic() - sent)
    connection.close()
    return latencies

async def main():
    sink = http.server.ThreadingHTTPServer(("127.0.0.1", args.sink_port), Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    alice = Client("alice@acme.test", "alicepw")
    def on_message(msg):
        if msg["type"] == "chat" and msg["body"].startswith(prefix): counter.arrived()
    alice.add_event_handler("message", on_message)
    alice.connect_plain(args.xmpp_port)
    await asyncio.wait_for(alice.ready, 10)
    loop = asyncio.get_running_loop()
    watch = Watch(watched)
    watch.start()
    start = time.monotonic()
    latencies = []
    if args.direction in ("in", "http-alone"):
        with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
            for part in await asyncio.gather(*(loop.run_in_executor(pool, post_all, w, start) for w in range(concurrency))):
                latencies += part
    else:
        for i in range(n):
            wait = pace(i, start)
            if wait > 0: await asyncio.sleep(wait)
            alice.send_message(mto="carol\\40globex.test@partners.acme.test", mbody="%s%d" % (prefix, i), mtype="chat")
            if i % 100 == 99: await asyncio.sleep(0)   # let the stream drain
    accepted = time.monotonic() - start
    await loop.run_in_executor(None, counter.done.wait, args.timeout)
    received = counter.count
    seconds = (counter.last or time.monotonic()) - start
    report = {"direction": args.direction, "offered_per_second": args.rate or None, "sent": n, "received": received, "seconds": round(seconds, 3),
              "per_second": round(received / seconds, 1) if seconds > 0 else None}
    if latencies:
        latencies.sort()
        report["accepted_per_second"] = round(len(latencies) / accepted, 1)
        report["accept_ms_p50"] = round(statistics.median(latencies) * 1000, 1)
        report["accept_ms_p99"] = round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1)
    watch.report(report, received, seconds)
    print(json.dumps(report), flush=True)
    alice.disconnect()
    sink.shutdown()
    return 0 if received == n else 1

sys.exit(asyncio.run(main()))
