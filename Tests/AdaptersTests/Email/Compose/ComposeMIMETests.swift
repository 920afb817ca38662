import Adapters
import BridgeModel
import Foundation
import NIOCore
import Testing

@Suite("Compose: MIME rendering")
struct ComposeMIMETests {
    static func address(_ text: String) -> Address { try! Address(parsing: text) }  // test literals only

    static func email(
        subject: String = "Weekly sync",
        fromName: String? = "Bob (Globex)",
        text: String = "hello\nworld",
        html: String? = nil
    ) -> OutboundEmail {
        OutboundEmail(
            from: .init(displayName: fromName, address: address("r.room-1.abcdefghijklmnop@gw.acme.test")),
            to: [.init(displayName: "Carol", address: address("carol@initech.test")), .init(address: address("dan@initech.test"))],
            cc: [.init(displayName: "Ève Müller", address: address("eve@initech.test"))],
            replyTo: .init(address: address("r.room-1.abcdefghijklmnop@gw.acme.test")),
            subject: subject,
            messageID: OutboundEmail.MessageID("<m1.x@gw.acme.test>")!,
            inReplyTo: OutboundEmail.MessageID("parent@initech.test"),
            references: (1...8).map { OutboundEmail.MessageID("ref-\($0)-0123456789@initech.test")! },
            date: Date(timeIntervalSince1970: 1_795_262_400),
            text: text,
            html: html,
            extraHeaders: [.init(.autoSubmitted, "auto-generated"), .init(.bridgedEnvelope, "env-42")]
        )
    }

    /// The structural rules every rendering must keep.
    static func checkShape(_ raw: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(raw.allSatisfy { $0 < 0x80 }, "not 7-bit clean", sourceLocation: sourceLocation)
        let reader = ComposedMessageReader(raw)
        var inHeaders = true
        for line in reader.lines {
            #expect(line.count <= 998, sourceLocation: sourceLocation)
            if line.isEmpty { inHeaders = false }
            if inHeaders {
                #expect(line.count <= 78, "header line over 78: \(String(decoding: line, as: UTF8.self))", sourceLocation: sourceLocation)
            } else {
                #expect(line.count <= 76, "body line over 76", sourceLocation: sourceLocation)
            }
        }
    }

    @Test("a plain message has the RFC 5322 headers, MIME-Version, and a quoted-printable UTF-8 body")
    func plain() {
        let raw = MIMEComposer.render(Self.email(text: "Grüße,\nthe line = long " + String(repeating: "é", count: 60) + " \nbye "))
        Self.checkShape(raw)
        let reader = ComposedMessageReader(raw)
        #expect(reader.header("Date") == "Sat, 21 Nov 2026 12:00:00 +0000")
        #expect(reader.header("From") == "\"Bob (Globex)\" <r.room-1.abcdefghijklmnop@gw.acme.test>")
        #expect(reader.header("To") == "Carol <carol@initech.test>, dan@initech.test")
        #expect(ComposedMessageReader.decodeWords(reader.header("Cc") ?? "") == "Ève Müller <eve@initech.test>")
        #expect(reader.header("Reply-To") == "r.room-1.abcdefghijklmnop@gw.acme.test")
        #expect(reader.header("Subject") == "Weekly sync")
        #expect(reader.header("Message-ID") == "<m1.x@gw.acme.test>")
        #expect(reader.header("In-Reply-To") == "<parent@initech.test>")
        #expect(reader.header("References")?.split(separator: " ").count == 8)
        #expect(reader.header("Auto-Submitted") == "auto-generated")
        #expect(reader.header("X-Bridged-Envelope") == "env-42")
        #expect(reader.header("MIME-Version") == "1.0")
        #expect(reader.header("Content-Type") == "text/plain; charset=utf-8")
        #expect(reader.header("Content-Transfer-Encoding") == "quoted-printable")
        let body = String(decoding: ComposedMessageReader.decodeQP(reader.body), as: UTF8.self)
        #expect(body == "Grüße,\r\nthe line = long " + String(repeating: "é", count: 60) + " \r\nbye \r\n")
    }

    @Test(
        "non-ASCII and long subjects become encoded words that decode back exactly",
        arguments: [
            "Grüße aus Köln", "日本語のメール件名", "👨‍👩‍👧‍👦 family 🇩🇪 flags", "=?utf-8?q?not_a_word?=",
            String(repeating: "Überlänge ", count: 30), "x" + String(repeating: "y", count: 120),
        ]
    )
    func subjects(_ subject: String) {
        let raw = MIMEComposer.render(Self.email(subject: subject))
        Self.checkShape(raw)
        let value = ComposedMessageReader(raw).header("Subject") ?? ""
        #expect(ComposedMessageReader.decodeWords(value) == subject.trimmingCharacters(in: .whitespaces))
        #expect(value.contains("=?UTF-8?"))
    }

    @Test("encoded words never split a character, even a long emoji sequence")
    func characterBoundaries() {
        let subject = String(repeating: "👩‍💻é", count: 20)
        let raw = MIMEComposer.render(Self.email(subject: subject))
        let words = (ComposedMessageReader(raw).header("Subject") ?? "").split(separator: " ")
        #expect(words.count > 1)
        for word in words {
            #expect(word.count <= 75)
            #expect(ComposedMessageReader.decodeWords(String(word)).allSatisfy { "👩‍💻é".contains($0) })
        }
    }

