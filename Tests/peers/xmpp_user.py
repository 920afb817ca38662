#!/usr/bin/python3
"""A real XMPP client for bridged's integration tests (slixmpp, Debian's python3-slixmpp).

usage: xmpp_user.py JID PASSWORD PORT [options]
Logs in on 127.0.0.1:PORT without TLS, sends presence (with --show), optionally subscribes to a contact and
sends one chat message, and prints every message and presence it receives as one JSON line. It approves
subscription requests (slixmpp's default). It exits 0 as soon as every --until condition held, 1 if they
did not within --wait seconds; with no condition it exits 0 after --wait seconds (or just after --send).

conditions (--until, repeatable):  body:TEXT   error:CONDITION   presence:JID:SHOW (SHOW = available, away,
chat, dnd, xa or unavailable)   subscribed:JID   receipt:ID (an XEP-0184 receipt for stanza ID)
reactions (--on-body TEXT ACTION, repeatable): ACTION is show:SHOW (change own presence), reply:TEXT or
room-reply:TEXT (answer in the room the text came from)
rooms: --join ROOM/NICK (repeatable, joins before anything is sent), --room-say ROOM TEXT
"""
import argparse, asyncio, json, sys
import xml.etree.ElementTree as ET
import slixmpp
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

p = argparse.ArgumentParser()
p.add_argument("jid"); p.add_argument("password"); p.add_argument("port", type=int)
p.add_argument("--send", nargs=2, metavar=("TO", "BODY"))
p.add_argument("--subscribe", metavar="TO")
p.add_argument("--reply-to", metavar="ID", help="mark the --send message as an XEP-0461 reply to this stanza id")
p.add_argument("--send-id", metavar="ID", help="the --send message's stanza id")
p.add_argument("--request-receipt", action="store_true", help="ask for an XEP-0184 receipt on the --send message")
p.add_argument("--send-nested", nargs=2, metavar=("TO", "DEPTH"), help="first send a chat message with DEPTH nested child elements")
p.add_argument("--send-wide", nargs=2, metavar=("TO", "COUNT"), help="first send a chat message with COUNT extra attributes")
p.add_argument("--show")
p.add_argument("--join", action="append", default=[], metavar="ROOM/NICK")
p.add_argument("--room-say", nargs=2, action="append", default=[], metavar=("ROOM", "TEXT"))
p.add_argument("--until", action="append", default=[])
p.add_argument("--until-body"); p.add_argument("--until-error", metavar="CONDITION")
p.add_argument("--on-body", nargs=2, action="append", default=[], metavar=("TEXT", "ACTION"))
p.add_argument("--wait", type=float, default=10)
args = p.parse_args()
if args.until_body is not None: args.until.append("body:" + args.until_body)
if args.until_error is not None: args.until.append("error:" + args.until_error)

