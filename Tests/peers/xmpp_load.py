#!/usr/bin/python3
"""Load for the XMPP benchmark: alice@acme.test sends N chat messages to bob through the gateway (to bob's
contact JID on acme's component) as fast as her stream takes them; bob@globex.test counts what arrives.
Prints one JSON line with the count and the seconds from the first send to the last arrival, and for each
--pid the CPU time (user + system, from /proc/PID/stat) that process spent during the run, per message
received, and its resident memory before and after the run and at its peak (from /proc/PID/status).

usage: xmpp_load.py PORT N TO_BOB_JID [--timeout SECONDS] [--pid NAME=PID ...]
(N is capped at 100000; the run is bounded by --timeout)
"""
import argparse, asyncio, json, sys, time
from loadlib import Client, Watch

p = argparse.ArgumentParser()
p.add_argument("port", type=int); p.add_argument("n", type=int); p.add_argument("to")
p.add_argument("--timeout", type=float, default=300)
p.add_argument("--pid", action="append", default=[], help="NAME=PID: report this process's CPU per message")
args = p.parse_args()
n = min(args.n, 100000)
watched = dict(item.split("=", 1) for item in args.pid)

async def main():
    alice = Client("alice@acme.test", "alicepw")
    bob = Client("bob@globex.test", "bobpw")
    done = asyncio.get_event_loop().create_future()
    received = 0
    last = 0.0
    def on_message(msg):
        nonlocal received, last
        if msg["type"] == "chat" and msg["body"].startswith("load "):
            received += 1
            last = time.monotonic()
            if received >= n and not done.done(): done.set_result(True)
    bob.add_event_handler("message", on_message)
    for client in (alice, bob):
        client.connect_plain(args.port)
    await asyncio.wait_for(asyncio.gather(alice.ready, bob.ready), 10)
    watch = Watch(watched)
    watch.start()
    start = time.monotonic()
    for i in range(n):
        alice.send_message(mto=args.to, mbody="load %d" % i, mtype="chat")
        if i % 100 == 99: await asyncio.sleep(0)   # let the stream drain
    try:
        await asyncio.wait_for(done, args.timeout)
    except asyncio.TimeoutError:
        pass
    seconds = (last or time.monotonic()) - start
    report = {"sent": n, "received": received, "seconds": round(seconds, 3),
              "per_second": round(received / seconds, 1) if seconds > 0 else None}
    watch.report(report, received, seconds)
    print(json.dumps(report), flush=True)
    alice.disconnect(); bob.disconnect()
    return 0 if received == n else 1

sys.exit(asyncio.run(main()))
