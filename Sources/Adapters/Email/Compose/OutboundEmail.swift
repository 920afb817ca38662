public import BridgeModel
public import Foundation

/// An email the gateway writes for an email user; ``MIMEComposer`` turns it into RFC 5322 bytes.
///
/// Every text field may hold anything a chat user typed: CR, LF and other control characters in header
/// values become spaces when the message is rendered, so no field can add a header or end the header block.
public struct OutboundEmail: Hashable, Sendable {
    /// A display name and an address, as in `"Bob (Globex)" <r.abc.xyz@gw.acme.test>`.
    public struct Mailbox: Hashable, Sendable {
        public var displayName: String?
        public var address: Address

        public init(displayName: String? = nil, address: Address) {
            self.displayName = displayName
            self.address = address
        }
    }

    /// A `msg-id` (RFC 5322 §3.6.4) without its angle brackets, e.g. `abc.123@gw.acme.test`.
    public struct MessageID: Hashable, Sendable, CustomStringConvertible {
        public let value: String

        /// Accepts `left@right` or `<left@right>` made of visible ASCII without whitespace, angle brackets,
        /// quotes, backslashes or brackets, at most 250 characters; nil otherwise.
        public init?(_ text: String) {
            var text = Substring(text)
            if text.hasPrefix("<"), text.hasSuffix(">"), text.count >= 2 { text = text.dropFirst().dropLast() }
            let parts = text.split(separator: "@", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, text.utf8.count <= 250,
                text.utf8.allSatisfy({ (0x21...0x7E).contains($0) && !Self.forbidden.contains($0) })
            else { return nil }
            self.value = String(text)
        }

        private static let forbidden = Set("<>\"\\[](),;:".utf8)

        /// A fresh random id (128 bits) on `domain`.
        public static func random(domain: String) -> MessageID {
            let id = (0..<2).map { _ in String(UInt64.random(in: .min ... .max), radix: 36) }.joined(separator: ".")
            // A domain that does not fit the grammar falls back to a reserved name rather than failing.
            return MessageID("\(id)@\(domain)") ?? MessageID("\(id)@bridged.invalid")!
        }

        public var description: String { "<\(self.value)>" }
    }

    /// A header from a small known set that the gateway may add; arbitrary headers are not possible.
    public struct ExtraHeader: Hashable, Sendable {
        public enum Name: String, Hashable, Sendable, CaseIterable {
            /// RFC 3834: `auto-generated` / `auto-replied`, so auto-responders stay quiet.
            case autoSubmitted = "Auto-Submitted"
            /// Microsoft's out-of-office suppression, e.g. `All`.
            case autoResponseSuppress = "X-Auto-Response-Suppress"
            /// The gateway envelope id, for loop detection and support.
            case bridgedEnvelope = "X-Bridged-Envelope"
            /// The bridged room or conversation, for filtering rules.
            case bridgedConversation = "X-Bridged-Conversation"
        }

        public var name: Name
        public var value: String

        public init(_ name: Name, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public var from: Mailbox
    public var to: [Mailbox]
    public var cc: [Mailbox]
    public var replyTo: Mailbox?
    public var subject: String
    public var messageID: MessageID
    public var inReplyTo: MessageID?
    public var references: [MessageID]
    public var date: Date
    /// The plain text body; any line-ending convention.
    public var text: String
    /// An HTML alternative; when set the message is `multipart/alternative`.
    public var html: String?
    public var extraHeaders: [ExtraHeader]

    public init(
        from: Mailbox,
        to: [Mailbox],
        cc: [Mailbox] = [],
        replyTo: Mailbox? = nil,
        subject: String,
        messageID: MessageID,
        inReplyTo: MessageID? = nil,
        references: [MessageID] = [],
        date: Date,
        text: String,
        html: String? = nil,
        extraHeaders: [ExtraHeader] = []
    ) {
        self.from = from
        self.to = to
        self.cc = cc
        self.replyTo = replyTo
        self.subject = subject
        self.messageID = messageID
        self.inReplyTo = inReplyTo
        self.references = references
        self.date = date
        self.text = text
        self.html = html
        self.extraHeaders = extraHeaders
    }
}