class User(slixmpp.ClientXMPP):
    def __init__(self):
        super().__init__(args.jid, args.password)
        self.register_plugin("xep_0045")
        self.done = asyncio.get_event_loop().create_future()
        self.ready = asyncio.get_event_loop().create_future()
        self.pending = set(args.until)
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("message", self.on_message)
        self.add_event_handler("message_error", self.on_message)   # slixmpp raises type='error' separately
        self.add_event_handler("presence", self.on_presence)
        # slixmpp's "message" event needs a <body>; an XEP-0184 receipt has none, so match it on its own.
        self.register_handler(Callback("receipt", MatchXPath("{jabber:client}message/{urn:xmpp:receipts}received"), self.on_receipt))
        self.add_event_handler("failed_auth", lambda *_: self.ready.done() or self.ready.set_exception(RuntimeError("auth failed")))

    async def start(self, _):
        self.send_presence(pshow=args.show) if args.show else self.send_presence()
        await self.get_roster()
        if args.subscribe:
            self.send_presence(pto=args.subscribe, ptype="subscribe")
        for room in args.join:
            jid, _, nick = room.partition("/")
            await self.plugin["xep_0045"].join_muc_wait(jid, nick, maxstanzas=0)
        for room, text in args.room_say:
            self.send_message(mto=room, mbody=text, mtype="groupchat")
        if args.send_nested:
            msg = self.make_message(mto=args.send_nested[0], mbody="nested", mtype="chat")
            msg["id"] = "nested-1"
            element = msg.xml
            for _ in range(int(args.send_nested[1])):
                element = ET.SubElement(element, "{urn:example:nest}n")
            msg.send()
        if args.send_wide:
            msg = self.make_message(mto=args.send_wide[0], mbody="wide", mtype="chat")
            msg["id"] = "wide-1"
            for index in range(int(args.send_wide[1])):
                msg.xml.set("a%d" % index, "x")
            msg.send()
        if args.send:
            msg = self.make_message(mto=args.send[0], mbody=args.send[1], mtype="chat")
            if args.reply_to:
                reply = ET.SubElement(msg.xml, "{urn:xmpp:reply:0}reply")
                reply.set("id", args.reply_to)
            if args.send_id:
                msg["id"] = args.send_id
            if args.request_receipt:
                ET.SubElement(msg.xml, "{urn:xmpp:receipts}request")
            msg.send()
        self.ready.set_result(True)

    def on_receipt(self, msg):
        received = msg.xml.find("{urn:xmpp:receipts}received")
        print(json.dumps({"from": str(msg["from"]), "receipt": received.get("id")}), flush=True)
        self.met("receipt:" + (received.get("id") or ""))

    def met(self, condition):
        self.pending.discard(condition)
        if args.until and not self.pending and not self.done.done():
            self.done.set_result(True)

    def on_message(self, msg):
        error = msg["error"]["condition"] if msg["type"] == "error" else None
        if msg["type"] == "error" and not error:
            # slixmpp knows only RFC 3920's conditions; read a newer one (RFC 6120's policy-violation) from the XML.
            stanzas = "{urn:ietf:params:xml:ns:xmpp-stanzas}"
            found = msg.xml.find("{jabber:component:accept}error") or msg.xml.find("{jabber:client}error")
            for child in (list(found) if found is not None else []):
                if child.tag.startswith(stanzas) and child.tag != stanzas + "text":
                    error = child.tag[len(stanzas):]
                    break
        text = msg["error"]["text"] if msg["type"] == "error" else None
        replace = msg.xml.find("{urn:xmpp:message-correct:0}replace")
        reply = msg.xml.find("{urn:xmpp:reply:0}reply")
        print(json.dumps({"from": str(msg["from"]), "type": msg["type"], "id": msg["id"], "body": msg["body"], "error": error, "text": text,
                          "replace": replace.get("id") if replace is not None else None,
                          "reply": reply.get("id") if reply is not None else None}), flush=True)
        if error: self.met("error:" + error)
        if msg["body"]:
            self.met("body:" + msg["body"])
            for text, action in args.on_body:
                if msg["body"] != text: continue
                kind, _, value = action.partition(":")
                if kind == "show": self.send_presence(pshow=value)
                elif kind == "reply": self.send_message(mto=msg["from"].bare, mbody=value, mtype="chat")
                elif kind == "room-reply": self.send_message(mto=msg["from"].bare, mbody=value, mtype="groupchat")

    def on_presence(self, pres):
        kind = pres.xml.get("type") or "available"
        show = pres.xml.findtext("{jabber:client}show") or ""
        state = show if kind == "available" and show else kind
        bare = pres["from"].bare
        print(json.dumps({"presence": bare, "type": kind, "show": show, "status": pres["status"]}), flush=True)
        self.met("presence:%s:%s" % (bare, state))
        if kind == "subscribed": self.met("subscribed:" + bare)

async def main():
    user = User()
    user.connect(address=("127.0.0.1", args.port), force_starttls=False, disable_starttls=True)
    try:
        await asyncio.wait_for(user.ready, 10)
        print(json.dumps({"ready": True}), flush=True)
        if args.until:
            await asyncio.wait_for(user.done, args.wait)
        elif args.send:
            await asyncio.sleep(0.5)   # let the server take the message before the stream closes
        else:
            await asyncio.sleep(args.wait)
        return 0
    except asyncio.TimeoutError:
        print(json.dumps({"timeout": True, "unmet": sorted(user.pending)}), flush=True)
        return 1
    finally:
        user.disconnect()

sys.exit(asyncio.run(main()))
