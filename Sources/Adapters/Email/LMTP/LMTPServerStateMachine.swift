public import BridgeModel

/// The server side of LMTP (RFC 2033) for the gateway's mail domain: the org's MTA hands mail over in real
/// time instead of the gateway polling a mailbox. Pure: CRLF-framed lines in, actions out.
///
///     S: 220 bridged LMTP ready        C: LHLO mx.acme.test
///     C: MAIL FROM:<carol@initech.test> C: RCPT TO:<alice=acme.test@bridge.acme.test>
///     C: DATA   S: 354 ...   C: (message, dot-stuffed)   C: .
///     S: 250 2.0.0 <one reply per accepted recipient>
///
/// The replies after the final dot are sent only once the message is durably stored (or its refusal is
/// audited), which is what lets the MTA delete its copy.
public struct LMTPServerStateMachine: Sendable {
    public enum Action: Hashable, Sendable {
        /// Nothing to say (a line of message data).
        case none
        case reply(String)
        /// A whole message: store it, then answer each recipient (RFC 2033 §4.2).
        case deliver(mailFrom: String, recipients: [Address], message: [UInt8])
        case close(String)
    }

    enum State: Hashable, Sendable {
        case greeted
        case ready
        case mail(from: String, recipients: [Address])
        case data(from: String, recipients: [Address])
        case closed
    }

    public let mailDomain: String
    public let maxMessageBytes: Int
    public let maxRecipients: Int
    var state: State = .greeted
    var message: [UInt8] = []
    var oversized = false

    public init(mailDomain: String, maxMessageBytes: Int, maxRecipients: Int = 100) {
        self.mailDomain = mailDomain.lowercased()
        self.maxMessageBytes = maxMessageBytes
        self.maxRecipients = maxRecipients
    }

    public static let greeting = "220 bridged LMTP ready"

    /// One line, without its CRLF. A bare CR or LF inside it ends the session (RFC 5321 §2.3.8: SMTP
    /// smuggling relies on servers that accept them).
    public mutating func received(line: [UInt8]) -> Action {
        if line.contains(13) || line.contains(10) {
            self.state = .closed
            return .close("500 5.5.2 bare CR or LF in a line")
        }
        if case .data(let from, let recipients) = self.state {
            return self.dataLine(line, from: from, recipients: recipients)
        }
        let text = String(decoding: line, as: UTF8.self)
        let verb = text.prefix(while: { $0 != " " && $0 != ":" }).uppercased()
        switch (verb, self.state) {
        case ("LHLO", _):
            self.state = .ready
            return .reply("250-bridged\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250-SIZE \(self.maxMessageBytes)\r\n250 8BITMIME")
        case ("MAIL", .ready):
            guard let path = Self.path(text, prefix: "MAIL FROM:") else { return .reply("501 5.5.4 syntax: MAIL FROM:<address>") }
            self.state = .mail(from: path, recipients: [])
            return .reply("250 2.1.0 ok")
        case ("RCPT", .mail(let from, var recipients)):
            guard let path = Self.path(text, prefix: "RCPT TO:"), let address = try? Address(parsing: path) else {
                return .reply("501 5.5.4 syntax: RCPT TO:<address>")
            }
            guard address.domain == self.mailDomain else {
                return .reply("550 5.1.1 not an address of the gateway's mail domain")
            }
            guard recipients.count < self.maxRecipients else { return .reply("452 4.5.3 too many recipients") }
            recipients.append(address)
            self.state = .mail(from: from, recipients: recipients)
            return .reply("250 2.1.5 ok")
        case ("DATA", .mail(let from, let recipients)):
            guard !recipients.isEmpty else { return .reply("503 5.5.1 no valid recipients") }
            self.state = .data(from: from, recipients: recipients)
            self.message = []
            self.oversized = false
            return .reply("354 end with <CRLF>.<CRLF>")
        case ("RSET", _):
            if self.state != .greeted { self.state = .ready }
            return .reply("250 2.0.0 ok")
        case ("NOOP", _):
            return .reply("250 2.0.0 ok")
        case ("QUIT", _):
            self.state = .closed
            return .close("221 2.0.0 bye")
        case ("MAIL", _), ("RCPT", _), ("DATA", _):
            return .reply("503 5.5.1 bad sequence of commands")
        default:
            return .reply("500 5.5.2 unknown command")
        }
    }

    /// The message after the final dot was answered: ready for the next one.
    public mutating func delivered() {
        if self.state != .closed { self.state = .ready }
        self.message = []
    }

    mutating func dataLine(_ line: [UInt8], from: String, recipients: [Address]) -> Action {
        if line == [UInt8(ascii: ".")] {
            if self.oversized {
                self.delivered()
                let reply = "552 5.3.4 message larger than \(self.maxMessageBytes) bytes"
                return .reply(Array(repeating: reply, count: recipients.count).joined(separator: "\r\n"))
            }
            let message = self.message
            self.message = []
            return .deliver(mailFrom: from, recipients: recipients, message: message)
        }
        guard !self.oversized else { return .none }
        // RFC 5321 §4.5.2: a leading dot was doubled by the client.
        let content = line.first == UInt8(ascii: ".") ? line.dropFirst() : line[...]
        if self.message.count + content.count + 2 > self.maxMessageBytes {
            self.oversized = true
            self.message = []
            return .none
        }
        self.message.append(contentsOf: content)
        self.message.append(contentsOf: [13, 10])
        return .none
    }

    /// `<address>` after `prefix` (case-insensitive), ignoring ESMTP parameters; `<>` is the null path.
    static func path(_ text: String, prefix: String) -> String? {
        guard text.uppercased().hasPrefix(prefix) else { return nil }
        let rest = text.dropFirst(prefix.count).drop(while: { $0 == " " })
        guard rest.first == "<", let end = rest.firstIndex(of: ">") else { return nil }
        return String(rest[rest.index(after: rest.startIndex)..<end])
    }
}
