@testable import Adapters
import BridgeModel
import Foundation
import NIOCore

/// The parsers that read what a partner, a user or a peer server sends, each behind one entry point
/// taking arbitrary bytes. The libFuzzer driver (`scripts/fuzz.sh`) calls them with mutated inputs; the
/// unit tests replay every kept corpus file and every regression through the same functions.
///
/// An entry point returns normally for every input: refusing it with an error is the expected outcome.
/// A crash, a trap (overflow, out-of-range index, force unwrap) or a sanitizer report is the bug.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// The signed webhook request: timestamp and signature headers, then the generic dialect's body.
    case webhook
    /// The XMPP component stream, cut into reads at the places the input chooses, then each stanza
    /// through the message and presence translators, the room occupant reader and JID unescaping.
    case xmppStream = "xmpp-stream"
    /// A whole inbound email: header section, MIME structure, charsets, encoded words, HTML, trimming,
    /// Authentication-Results.
    case mime
    /// The IMAP server's responses: framing (lines and literals) and parsing.
    case imapResponse = "imap-response"
    /// The SMTP server's replies (multi-line included).
    case smtpReply = "smtp-reply"
    /// An LMTP session from the org's MTA: line framing and the server state machine.
    case lmtp
    /// The policy's content matchers over untrusted text: line 1 a safe pattern (refused or compiled),
    /// line 2 watch-list terms separated by `|`, the rest the text; every match found, then masked.
    case policyContent = "policy-content"

    /// Runs one input through the target's parsers.
    public func run(_ data: [UInt8]) {
        switch self {
        case .webhook: Self.webhook(data)
        case .xmppStream: Self.xmppStream(data)
        case .mime: Self.mime(data)
        case .imapResponse: Self.imapResponse(data)
        case .smtpReply: Self.smtpReply(data)
        case .lmtp: Self.lmtp(data)
        case .policyContent: Self.policyContent(data)
        }
    }

    static func policyContent(_ data: [UInt8]) {
        var parts = data.split(separator: 10, maxSplits: 2, omittingEmptySubsequences: false).map(Array.init)
        while parts.count < 3 { parts.append([]) }
        let text = String(decoding: parts[2], as: UTF8.self)
        var conditions = RuleConditions()
        if let pattern = try? SafePattern(String(decoding: parts[0], as: UTF8.self)) { conditions.patterns = [pattern] }
        let terms = String(decoding: parts[1], as: UTF8.self).split(separator: "|").map(String.init).filter { !$0.isEmpty }
        if let words = try? TermMatcher(terms: Array(terms.prefix(200))) {
            conditions.words = words
            _ = words.firstMatch(in: text)
        }
        conditions.detectors = ContentDetector.allCases
        let ranges = conditions.redactionRanges(in: text, field: .body)
        for (range, _) in ranges { precondition(range.lowerBound >= 0 && range.upperBound <= text.utf8.count, "a match outside the text") }
        let (masked, findings) = Redaction.apply(text, ranges, field: .body)
        precondition(ranges.isEmpty || !findings.isEmpty, "spans found but nothing masked")
        _ = conditions.check(PolicyContent(text: masked), senderAuthenticated: true, explain: true)
    }

    static let secret = Secret(bytes: Array("fuzzing-secret-fuzzing-secret-32".utf8))
    static let now = Date(timeIntervalSince1970: 1_790_000_000)

    /// Line 1: the timestamp header; line 2: the signature header (`sign` there signs the body with the
    /// timestamp of line 1, so the checks after the MAC are reached too); the rest: the body.
    static func webhook(_ data: [UInt8]) {
        var parts = data.split(separator: 10, maxSplits: 2, omittingEmptySubsequences: false).map(Array.init)
        while parts.count < 3 { parts.append([]) }
        let timestamp = String(decoding: parts[0], as: UTF8.self)
        var signature = String(decoding: parts[1], as: UTF8.self)
        let body = parts[2]
        if signature == "sign", let value = Int64(timestamp.trimmingCharacters(in: .whitespaces)) {
            signature = WebhookSignature.sign(body: body, timestamp: value, secret: Self.secret)
        }
        _ = try? WebhookSignature.verify(
            body: body,
            timestampHeader: timestamp,
            signatureHeader: signature,
            secret: Self.secret,
            now: Self.now,
            tolerance: 300
        )
        _ = WebhookAdapter.peekEventID(body)
        if let envelope = try? GenericDialect().decode(body: body, adapter: "partner", receivedAt: Self.now) {
            _ = TextHygiene.neutralize(envelope)
        }
    }

    /// The stream in reads the input chooses (``inReads(_:_:)``).
    static func xmppStream(_ data: [UInt8]) {
        var limits = XMPPStreamLimits()
        limits.maxStanzaBytes = 64 * 1024
        let parser = XMPPStreamParser(limits: limits)
        let messages = XMPPMessageTranslator(adapter: "xmpp", component: "bridge.acme.test")
        let presence = XMPPPresenceTranslator(adapter: "xmpp", component: "bridge.acme.test")
        Self.inReads(data) { chunk in
            for case .stanza(let stanza) in try parser.feed(Array(chunk)) {
                switch stanza.name {
                case "message":
                    _ = messages.inbound(stanza, receivedAt: Self.now)
                    _ = XMPPMessageTranslator.receipt(answering: stanza)
                case "presence":
                    _ = presence.inbound(stanza, receivedAt: Self.now)
                    _ = XMPPRoomTranslator.occupant(stanza)
                default:
                    break
                }
                if let from = stanza[attribute: "from"], let jid = try? JID(parsing: from) {
                    _ = JIDEscaping.localAddress(for: jid)
                    _ = JIDEscaping.address(for: jid, component: "bridge.acme.test")
                }
            }
        }
        _ = try? parser.finish()
    }

    static func mime(_ data: [UInt8]) {
        var limits = EmailLimits()
        limits.maxMessageBytes = 1 << 20
        let parser = EmailParser(limits: limits, trustedAuthservIDs: ["mx.acme.test"])
        guard let email = try? parser.parse(data) else { return }
        _ = ChatTextTrimmer.trim(email.text)
        _ = TextHygiene.body(email.text)
        _ = TextHygiene.line(email.subject ?? "")
        for field in email.headers.all("Authentication-Results") {
            _ = AuthenticationResults.parse(field)
        }
    }

    /// Calls `read` with the input after its first byte, cut into reads of 1 to 256 bytes as the first byte
    /// chooses, so messages split across reads and several messages in one read are both explored; stops
    /// when `read` throws (the parser refused the stream).
    static func inReads(_ data: [UInt8], _ read: (ArraySlice<UInt8>) throws -> Void) {
        guard let first = data.first else { return }
        let step = Int(first) + 1
        var offset = 1
        while offset < data.count {
            let end = min(data.count, offset + step)
            do {
                try read(data[offset..<end])
            } catch {
                return
            }
            offset = end
        }
    }

    static func imapResponse(_ data: [UInt8]) {
        var framer = IMAPResponseFramer(limits: IMAPFramingLimits(maxLineLength: 4096, maxLiteralSize: 64 * 1024))
        var buffer = ByteBuffer()
        Self.inReads(data) { chunk in
            buffer.writeBytes(chunk)
            while let frame = try framer.next(&buffer) {
                _ = try? IMAPResponseParser.parse(frame)
            }
            buffer.discardReadBytes()
        }
    }

    static func smtpReply(_ data: [UInt8]) {
        var parser = SMTPReplyParser(limits: .init(maxLineLength: 512, maxLines: 16))
        var buffer = ByteBuffer()
        Self.inReads(data) { chunk in
            buffer.writeBytes(chunk)
            while try parser.parse(&buffer) != nil {}
            buffer.discardReadBytes()
        }
    }

    static func lmtp(_ data: [UInt8]) {
        var machine = LMTPServerStateMachine(mailDomain: "bridge.acme.test", maxMessageBytes: 64 * 1024, maxRecipients: 8)
        var buffer = ByteBuffer(bytes: data)
        while true {
            let line: [UInt8]?
            do {
                line = try CRLFLineDecoder.nextLine(&buffer, maxLineLength: 4096)
            } catch {
                return
            }
            guard let line else { return }
            switch machine.received(line: line) {
            case .close:
                return
            case .deliver(_, _, let message):
                _ = try? EmailParser(trustedAuthservIDs: []).parse(message)
                machine.delivered()
            case .none, .reply:
                continue
            }
        }
    }
}