    @Test("display names with specials are quoted, plain ones are atoms, non-ASCII ones are encoded")
    func displayNames() {
        for (name, expected) in [
            ("Bob Smith", "Bob Smith <"), ("Smith, Bob", "\"Smith, Bob\" <"), ("say \"hi\" \\o/", "\"say \\\"hi\\\" \\\\o/\" <"),
        ] {
            let from = ComposedMessageReader(MIMEComposer.render(Self.email(fromName: name))).header("From") ?? ""
            #expect(from.hasPrefix(expected), "\(name) → \(from)")
        }
        let encoded = ComposedMessageReader(MIMEComposer.render(Self.email(fromName: "Zoë <admin>"))).header("From") ?? ""
        #expect(ComposedMessageReader.decodeWords(encoded) == "Zoë <admin> <r.room-1.abcdefghijklmnop@gw.acme.test>")
        #expect(!encoded.contains("<admin>"))
    }

    @Test(
        "CR and LF in a subject or display name cannot add a header",
        arguments: ["hi\r\nBcc: x@evil.test", "hi\nBcc: x@evil.test", "hi\rBcc: x@evil.test", "hi\r\n\r\nbody"]
    )
    func headerInjection(_ hostile: String) {
        let raw = MIMEComposer.render(Self.email(subject: hostile, fromName: hostile))
        Self.checkShape(raw)
        let reader = ComposedMessageReader(raw)
        #expect(!reader.headers.contains { $0.name.lowercased() == "bcc" })
        #expect(reader.headers.filter { $0.name == "Subject" }.count == 1)
        #expect(reader.header("Content-Transfer-Encoding") == "quoted-printable")
        let subject = ComposedMessageReader.decodeWords(reader.header("Subject") ?? "")
        #expect(!subject.contains("\r") && !subject.contains("\n") && subject.hasPrefix("hi"))
    }

    @Test("chat text with CRLF . CRLF cannot end DATA: after SMTP encoding the only end marker is the last line")
    func dataInjection() {
        let raw = MIMEComposer.render(Self.email(text: "one\r\n.\r\nMAIL FROM:<x@evil.test>\r\n.\nQUIT\n"))
        Self.checkShape(raw)
        var encoder = SMTPDataEncoder(message: raw)
        var stream = ByteBuffer()
        while var chunk = encoder.nextChunk() { stream.writeBuffer(&chunk) }
        let text = String(buffer: stream)
        #expect(text.components(separatedBy: "\r\n.\r\n").count == 2)
        #expect(text.hasSuffix("\r\n.\r\n"))
        let body = String(decoding: ComposedMessageReader.decodeQP(ComposedMessageReader(raw).body), as: UTF8.self)
        #expect(body == "one\r\n.\r\nMAIL FROM:<x@evil.test>\r\n.\r\nQUIT\r\n\r\n")
    }

    @Test("with HTML the message is multipart/alternative with a boundary found in no part")
    func alternative() throws {
        let html = HTMLRendering.document(fromPlainText: "Grüße <b>\nhttps://acme.test/a?b=c")
        let raw = MIMEComposer.render(Self.email(text: "Grüße <b>\nhttps://acme.test/a?b=c", html: html))
        Self.checkShape(raw)
        let reader = ComposedMessageReader(raw)
        let contentType = reader.header("Content-Type") ?? ""
        #expect(contentType.hasPrefix("multipart/alternative;"))
        let boundary = try #require(contentType.components(separatedBy: "boundary=\"").last?.dropLast())
        let parts = reader.body.components(separatedBy: "--\(boundary)")
        #expect(parts.count == 4 && parts[3] == "--\r\n")
        let plain = ComposedMessageReader(Array(parts[1].dropFirst().utf8))
        let rich = ComposedMessageReader(Array(parts[2].dropFirst().utf8))
        #expect(plain.header("Content-Type") == "text/plain; charset=utf-8")
        #expect(rich.header("Content-Type") == "text/html; charset=utf-8")
        #expect(String(decoding: ComposedMessageReader.decodeQP(plain.body), as: UTF8.self) == "Grüße <b>\r\nhttps://acme.test/a?b=c\r\n")
        let decodedHTML = String(decoding: ComposedMessageReader.decodeQP(rich.body), as: UTF8.self)
        #expect(decodedHTML.replacingOccurrences(of: "\r\n", with: "\n") == html + "\n")
    }

    @Test("the date is RFC 5322 in UTC, for dates before and after the epoch and on leap days")
    func dates() {
        let cases: [(TimeInterval, String)] = [
            (0, "Thu, 01 Jan 1970 00:00:00 +0000"),
            (-1, "Wed, 31 Dec 1969 23:59:59 +0000"),
            (951_782_400, "Tue, 29 Feb 2000 00:00:00 +0000"),
            (4_107_542_399, "Sun, 28 Feb 2100 23:59:59 +0000"),
            (1_795_262_400.75, "Sat, 21 Nov 2026 12:00:00 +0000"),
        ]
        for (seconds, expected) in cases {
            var email = Self.email()
            email.date = Date(timeIntervalSince1970: seconds)
            #expect(ComposedMessageReader(MIMEComposer.render(email)).header("Date") == expected)
        }
    }

    @Test("message ids with whitespace, brackets or no @ are refused; a random id is valid and unique")
    func messageIDs() {
        for bad in ["no-at", "a b@c", "a@b\r\nX: y", "<a@b", "a@b@c", "a\"b@c", ""] {
            #expect(OutboundEmail.MessageID(bad) == nil, "\(bad.debugDescription)")
        }
        let one = OutboundEmail.MessageID.random(domain: "gw.acme.test")
        let two = OutboundEmail.MessageID.random(domain: "gw.acme.test")
        #expect(one != two && one.value.hasSuffix("@gw.acme.test"))
    }
}
