#!/usr/bin/env python3
"""Writes the email corpus (*.eml) and its manifest (corpus.json) next to this script.

Bytes are produced with Python's own codecs, so every charset file really is in its charset, and the
expectations (decoded subject, display name, body snippet, attachment SHA-256) come from the original
Unicode text and bytes, independently of the Swift parser under test.

Run: python3 Tests/AdaptersTests/Email/Corpus/generate.py   (rewrites every file; output is deterministic)
"""

import base64
import hashlib
import json
import os
import quopri

HERE = os.path.dirname(os.path.abspath(__file__))
TRUSTED_AR = "mx.acme.test"
CRLF = b"\r\n"

manifest = {}


def wrap64(data: bytes) -> bytes:
    encoded = base64.b64encode(data)
    return CRLF.join(encoded[i:i + 76] for i in range(0, len(encoded), 76))


def qp(data: bytes) -> bytes:
    # quopri writes LF line ends; the wire form is CRLF.
    return quopri.encodestring(data).replace(b"\r\n", b"\n").replace(b"\n", CRLF)


def ew_b(text: str, charset: str, codec: str = None) -> str:
    raw = text.encode(codec or charset)
    return "=?%s?B?%s?=" % (charset, base64.b64encode(raw).decode("ascii"))


def ew_q(text: str, charset: str, codec: str = None) -> str:
    out = []
    for byte in text.encode(codec or charset):
        ch = chr(byte)
        if byte == 0x20:
            out.append("_")
        elif ch.isascii() and ch.isalnum():
            out.append(ch)
        else:
            out.append("=%02X" % byte)
    return "=?%s?Q?%s?=" % (charset, "".join(out))


def message(headers, body: bytes, eol: bytes = CRLF) -> bytes:
    lines = []
    for name, value in headers:
        value = value if isinstance(value, bytes) else value.encode("ascii")
        lines.append(name.encode("ascii") + b": " + value)
    head = eol.join(lines)
    return head + eol + eol + body.replace(b"\r\n", b"\n").replace(b"\n", eol)


def base_headers(subject="Test", sender="Alice Example <alice@partner.test>", msgid=None, extra=()):
    headers = [
        ("Return-Path", "<alice@partner.test>"),
        ("From", sender),
        ("To", "Bob Example <bob@acme.test>"),
        ("Subject", subject),
        ("Date", "Tue, 02 Jan 2024 10:00:00 +0100"),
        ("Message-ID", "<%s>" % (msgid or "msg-%d@partner.test" % (len(manifest) + 1))),
        ("MIME-Version", "1.0"),
    ]
    headers.extend(extra)
    return headers


def write(name: str, data: bytes, expect: dict):
    assert name not in manifest, name
    with open(os.path.join(HERE, name), "wb") as handle:
        handle.write(data)
    manifest[name] = expect


def attachment_expect(name, media, data, inline=False):
    return {
        "name": name,
        "mediaType": media,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "inline": inline,
    }


def multipart(boundary: str, parts) -> bytes:
    body = b"This is a multi-part message in MIME format.\r\n"
    for part in parts:
        body += b"\r\n--" + boundary.encode() + b"\r\n" + part
    body += b"\r\n--" + boundary.encode() + b"--\r\n"
    return body


def part(headers, body: bytes) -> bytes:
    return b"".join(h.encode() + b"\r\n" for h in headers) + b"\r\n" + body


# ---------------------------------------------------------------------------------------------------------
# Mail clients

tb_plain = (
    "Hi Bob,\n\nsounds good, let's meet on Thursday at the \nKöln office.\n\nAlice\n\n-- \nAlice Example\n"
    "Partner Corp\n\nOn 02.01.24 10:00, Bob Example wrote:\n> Can we meet this week? I would \n> like to plan Q1.\n>\n> Bob\n"
)
tb_html = (
    "<html><head><meta http-equiv=\"content-type\" content=\"text/html; charset=UTF-8\"></head><body>"
    "<p>Hi Bob,</p><p>sounds good, let's meet on Thursday at the Köln office.</p><p>Alice</p>"
    "<div class=\"moz-signature\">-- <br>Alice Example<br>Partner Corp</div>"
    "<div class=\"moz-cite-prefix\">On 02.01.24 10:00, Bob Example wrote:<br></div>"
    "<blockquote type=\"cite\">Can we meet this week? I would like to plan Q1.<br><br>Bob</blockquote></body></html>"
)
write(
    "client-thunderbird-reply.eml",
    message(
        base_headers(
            "Re: Meeting this week",
            msgid="tb-1@partner.test",
            extra=[
                ("In-Reply-To", "<bob-1@acme.test>"),
                ("References", "<root@acme.test> <bob-1@acme.test>"),
                ("Authentication-Results", TRUSTED_AR + "; dkim=pass header.d=partner.test header.s=s1; "
                 "spf=pass smtp.mailfrom=alice@partner.test; dmarc=pass (p=reject) header.from=partner.test"),
                ("Content-Type", "multipart/alternative; boundary=\"------------tb0123456789\""),
                ("User-Agent", "Mozilla Thunderbird"),
            ],
        ),
        multipart("------------tb0123456789", [
            part(["Content-Type: text/plain; charset=UTF-8; format=flowed", "Content-Transfer-Encoding: 8bit"],
                 tb_plain.encode("utf-8")),
            part(["Content-Type: text/html; charset=UTF-8", "Content-Transfer-Encoding: quoted-printable"],
                 qp(tb_html.encode("utf-8"))),
        ]),
    ),
    {
        "subject": "Re: Meeting this week",
        "fromAddress": "alice@partner.test",
        "fromName": "Alice Example",
        "messageID": "tb-1@partner.test",
        "inReplyTo": "bob-1@acme.test",
        "references": ["root@acme.test", "bob-1@acme.test"],
        "dateEpoch": 1704186000,
        "textContains": ["sounds good, let's meet on Thursday at the Köln office.", "> Can we meet this week? I would like to plan Q1."],
        "chatText": "Hi Bob,\n\nsounds good, let's meet on Thursday at the Köln office.\n\nAlice",
        "html": True,
        "automation": "none",
        "authentication": "verified:dmarc",
        "attachments": [],
        "noWarnings": True,
    },
)

