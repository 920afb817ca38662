import Adapters
import BridgeModel
import Foundation
import Testing

@Suite("MIME email parser")
struct MIMEParserTests {
    static let parser = EmailParser(trustedAuthservIDs: ["mx.acme.test"])

    static func raw(_ text: String) -> [UInt8] { Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8) }

    static func parse(_ text: String, limits: EmailLimits = .init()) throws(EmailParseError) -> InboundEmail {
        try EmailParser(limits: limits, trustedAuthservIDs: ["mx.acme.test"]).parse(raw(text))
    }

    static func failure(_ text: String, limits: EmailLimits = .init()) -> String? {
        do {
            _ = try parse(text, limits: limits)
            return nil
        } catch {
            return error.shortDescription
        }
    }

    @Test("header fields are unfolded, keep their order, and are looked up case-insensitively")
    func headers() throws {
        let email = try Self.parse("From: a@x.test\nSubject: one\n two\n\tthree\nX-Tag: 1\nx-tag: 2\n\nbody")
        #expect(email.subject == "one two\tthree")
        #expect(email.headers.all("X-TAG") == ["1", "2"])
        #expect(email.headers.fields.map(\.name) == ["From", "Subject", "X-Tag", "x-tag"])
        #expect(email.text == "body")
        #expect(email.warnings.isEmpty)
    }

    @Test("limits: size, header line, header section, header count, depth, parts and attachment size are errors")
    func limits() {
        #expect(
            Self.failure("From: a@x.test\n\n" + String(repeating: "x", count: 200), limits: .init(maxMessageBytes: 100))
                == "too-large"
        )
        #expect(
            Self.failure(
                "From: a@x.test\nSubject: " + String(repeating: "x", count: 200),
                limits: .init(maxHeaderLineBytes: 100)
            )
                == "header-too-long"
        )
        let folded = "From: a@x.test\nSubject: x\n" + String(repeating: " folded line\n", count: 100) + "\nbody"
        #expect(Self.failure(folded, limits: .init(maxHeaderSectionBytes: 500)) == "header-too-long")
        let many = "From: a@x.test\n" + String(repeating: "X-A: b\n", count: 20) + "\nbody"
        #expect(Self.failure(many, limits: .init(maxHeaderFields: 10)) == "too-many-headers")
        let nested =
            "From: a@x.test\nContent-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\ntext\n--b--\n--a--\n"
        #expect(Self.failure(nested, limits: .init(maxDepth: 1)) == "too-deep")
        #expect(Self.failure(nested, limits: .init(maxDepth: 2)) == nil)
        let parts =
            "From: a@x.test\nContent-Type: multipart/mixed; boundary=a\n\n"
            + String(repeating: "--a\n\npart\n", count: 10) + "--a--\n"
        #expect(Self.failure(parts, limits: .init(maxParts: 5)) == "too-many-parts")
        let attachment =
            "From: a@x.test\nContent-Type: application/octet-stream\n\n" + String(repeating: "x", count: 100)
        #expect(Self.failure(attachment, limits: .init(maxAttachmentBytes: 50)) == "attachment-too-large")
    }

    @Test("garbage, a missing From and an unusable From are errors; their reasons name no content")
    func fatal() {
        #expect(Self.failure("just some words\nand more") == "header-malformed")
        #expect(Self.failure("") == "no-from")
        #expect(Self.failure("Subject: secret words\n\nbody") == "no-from")
        #expect(Self.failure("From: secret words\n\nbody") == "no-from")
        do {
            _ = try Self.parse("From: secret words\n\nbody")
        } catch {
            #expect(!error.reason.contains("secret") && !error.description.contains("secret"))
        }
    }

    @Test("a missing Message-ID is synthesized from the raw bytes: the same bytes give the same id")
    func synthesizedMessageID() throws {
        let first = try Self.parse("From: a@x.test\n\nsame")
        let again = try Self.parse("From: a@x.test\n\nsame")
        let other = try Self.parse("From: a@x.test\n\nother")
        #expect(first.messageIDSynthesized && first.messageID.hasSuffix("@bridged.invalid"))
        #expect(first.messageID.count == 64 + "@bridged.invalid".count)
        #expect(first.messageID == again.messageID)
        #expect(first.messageID != other.messageID)
        let given = try Self.parse("From: a@x.test\nMessage-ID: <id@x.test>\n\nx")
        #expect(given.messageID == "id@x.test" && !given.messageIDSynthesized)
    }

    @Test("message ids: brackets stripped, junk between ids skipped, bare ids accepted")
    func messageIDs() {
        #expect(MessageIDParser.parse("<a@x> junk, <b@y> (comment <c@z>)\t<d@w>") == ["a@x", "b@y", "d@w"])
        #expect(MessageIDParser.parse("bare@id.test") == ["bare@id.test"])
        #expect(MessageIDParser.parse("<a b@x>") == ["ab@x"])
        #expect(MessageIDParser.parse("no ids at all").isEmpty)
    }

    @Test("dates: RFC 5322 form, obsolete zones and years, no weekday; junk is nil")
    func dates() {
        let expected = Date(timeIntervalSince1970: 1_704_189_600)  // 2024-01-02 10:00:00 UTC
        #expect(EmailDateParser.parse("Tue, 02 Jan 2024 11:00:00 +0100") == expected)
        #expect(EmailDateParser.parse("2 Jan 2024 05:00 EST") == expected)
        #expect(EmailDateParser.parse("Tue, 2 Jan 24 10:00:00 GMT (UTC)") == expected)
        #expect(EmailDateParser.parse("Tuesday, 02 January 2024 10:00:00 Z") == expected)
        #expect(EmailDateParser.parse("29 Feb 2000 00:00:00 +0000") == Date(timeIntervalSince1970: 951_782_400))
        #expect(EmailDateParser.parse("yesterday") == nil)
        #expect(EmailDateParser.parse("32 Jan 2024 10:00:00 +0000") == nil)
    }

    @Test("automation: bounces before auto-replies before lists; Auto-Submitted: no is a person")
    func automation() throws {
        #expect(try Self.parse("From: a@x.test\nAuto-Submitted: no\n\nx").automation == nil)
        #expect(
            try Self.parse("From: a@x.test\nAuto-Submitted: auto-generated\n\nx").automation
                == .autoReply("Auto-Submitted: auto-generated")
        )
        #expect(try Self.parse("From: a@x.test\nX-Autorespond: yes\n\nx").automation == .autoReply("X-Autorespond"))
        #expect(try Self.parse("From: a@x.test\nPrecedence: junk\n\nx").automation == .autoReply("Precedence: junk"))
        #expect(
            try Self.parse("From: a@x.test\nList-Post: <mailto:l@x.test>\n\nx").automation == .mailingList("List-Post")
        )
        #expect(
            try Self.parse("From: MAILER-DAEMON@x.test\nAuto-Submitted: auto-replied\n\nx").automation
                == .bounce("From MAILER-DAEMON")
        )
        let report =
            "From: a@x.test\nContent-Type: multipart/report; report-type=delivery-status; boundary=r\n\n--r\n\nfailed\n--r--\n"
        #expect(try Self.parse(report).automation == .bounce("delivery status report"))
        #expect(try Self.parse("Return-Path: < >\nFrom: a@x.test\n\nx").automation == .bounce("null Return-Path"))
    }

    @Test(
        "multipart structure: preamble and epilogue ignored, nested alternative in mixed, message/rfc822 is an attachment"
    )
    func structure() throws {
        let text = """
            From: a@x.test
            Content-Type: multipart/mixed; boundary="outer"

            preamble, not shown
            --outer
            Content-Type: multipart/alternative; boundary="inner"

            --inner
            Content-Type: text/plain; charset=utf-8

            plain body
            --inner
            Content-Type: text/html; charset=utf-8

            <p>html body</p>
            --inner--
            --outer
            Content-Type: message/rfc822

            From: b@y.test
            Subject: forwarded

            old
            --outer--
            epilogue, not shown
            """
        let email = try Self.parse(text)
        #expect(email.text == "plain body")
        #expect(email.html == "<p>html body</p>")
        #expect(email.attachments.map(\.name) == ["part-1.eml"])
        #expect(email.attachments.first?.mediaType == "message/rfc822")
        #expect(email.warnings.isEmpty)
    }

    @Test("HTML-only mail is rendered to text; a charset from a meta tag is used when the header has none")
    func htmlOnly() throws {
        var raw = Array("From: a@x.test\r\nContent-Type: text/html\r\n\r\n<meta charset=\"iso-8859-1\"><p>Gr".utf8)
        raw += [0xFC, 0xDF, 0x65] + Array("</p>".utf8)
        let email = try Self.parser.parse(raw)
        #expect(email.text == "Grüße")
        #expect(email.html?.contains("Grüße") == true)
    }

    @Test("format=flowed text is unflowed, with DelSp and quote depth respected")
    func flowed() throws {
        let plain = try Self.parse(
            "From: a@x.test\nContent-Type: text/plain; format=flowed\n\nOne \ntwo\n> quoted \n> more\n-- \nsig"
        )
        #expect(plain.text == "One two\n> quoted more\n-- \nsig")
        #expect(plain.chatText == "One two\n> quoted more")
        let delsp = try Self.parse(
            "From: a@x.test\nContent-Type: text/plain; format=flowed; delsp=yes\n\nJoi \nned\n stuffed"
        )
        #expect(delsp.text == "Joined\nstuffed")
    }

    @Test("addresses: Sender, Reply-To, To and Cc are parsed, refused ones warned about by reason")
    func addresses() throws {
        let email = try Self.parse(
            "From: A <a@x.test>\nSender: s@x.test\nReply-To: r@x.test\nTo: t@x.test, bad\nCc: c@x.test\n\nx"
        )
        #expect(email.sender?.address.description == "s@x.test")
        #expect(email.replyTo.map(\.description) == ["r@x.test"])
        #expect(email.to.map(\.description) == ["t@x.test"])
        #expect(email.cc.map(\.description) == ["c@x.test"])
        #expect(email.warnings == ["a To address was refused: address-missing-at"])
    }
}
