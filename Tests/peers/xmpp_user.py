#!/usr/bin/python3
"""A real XMPP client for bridged's integration tests (slixmpp, Debian's python3-slixmpp).

usage: xmpp_user.py JID PASSWORD PORT [--send TO BODY] [--until-body TEXT | --until-error CONDITION] [--wait SECONDS]
Logs in on 127.0.0.1:PORT without TLS, sends presence, optionally sends one chat message, and prints every
message it receives as one JSON line: {"from", "type", "body", "error"}. With --until-body it exits 0 as
soon as a message with that body arrives and 1 if none did within --wait seconds; without it, it exits 0
after the send, once the server has the message (or after --wait seconds when only listening).
"""
import argparse, asyncio, json, sys
import slixmpp

p = argparse.ArgumentParser()
p.add_argument("jid"); p.add_argument("password"); p.add_argument("port", type=int)
p.add_argument("--send", nargs=2, metavar=("TO", "BODY"))
p.add_argument("--until-body"); p.add_argument("--until-error", metavar="CONDITION")
p.add_argument("--wait", type=float, default=10)
args = p.parse_args()

class User(slixmpp.ClientXMPP):
    def __init__(self):
        super().__init__(args.jid, args.password)
        self.done = asyncio.get_event_loop().create_future()
        self.ready = asyncio.get_event_loop().create_future()
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("message", self.on_message)
        self.add_event_handler("message_error", self.on_message)   # slixmpp raises type='error' separately
        self.add_event_handler("failed_auth", lambda *_: self.ready.done() or self.ready.set_exception(RuntimeError("auth failed")))

    async def start(self, _):
        self.send_presence()
        await self.get_roster()
        if args.send:
            self.send_message(mto=args.send[0], mbody=args.send[1], mtype="chat")
        self.ready.set_result(True)

    def on_message(self, msg):
        error = msg["error"]["condition"] if msg["type"] == "error" else None
        text = msg["error"]["text"] if msg["type"] == "error" else None
        print(json.dumps({"from": str(msg["from"]), "type": msg["type"], "body": msg["body"], "error": error, "text": text}), flush=True)
        matched = (args.until_body is not None and msg["body"] == args.until_body) or \
                  (args.until_error is not None and error == args.until_error)
        if matched and not self.done.done():
            self.done.set_result(True)

async def main():
    user = User()
    user.connect(address=("127.0.0.1", args.port), force_starttls=False, disable_starttls=True)
    try:
        await asyncio.wait_for(user.ready, 10)
        print(json.dumps({"ready": True}), flush=True)
        if args.until_body is not None or args.until_error is not None:
            await asyncio.wait_for(user.done, args.wait)
        elif args.send:
            await asyncio.sleep(0.5)   # let the server take the message before the stream closes
        else:
            await asyncio.sleep(args.wait)
        return 0
    except asyncio.TimeoutError:
        return 1
    finally:
        user.disconnect()

sys.exit(asyncio.run(main()))