apple_plain = (
    "Sure, 3pm works for me.\n\nAlice\n\n> On 2. Jan 2024, at 10:00, Bob Example <bob@acme.test> wrote:\n>\n"
    "> Is 3pm ok for the call?\n> \n> Bob\n"
)
apple_html = (
    "<html><head><meta http-equiv=\"content-type\" content=\"text/html; charset=utf-8\"></head>"
    "<body style=\"overflow-wrap: break-word;\">Sure, 3pm works for me.<div><br></div><div>Alice</div><div><br>"
    "<blockquote type=\"cite\"><div>On 2. Jan 2024, at 10:00, Bob Example &lt;bob@acme.test&gt; wrote:</div><br>"
    "<div><div>Is 3pm ok for the call?</div><div><br></div><div>Bob</div></div></blockquote></div></body></html>"
)
write(
    "client-applemail-reply.eml",
    message(
        base_headers(
            "Re: Call",
            extra=[("Content-Type", "multipart/alternative;\r\n\tboundary=\"Apple-Mail=_1B2C3D4E-5F60-7182-93A4-B5C6D7E8F901\""),
                   ("X-Mailer", "Apple Mail (2.3774.300.61.1.2)")],
        ),
        multipart("Apple-Mail=_1B2C3D4E-5F60-7182-93A4-B5C6D7E8F901", [
            part(["Content-Transfer-Encoding: quoted-printable", "Content-Type: text/plain;", "\tcharset=utf-8"],
                 qp(apple_plain.encode("utf-8"))),
            part(["Content-Transfer-Encoding: quoted-printable", "Content-Type: text/html;", "\tcharset=utf-8"],
                 qp(apple_html.encode("utf-8"))),
        ]),
    ),
    {
        "subject": "Re: Call",
        "textContains": ["Sure, 3pm works for me.", "> Is 3pm ok for the call?"],
        "chatText": "Sure, 3pm works for me.\n\nAlice",
        "html": True,
        "automation": "none",
        "authentication": "unverified:no trusted Authentication-Results",
        "attachments": [],
        "noWarnings": True,
    },
)

outlook_plain = (
    "Hi Bob,\n\nThat\u2019s fine \u2013 see you then.\n\nRegards,\nCarol\n\n________________________________\n"
    "From: Bob Example <bob@acme.test>\nSent: Tuesday, January 2, 2024 10:00 AM\nTo: Carol <carol@initech.test>\n"
    "Subject: Meeting\n\nCan we meet on Thursday?\n"
)
outlook_html = (
    "<html><head><style><!-- p.MsoNormal {margin:0cm; font-family:\"Calibri\"} --></style></head><body lang=\"EN-US\">"
    "<div class=\"WordSection1\"><p class=\"MsoNormal\">Hi Bob,<o:p></o:p></p><p class=\"MsoNormal\"><o:p>&nbsp;</o:p></p>"
    "<p class=\"MsoNormal\">That\u2019s fine \u2013 see you then.<o:p></o:p></p></div>"
    "<div id=\"appendonsend\"></div><hr style=\"display:inline-block;width:98%\" tabindex=\"-1\">"
    "<div id=\"divRplyFwdMsg\" dir=\"ltr\"><b>From:</b> Bob Example &lt;bob@acme.test&gt;<br><b>Sent:</b> Tuesday, "
    "January 2, 2024 10:00 AM<br><b>To:</b> Carol<br><b>Subject:</b> Meeting</div><div>Can we meet on Thursday?</div>"
    "</body></html>"
)
write(
    "client-outlook-reply.eml",
    message(
        base_headers(
            "RE: Meeting",
            sender="Carol Jones <carol@initech.test>",
            extra=[("Content-Type", "multipart/alternative;\r\n\tboundary=\"_000_DB9PR01MB1234ABCDEFGH_\""),
                   ("Thread-Topic", "Meeting"), ("X-MS-Has-Attach", ""), ("Content-Language", "en-US")],
        ),
        multipart("_000_DB9PR01MB1234ABCDEFGH_", [
            part(["Content-Type: text/plain; charset=\"Windows-1252\"", "Content-Transfer-Encoding: quoted-printable"],
                 qp(outlook_plain.encode("cp1252"))),
            part(["Content-Type: text/html; charset=\"Windows-1252\"", "Content-Transfer-Encoding: quoted-printable"],
                 qp(outlook_html.encode("cp1252"))),
        ]),
    ),
    {
        "subject": "RE: Meeting",
        "fromAddress": "carol@initech.test",
        "fromName": "Carol Jones",
        "textContains": ["That\u2019s fine \u2013 see you then.", "Can we meet on Thursday?"],
        "chatText": "Hi Bob,\n\nThat\u2019s fine \u2013 see you then.\n\nRegards,\nCarol",
        "html": True,
        "automation": "none",
        "attachments": [],
        "noWarnings": True,
    },
)

