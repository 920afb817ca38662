#!/usr/bin/python3
"""Records the server side of real IMAP sessions with a running Dovecot (the DovecotFixture config),
byte for byte, into the *.imap transcripts next to this script.
usage: /usr/bin/python3 record.py IMAP_PORT LMTP_PORT OUT/dovecot-session.imap
(writes dovecot-session.imap, dovecot-auth.imap and dovecot-starttls.imap; the mailbox of
gateway@acme.test must be empty)."""
import socket, smtplib, sys, time, threading
H="127.0.0.1"; IMAP=int(sys.argv[1]); LMTP=int(sys.argv[2]); out=sys.argv[3]
def lmtp(subject, body):
    raw = ("From: Partner <partner@globex.test>\r\nTo: gateway@acme.test\r\nSubject: %s\r\n"
           "Message-ID: <%s@globex.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n" % (subject, subject.replace(" ", "-"), body)).encode()
    with smtplib.LMTP(H, LMTP) as l: assert l.sendmail("partner@globex.test", ["gateway@acme.test"], raw) == {}
lmtp("first", "Hello {5}\r\nwith a brace line")
lmtp("second", "Gr\u00fc\u00dfe")
s = socket.create_connection((H, IMAP)); s.settimeout(10)
rec = bytearray()
buf = bytearray()
def readline():
    global buf
    while b"\r\n" not in buf:
        d = s.recv(65536); assert d; buf += d; rec.extend(d)
    i = buf.index(b"\r\n"); line = bytes(buf[:i]); buf = buf[i+2:]; return line
def read_literal(n):
    global buf
    while len(buf) < n:
        d = s.recv(65536); assert d; buf += d; rec.extend(d)
    lit = bytes(buf[:n]); buf = buf[n:]; return lit
def until_tag(tag):
    while True:
        line = readline()
        if line.endswith(b"}") and b"{" in line:
            n = int(line[line.rindex(b"{")+1:-1]); read_literal(n); continue
        if line.startswith(tag + b" "): return line
def cmd(tag, text):
    s.sendall(tag + b" " + text + b"\r\n"); return until_tag(tag)
readline()
cmd(b"a1", b"CAPABILITY")
cmd(b"a2", b"LOGIN gateway@acme.test gatewaypw")
cmd(b"a3", b"SELECT INBOX")
cmd(b"a4", b"UID SEARCH UID 1:* NOT KEYWORD $Bridged")
cmd(b"a5", b"UID SEARCH UID 9:* NOT KEYWORD $Bridged")
cmd(b"a6", b"UID FETCH 1:2 (UID RFC822.SIZE)")
cmd(b"a7", b"UID FETCH 1 (UID BODY.PEEK[] FLAGS)")
cmd(b"a8", b"UID STORE 1 +FLAGS.SILENT ($Bridged)")
cmd(b"a9", b"UID FETCH 1:* (FLAGS UID)")
cmd(b"b1", b"CREATE Bridged")
cmd(b"b2", b"CREATE Bridged")
cmd(b"b3", b"UID MOVE 2 Bridged")
cmd(b"b4", b"UID MOVE 2 NoSuchBox")
s.sendall(b"b5 IDLE\r\n"); readline()
threading.Timer(0.2, lmtp, ("third", "idle push")).start()
while True:
    line = readline()
    if line.endswith(b"EXISTS"): break
s.sendall(b"DONE\r\n"); until_tag(b"b5")
cmd(b"b6", b"UID COPY 3 NoSuchBox")
cmd(b"b7", b"NOOP")
cmd(b"b8", b"LOGOUT")
s.close()
open(out, "wb").write(rec)
print(len(rec))

# second session: STARTTLS answer, AUTHENTICATE with a continuation and a wrong password, then SASL-IR
import base64
s = socket.create_connection((H, IMAP)); s.settimeout(10); rec = bytearray(); buf = bytearray()
readline()
s.sendall(b"c1 AUTHENTICATE PLAIN\r\n"); readline()
s.sendall(base64.b64encode(b"\0gateway@acme.test\0wrong") + b"\r\n"); until_tag(b"c1")
cmd(b"c2", b"AUTHENTICATE PLAIN " + base64.b64encode(b"\0gateway@acme.test\0gatewaypw"))
cmd(b"c3", b"LOGOUT")
s.close()
open(out.replace("session", "auth"), "wb").write(rec)
s = socket.create_connection((H, IMAP)); s.settimeout(10); rec = bytearray(); buf = bytearray()
readline()
cmd(b"d1", b"STARTTLS")
s.close()
open(out.replace("session", "starttls"), "wb").write(rec)