gmail_plain = (
    "Works for me!\n\nOn Tue, Jan 2, 2024 at 10:00\u202fAM Bob Example <bob@acme.test>\nwrote:\n\n"
    "> Shall we move the call to Friday?\n>\n"
)
gmail_html = (
    "<div dir=\"ltr\">Works for me!</div><br><div class=\"gmail_quote\"><div dir=\"ltr\" class=\"gmail_attr\">"
    "On Tue, Jan 2, 2024 at 10:00\u202fAM Bob Example &lt;<a href=\"mailto:bob@acme.test\">bob@acme.test</a>&gt; "
    "wrote:<br></div><blockquote class=\"gmail_quote\" style=\"margin:0px 0px 0px 0.8ex\">"
    "<div dir=\"ltr\">Shall we move the call to Friday?</div></blockquote></div>"
)
write(
    "client-gmail-reply.eml",
    message(
        base_headers("Re: Friday", extra=[("Content-Type", "multipart/alternative; boundary=\"000000000000a1b2c3d4e5f6\"")]),
        multipart("000000000000a1b2c3d4e5f6", [
            part(["Content-Type: text/plain; charset=\"UTF-8\"", "Content-Transfer-Encoding: quoted-printable"],
                 qp(gmail_plain.encode("utf-8"))),
            part(["Content-Type: text/html; charset=\"UTF-8\"", "Content-Transfer-Encoding: base64"],
                 wrap64(gmail_html.encode("utf-8"))),
        ]),
    ),
    {
        "subject": "Re: Friday",
        "textContains": ["> Shall we move the call to Friday?"],
        "chatText": "Works for me!",
        "html": True,
        "attachments": [],
        "noWarnings": True,
    },
)

write(
    "client-gmail-html-only.eml",
    message(
        base_headers("Re: Friday (html)", extra=[("Content-Type", "text/html; charset=\"UTF-8\""),
                                                  ("Content-Transfer-Encoding", "base64")]),
        wrap64(gmail_html.encode("utf-8")),
    ),
    {
        "subject": "Re: Friday (html)",
        "textContains": ["Works for me!", "> Shall we move the call to Friday?"],
        "chatText": "Works for me!",
        "html": True,
        "noWarnings": True,
    },
)

outlook_only_html = (
    "<html xmlns:o=\"urn:schemas-microsoft-com:office:office\"><head>"
    "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1252\">"
    "<!--[if gte mso 9]><xml><o:shapedefaults v:ext=\"edit\" spidmax=\"1026\" /></xml><![endif]-->"
    "<style><!-- /* Font Definitions */ @font-face {font-family:\"Cambria Math\";} p.MsoNormal {margin:0cm;} --></style>"
    "<title>Quarterly numbers</title></head><body lang=\"DE\" link=\"#0563C1\">"
    "<div class=\"WordSection1\"><p class=\"MsoNormal\">Hallo Bob,<o:p></o:p></p>"
    "<p class=\"MsoNormal\"><o:p>&nbsp;</o:p></p>"
    "<p class=\"MsoNormal\">anbei die Zahlen f&uuml;r Q4 &#8211; siehe <a href=\"https://partner.test/report?q=4&amp;y=2024\">"
    "den Bericht</a>.<o:p></o:p></p><ul><li class=\"MsoListParagraph\">Umsatz: 1.000&nbsp;&euro;</li>"
    "<li class=\"MsoListParagraph\">Kosten: &lt;500 &euro;</li></ul>"
    "<p class=\"MsoNormal\">Gr\u00fc\u00dfe<br>Dana<o:p></o:p></p><script>alert('x')</script>"
    "<p class=\"MsoNormal\"><b>Von:</b> Bob Example &lt;bob@acme.test&gt;<br><b>Gesendet:</b> Dienstag, 2. Januar 2024 10:00<br>"
    "<b>An:</b> Dana<br><b>Betreff:</b> Zahlen<o:p></o:p></p><p class=\"MsoNormal\">Schickst du mir die Zahlen?</p>"
    "</div></body></html>"
)
write(
    "client-outlook-html-only.eml",
    message(
        base_headers("AW: Zahlen", sender="Dana Schmidt <dana@initech.test>",
                     extra=[("Content-Type", "text/html; charset=\"windows-1252\""),
                            ("Content-Transfer-Encoding", "quoted-printable")]),
        qp(outlook_only_html.encode("cp1252")),
    ),
    {
        "subject": "AW: Zahlen",
        "textContains": [
            "anbei die Zahlen für Q4 \u2013 siehe den Bericht (https://partner.test/report?q=4&y=2024).",
            "- Umsatz: 1.000 €", "- Kosten: <500 €", "Grüße\nDana",
        ],
        "textExcludes": ["font-family", "alert(", "Quarterly numbers", "spidmax", "MsoNormal", "&nbsp;", "<b>"],
        "chatContains": ["Hallo Bob,\n\nanbei", "Grüße\nDana"],
        "chatExcludes": ["Von:", "Schickst du mir"],
        "html": True,
        "noWarnings": True,
    },
)

png = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a5e2a1a10000000049454e44ae426082"
)
related_html = "<html><body><p>Our new logo:</p><img src=\"cid:logo.123@partner.test\" alt=\"logo\"><p>Alice</p></body></html>"
write(
    "related-inline-image.eml",
    message(
        base_headers("New logo", extra=[("Content-Type", "multipart/alternative; boundary=\"alt-1\"")]),
        multipart("alt-1", [
            part(["Content-Type: text/plain; charset=us-ascii"], b"Our new logo: [logo]\r\n\r\nAlice\r\n"),
            part(["Content-Type: multipart/related; boundary=\"rel-2\"; type=\"text/html\""],
                 multipart("rel-2", [
                     part(["Content-Type: text/html; charset=us-ascii"], related_html.encode()),
                     part(["Content-Type: image/png; name=\"logo.png\"", "Content-Transfer-Encoding: base64",
                           "Content-ID: <logo.123@partner.test>", "Content-Disposition: inline; filename=\"logo.png\""],
                          wrap64(png)),
                 ])),
        ]),
    ),
    {
        "subject": "New logo",
        "textContains": ["Our new logo: [logo]"],
        "html": True,
        "attachments": [attachment_expect("logo.png", "image/png", png, inline=True)],
        "noWarnings": True,
    },
)

pdf = b"%PDF-1.4\n% fake but fixed bytes\n" + bytes(range(256)) + b"\n%%EOF\n"
csv = "Name;Betrag\nMüller;12,50\n".encode("iso-8859-1")
notes = b"notes\r\n"
uebersicht = "Übersicht\n".encode("utf-8")
write(
    "attachments-2231-names.eml",
    message(
        base_headers("Documents", extra=[("Content-Type", "multipart/mixed; boundary=\"mix\"")]),
        multipart("mix", [
            part(["Content-Type: text/plain; charset=utf-8"], "Here are the documents.\r\n".encode()),
            part(["Content-Type: application/pdf",
                  "Content-Disposition: attachment;",
                  " filename*0*=UTF-8''Gesch%C3%A4fts;",
                  " filename*1*=bericht%202024;",
                  " filename*2=\".pdf\"",
                  "Content-Transfer-Encoding: base64"], wrap64(pdf)),
            part(["Content-Type: text/csv; name=\"=?ISO-8859-1?Q?Pr=E4sentation=2Ecsv?=\"",
                  "Content-Disposition: attachment", "Content-Transfer-Encoding: base64"], wrap64(csv)),
            part(["Content-Type: application/octet-stream",
                  "Content-Disposition: attachment; filename=\"C:\\\\Users\\\\carol\\\\..\\\\notes.txt\""], notes.rstrip(b"\r\n")),
            part(["Content-Type: text/plain; charset=utf-8",
                  "Content-Disposition: attachment; filename*=iso-8859-1'de'%DCbersicht.txt"], uebersicht.rstrip(b"\n")),
            part(["Content-Type: image/png", "Content-Transfer-Encoding: base64"], wrap64(png)),
        ]),
    ),
    {
        "subject": "Documents",
        "text": "Here are the documents.",
        "attachments": [
            attachment_expect("Geschäftsbericht 2024.pdf", "application/pdf", pdf),
            attachment_expect("Präsentation.csv", "text/csv", csv),
            attachment_expect("notes.txt", "application/octet-stream", b"notes"),
            attachment_expect("Übersicht.txt", "text/plain", "Übersicht".encode()),
            attachment_expect("part-5.png", "image/png", png),
        ],
        "noWarnings": True,
    },
)

# ---------------------------------------------------------------------------------------------------------
# Machine mail

write(
    "bounce-delivery-status.eml",
    message(
        [("Return-Path", "<>"), ("From", "Mail Delivery System <MAILER-DAEMON@mx.partner.test>"),
         ("To", "bob@acme.test"), ("Subject", "Undelivered Mail Returned to Sender"),
         ("Date", "Tue, 02 Jan 2024 10:05:00 +0000"), ("Message-ID", "<bounce-1@mx.partner.test>"),
         ("Auto-Submitted", "auto-replied"), ("MIME-Version", "1.0"),
         ("Content-Type", "multipart/report; report-type=delivery-status;\r\n\tboundary=\"B1.1704189900/mx.partner.test\"")],
        multipart("B1.1704189900/mx.partner.test", [
            part(["Content-Description: Notification", "Content-Type: text/plain; charset=us-ascii"],
                 b"This is the mail system at host mx.partner.test.\r\n\r\nI'm sorry to have to inform you that your message could not\r\nbe delivered to one or more recipients.\r\n\r\n<nobody@partner.test>: user unknown\r\n"),
            part(["Content-Description: Delivery report", "Content-Type: message/delivery-status"],
                 b"Reporting-MTA: dns; mx.partner.test\r\n\r\nFinal-Recipient: rfc822; nobody@partner.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"),
            part(["Content-Description: Undelivered Message Headers", "Content-Type: text/rfc822-headers"],
                 b"From: bob@acme.test\r\nTo: nobody@partner.test\r\nSubject: hello\r\n"),
        ]),
    ),
    {
        "subject": "Undelivered Mail Returned to Sender",
        "fromAddress": "MAILER-DAEMON@mx.partner.test",
        "automation": "bounce:null Return-Path",
        "textContains": ["could not\nbe delivered"],
        "attachmentNames": ["part-1.txt", "part-2.txt"],
        "noWarnings": True,
    },
)

write(
    "auto-reply-out-of-office.eml",
    message(
        base_headers("Automatic reply: Meeting", sender="Carol Jones <carol@initech.test>",
                     extra=[("Auto-Submitted", "auto-replied (vacation)"), ("X-Autoreply", "yes"),
                            ("Content-Type", "text/plain; charset=utf-8")]),
        b"I am out of the office until 8 January.\r\n",
    ),
    {"subject": "Automatic reply: Meeting", "automation": "autoReply:Auto-Submitted: auto-replied",
     "text": "I am out of the office until 8 January.", "noWarnings": True},
)

write(
    "auto-reply-precedence-bulk.eml",
    message(
        base_headers("Newsletter", extra=[("Precedence", "bulk"), ("Content-Type", "text/plain")]),
        b"Monthly news.\r\n",
    ),
    {"automation": "autoReply:Precedence: bulk", "text": "Monthly news.", "noWarnings": True},
)

write(
    "mailing-list.eml",
    message(
        base_headers("[dev] Release 2.0", extra=[
            ("List-Id", "Developers <dev.lists.partner.test>"),
            ("List-Unsubscribe", "<mailto:dev-leave@lists.partner.test>"),
            ("List-Post", "<mailto:dev@lists.partner.test>"),
            ("Precedence", "list"),
            ("Content-Type", "text/plain; charset=utf-8"),
        ]),
        b"Release 2.0 is out.\r\n\r\n-- \r\ndev mailing list\r\ndev@lists.partner.test\r\n",
    ),
    {"subject": "[dev] Release 2.0", "automation": "mailingList:List-Id", "chatText": "Release 2.0 is out.",
     "noWarnings": True},
)

# ---------------------------------------------------------------------------------------------------------
# Sender authenticity

write(
    "auth-forged-from-untrusted.eml",
    message(
        [("Authentication-Results", "evil.example; dkim=pass header.d=partner.test; spf=pass "
          "smtp.mailfrom=ceo@partner.test; dmarc=pass header.from=partner.test"),
         ("From", "CEO <ceo@partner.test>"), ("To", "bob@acme.test"), ("Subject", "Urgent wire transfer"),
         ("Message-ID", "<forged-1@evil.example>"), ("Content-Type", "text/plain")],
        b"Please wire 50k today.\r\n",
    ),
    {"fromAddress": "ceo@partner.test", "authentication": "unverified:no trusted Authentication-Results",
     "noWarnings": True},
)

write(
    "auth-forged-from-trusted-fail.eml",
    message(
        [("Authentication-Results", TRUSTED_AR + ";\r\n\tdkim=fail (signature did not verify) header.d=partner.test;\r\n"
          "\tspf=fail smtp.mailfrom=ceo@partner.test;\r\n\tdmarc=fail (p=reject) header.from=partner.test"),
         ("Authentication-Results", TRUSTED_AR + "; dkim=pass header.d=partner.test; dmarc=pass header.from=partner.test"),
         ("From", "CEO <ceo@partner.test>"), ("To", "bob@acme.test"), ("Subject", "Urgent wire transfer"),
         ("Message-ID", "<forged-2@evil.example>"), ("Content-Type", "text/plain")],
        b"Please wire 50k today.\r\n",
    ),
    {"authentication": "unverified:dmarc=fail, dkim=fail, spf=fail", "noWarnings": True},
)

write(
    "auth-dkim-pass-aligned.eml",
    message(
        [("Authentication-Results", TRUSTED_AR + " 1; dkim=pass (2048-bit key) header.d=mail.partner.test "
          "header.i=@mail.partner.test header.b=\"AbC/dEf+\"; spf=softfail smtp.mailfrom=partner.test; dmarc=none"),
         ("Received", "from mx.partner.test by mx.acme.test"),
         ("From", "Alice <alice@partner.test>"), ("To", "bob@acme.test"), ("Subject", "Signed"),
         ("Message-ID", "<signed-1@partner.test>"), ("Content-Type", "text/plain")],
        b"Signed with DKIM.\r\n",
    ),
    {"authentication": "verified:dkim", "noWarnings": True},
)

write(
    "auth-spf-pass-not-aligned.eml",
    message(
        [("Authentication-Results", TRUSTED_AR + "; spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=bounces+123@esp.example; "
          "dkim=none (no signature)"),
         ("From", "Alice <alice@partner.test>"), ("To", "bob@acme.test"), ("Subject", "Via ESP"),
         ("Message-ID", "<esp-1@esp.example>"), ("Content-Type", "text/plain")],
        b"Sent through an ESP.\r\n",
    ),
    {"authentication": "unverified:dkim=none, spf pass not aligned with From", "noWarnings": True},
)

write(
    "auth-multiple-from.eml",
    message(
        [("Authentication-Results", TRUSTED_AR + "; dmarc=pass header.from=partner.test"),
         ("From", "alice@partner.test, ceo@partner.test"), ("Sender", "alice@partner.test"),
         ("To", "bob@acme.test"), ("Subject", "Two authors"), ("Message-ID", "<two@partner.test>")],
        b"Co-written.\r\n",
    ),
    {"fromAddress": "alice@partner.test", "authentication": "unverified:multiple From addresses",
     "warningsContain": ["several From addresses"]},
)

# ---------------------------------------------------------------------------------------------------------
# Threading and addresses

write(
    "threading-junk-between-ids.eml",
    message(
        [("From", "alice@partner.test"), ("To", "bob@acme.test"), ("Subject", "Re: Re: plan"),
         ("Message-ID", "  <reply-3@partner.test> (sent from phone)"),
         ("In-Reply-To", "Bob's message of Tue, 2 Jan 2024 <reply-2@acme.test>"),
         ("References", "<root-1@acme.test>\r\n junk, <reply-1@partner.test> (comment <not-an-id@x>)\r\n\t<reply-2@acme.test>")],
        b"ok\r\n",
    ),
    {"messageID": "reply-3@partner.test", "inReplyTo": "reply-2@acme.test",
     "references": ["root-1@acme.test", "reply-1@partner.test", "reply-2@acme.test"], "text": "ok", "noWarnings": True},
)

no_id = message(
    [("From", "alice@partner.test"), ("To", "bob@acme.test"), ("Subject", "no id"), ("Date", "2 Jan 2024 10:00 GMT")],
    b"No Message-ID here.\r\n",
)
write(
    "threading-no-message-id.eml",
    no_id,
    {"messageID": hashlib.sha256(no_id).hexdigest() + "@bridged.invalid", "dateEpoch": 1704189600, "noWarnings": True},
)

write(
    "address-forms.eml",
    message(
        [("From", "\"Example, Alice\" (work) <alice@PARTNER.test>"),
         ("To", "Team: bob@acme.test, \"Smith, Carol\" <carol@acme.test>;, <@relay.test,@hub.test:dave@globex.test>,"
          "\r\n erin@globex.test (Erin E.), undisclosed-recipients:;"),
         ("Cc", "=?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <joerg@partner.test>, \"john doe\"@acme.test"),
         ("Reply-To", "Help Desk <help@partner.test>"),
         ("Subject", "addresses"), ("Message-ID", "<addr@partner.test>")],
        b"hi\r\n",
    ),
    {
        "fromAddress": "alice@partner.test",
        "fromName": "Example, Alice",
        "to": ["bob@acme.test", "Smith, Carol <carol@acme.test>", "dave@globex.test", "Erin E. <erin@globex.test>"],
        "cc": ["Jörg Müller <joerg@partner.test>"],
        "replyTo": ["Help Desk <help@partner.test>"],
        "warningsContain": ["a Cc address was refused: address-invalid-local-part"],
    },
)

# ---------------------------------------------------------------------------------------------------------
# Charsets: body in the charset, subject and display name as RFC 2047 words in it

charsets = [
    ("utf-8", "utf-8", "Grüße aus Köln \u2014 東京 ✓"),
    ("us-ascii", "ascii", "Plain ASCII only, nothing else"),
    ("iso-8859-1", "iso8859_1", "Grüße, café, naïve, Ærø"),
    ("iso-8859-2", "iso8859_2", "Zażółć gęślą jaźń"),
    ("iso-8859-3", "iso8859_3", "Ĉu vi parolas Esperanton? ĝ ĥ ĵ ŝ ŭ"),
    ("iso-8859-4", "iso8859_4", "Latviešu valoda ā ē ī ū ķ ļ ņ ŗ"),
    ("iso-8859-5", "iso8859_5", "Привет, мир"),
    ("iso-8859-6", "iso8859_6", "مرحبا بالعالم"),
    ("iso-8859-7", "iso8859_7", "Καλημέρα κόσμε"),
    ("iso-8859-8", "iso8859_8", "שלום עולם"),
    ("iso-8859-9", "iso8859_9", "Günaydın İstanbul ş ğ"),
    ("iso-8859-10", "iso8859_10", "Sámegiella ŋ ŧ đ þ"),
    ("iso-8859-11", "iso8859_11", "สวัสดีครับ"),
    ("iso-8859-13", "iso8859_13", "Labas rytas ą č ę ė į š ų ū ž"),
    ("iso-8859-14", "iso8859_14", "Bore da ŵ ŷ ẁ ẃ"),
    ("iso-8859-15", "iso8859_15", "Prix : 10 € œuvre Ÿ Š"),
    ("iso-8859-16", "iso8859_16", "Bună ziua ș ț ă î"),
    ("windows-1250", "cp1250", "Příliš žluťoučký kůň"),
    ("windows-1251", "cp1251", "Здравствуйте, коллеги"),
    ("windows-1252", "cp1252", "\u201cSmart quotes\u201d \u2013 café €"),
    ("windows-1253", "cp1253", "Γειά σου κόσμε"),
    ("windows-1254", "cp1254", "Merhaba dünya ğ ş ı"),
    ("windows-1255", "cp1255", "שלום חברים"),
    ("windows-1256", "cp1256", "السلام عليكم"),
    ("windows-1257", "cp1257", "Sveiki ą č ę ė ļ ņ"),
    ("windows-1258", "cp1258", "Xin chào đ ơ ư â ê ô"),
    ("iso-2022-jp", "iso2022_jp", "こんにちは、世界。会議の件です。"),
    ("shift_jis", "cp932", "お疲れ様です。① 資料を送ります"),
    ("euc-jp", "euc_jp", "東京都の天気は晴れです"),
    ("gb2312", "gb2312", "你好，世界"),
    ("gbk", "gbk", "欢迎光临 喆"),
    ("gb18030", "gb18030", "中文测试 😀"),
    ("big5", "big5", "繁體中文測試"),
    ("koi8-r", "koi8_r", "Съешь же ещё этих мягких французских булок"),
    ("koi8-u", "koi8_u", "Ґанок, їжак, єнот, і"),
]
for number, (label, codec, sample) in enumerate(charsets):
    stateful = label == "iso-2022-jp"
    subject_word = (ew_b if number % 2 == 0 or stateful else ew_q)(sample, label, codec)
    display_name = ("Name " + sample[:12]).strip()
    name_word = (ew_q if number % 2 == 0 and not stateful else ew_b)(display_name, label, codec)
    body_text = ("Body: " + sample + "\n\nSecond line.\n").encode(codec)
    if stateful:
        cte, body = "7bit", body_text
    elif number % 3 == 0:
        cte, body = "quoted-printable", qp(body_text)
    elif number % 3 == 1:
        cte, body = "base64", wrap64(body_text)
    else:
        cte, body = "8bit", body_text
    headers = [
        ("From", "%s <sender@partner.test>" % name_word),
        ("To", "bob@acme.test"),
        ("Subject", "[%s] %s" % (label, subject_word)),
        ("Message-ID", "<charset-%d@partner.test>" % number),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=\"%s\"" % label.upper()),
        ("Content-Transfer-Encoding", cte),
    ]
    write(
        "charset-%02d-%s.eml" % (number, label),
        message(headers, body),
        {
            "subject": "[%s] %s" % (label, sample),
            "fromName": display_name,
            "text": "Body: " + sample + "\n\nSecond line.",
            "noWarnings": True,
        },
    )

mixed_subject = " ".join([
    ew_q("Grüße", "utf-8"),
    "=?UTF-8?B?" + base64.b64encode("und ö".encode()[:-1]).decode() + "?=",  # ö split across two words
    "=?UTF-8?B?" + base64.b64encode("und ö".encode()[-1:]).decode() + "?=",
    ew_b("Привет", "koi8-r", "koi8_r"),
    "plain =?utf-8?x?bad?= text",
    ew_q("Ελλάδα", "iso-8859-7", "iso8859_7"),
])
write(
    "charset-mixed-encoded-words.eml",
    message([("From", "alice@partner.test"), ("Subject", mixed_subject), ("Message-ID", "<mixed@partner.test>")],
            b"x\r\n"),
    {"subject": "Grüßeund öПривет plain =?utf-8?x?bad?= text Ελλάδα", "noWarnings": True},
)

# ---------------------------------------------------------------------------------------------------------
# Broken mail

write("broken-no-from.eml",
      message([("To", "bob@acme.test"), ("Subject", "who am I"), ("Message-ID", "<nofrom@x.test>")], b"anonymous\r\n"),
      {"error": "no-from"})

write("broken-from-unparseable.eml",
      message([("From", "not an address at all"), ("Subject", "bad from")], b"x\r\n"),
      {"error": "no-from"})

garbage = b"\x00\x01\x02 this is not mail at all \xff\xfe\r\n" + bytes((i * 37 + 11) % 256 for i in range(600))
write("broken-garbage.eml", garbage, {"error": "header-malformed"})

write(
    "broken-missing-closing-boundary.eml",
    message(
        base_headers("cut off", extra=[("Content-Type", "multipart/mixed; boundary=\"zzz\"")]),
        b"--zzz\r\nContent-Type: text/plain\r\n\r\nfirst part\r\n--zzz\r\nContent-Type: text/plain\r\n\r\nsecond part, never closed\r\n",
    ),
    {"text": "first part\n\nsecond part, never closed", "warningsContain": ["no closing boundary"]},
)

write(
    "broken-boundary-never-present.eml",
    message(
        base_headers("no boundary", extra=[("Content-Type", "multipart/alternative; boundary=\"not-there\"")]),
        b"--something-else\r\nContent-Type: text/plain\r\n\r\nthe words are still here\r\n",
    ),
    {"textContains": ["the words are still here"], "warningsContain": ["boundary never occurs"]},
)

report = bytes((i * 7 + 3) % 256 for i in range(300))
encoded = base64.b64encode(report)
cut = (len(encoded) // 2) // 4 * 4 + 2  # ends two characters into a quantum
write(
    "broken-truncated-base64.eml",
    message(
        base_headers("truncated", extra=[("Content-Type", "multipart/mixed; boundary=\"b\"")]),
        b"--b\r\nContent-Type: text/plain\r\n\r\nsee attachment\r\n--b\r\nContent-Type: application/octet-stream; name=\"data.bin\"\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + encoded[:cut] + b"\r\n--b--\r\n",
    ),
    {
        "text": "see attachment",
        "attachments": [attachment_expect("data.bin", "application/octet-stream", report[: (cut - 2) // 4 * 3 + 1])],
        "warningsContain": ["base64 data is truncated"],
    },
)

write(
    "broken-invalid-quoted-printable.eml",
    message(
        base_headers("bad qp", extra=[("Content-Type", "text/plain; charset=utf-8"),
                                      ("Content-Transfer-Encoding", "quoted-printable")]),
        b"caf=c3=a9 costs =ZZ 5 =\r\nsoft break=  \r\nwith blanks, 100=\r\n% sure=3\r\nend  \r\n",
    ),
    {"text": "café costs =ZZ 5 soft breakwith blanks, 100% sure=3\nend",
     "warningsContain": ["invalid quoted-printable escapes"]},
)

write(
    "broken-unknown-charset.eml",
    message(
        base_headers("unknown charset", extra=[("Content-Type", "multipart/mixed; boundary=\"u\"")]),
        b"--u\r\nContent-Type: text/plain; charset=x-made-up\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + "Grüße in UTF-8".encode() + b"\r\n--u\r\nContent-Type: text/plain; charset=x-also-made-up\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + "Grüße in Latin-1".encode("latin-1") + b"\r\n--u--\r\n",
    ),
    {"text": "Grüße in UTF-8\n\nGrüße in Latin-1",
     "warningsContain": ["unknown charset 'x-made-up' was decoded as UTF-8",
                         "unknown charset 'x-also-made-up' was decoded as ISO-8859-1"]},
)

write(
    "broken-header-line-100k.eml",
    message([("From", "alice@partner.test"), ("Subject", "x" * 100 * 1024)], b"x\r\n"),
    {"error": "header-too-long"},
)

depth = 100
nested = b"innermost\r\n"
for level in reversed(range(depth)):
    nested = (b"--n%d\r\nContent-Type: " % level
              + (b"multipart/mixed; boundary=\"n%d\"" % (level + 1) if level + 1 < depth else b"text/plain")
              + b"\r\n\r\n" + nested + b"\r\n--n%d--\r\n" % level)
write(
    "broken-nested-100-levels.eml",
    message(base_headers("deep", extra=[("Content-Type", "multipart/mixed; boundary=\"n0\"")]), nested),
    {"error": "too-deep"},
)

write(
    "broken-raw-utf8-headers.eml",
    message(
        [("From", "Jörg Müller <joerg@partner.test>".encode()), ("To", "bob@acme.test"),
         ("Subject", "Grüße \u2013 日本".encode()), ("Message-ID", "<raw-utf8@partner.test>"),
         ("Content-Type", "text/plain; charset=utf-8")],
        "Körper".encode(),
    ),
    {"subject": "Grüße \u2013 日本", "fromName": "Jörg Müller", "text": "Körper", "noWarnings": True},
)

write(
    "broken-raw-latin1-headers.eml",
    message(
        [("From", "Jörg Müller <joerg@partner.test>".encode("latin-1")), ("To", "bob@acme.test"),
         ("Subject", "Grüße aus München".encode("latin-1")), ("Message-ID", "<raw-latin1@partner.test>"),
         ("Content-Type", "text/plain; charset=iso-8859-1")],
        "Körper".encode("latin-1"),
    ),
    {"subject": "Grüße aus München", "fromName": "Jörg Müller", "text": "Körper",
     "warningsContain": ["8-bit header bytes that are not UTF-8 were decoded as ISO-8859-1"]},
)

lf_doc = b"%doc\n" + bytes(range(0, 256, 3))
write(
    "broken-bare-lf.eml",
    message(
        base_headers("bare LF", extra=[("Content-Type", "multipart/mixed; boundary=\"lf\"")]),
        b"--lf\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
        b"line one=\nstill one\nline two\n--lf\nContent-Type: application/octet-stream; name=doc.bin\n"
        b"Content-Transfer-Encoding: base64\n\n" + wrap64(lf_doc).replace(CRLF, b"\n") + b"\n--lf--\n",
        eol=b"\n",
    ),
    {"subject": "bare LF", "text": "line onestill one\nline two",
     "attachments": [attachment_expect("doc.bin", "application/octet-stream", lf_doc)], "noWarnings": True},
)

write(
    "broken-nul-bytes.eml",
    message(
        [("From", "alice@partner.test"), ("To", "bob@acme.test"), (b"Subject".decode(), b"nul\x00 in subject"),
         ("Message-ID", "<nul@partner.test>"), ("Content-Type", "text/plain; charset=utf-8")],
        b"before\x00after\r\n\x00\r\n",
    ),
    {"subject": "nul in subject", "text": "beforeafter",
     "warningsContain": ["NUL bytes in header fields were removed", "NUL bytes in the text were removed"]},
)

write(
    "broken-mbox-from-line-and-no-blank-line.eml",
    b"From alice@partner.test Tue Jan  2 10:00:00 2024\nFrom: alice@partner.test\nSubject: mbox\n"
    b"this line is not a header, so the body starts here\n",
    {"subject": "mbox", "text": "this line is not a header, so the body starts here",
     "warningsContain": ["mbox 'From ' separator line was skipped", "header section ended without a blank line"]},
)

with open(os.path.join(HERE, "corpus.json"), "w", encoding="utf-8") as handle:
    json.dump({"trustedAuthservIDs": [TRUSTED_AR], "files": manifest}, handle, ensure_ascii=False, indent=1, sort_keys=True)
    handle.write("\n")
print("wrote %d messages" % len(manifest))
