public import Foundation

/// A received email, parsed and decoded: what the email adapter maps onto the gateway's `Envelope`.
public struct InboundEmail: Sendable {
    /// The Message-ID without angle brackets; `<sha256 of the raw bytes>@bridged.invalid` when the message has
    /// none, so a redelivered copy gets the same id.
    public var messageID: String
    /// True if ``messageID`` was synthesized.
    public var messageIDSynthesized: Bool
    /// The first From mailbox. With several, ``authentication`` is unverified.
    public var from: EmailMailbox
    public var sender: EmailMailbox?
    public var replyTo: [EmailMailbox]
    public var to: [EmailMailbox]
    public var cc: [EmailMailbox]
    /// RFC 2047-decoded.
    public var subject: String?
    public var date: Date?
    /// The first id of In-Reply-To, without angle brackets.
    public var inReplyTo: String?
    /// References, oldest first, without angle brackets (the last ``EmailLimits/maxReferences`` kept).
    public var references: [String]
    /// The readable full text: text/plain parts, or HTML rendered to text when there is no plain alternative.
    /// Lines end in LF.
    public var text: String
    /// ``text`` trimmed for chat: quoted replies, reply headers and signature removed; never empty unless
    /// ``text`` is.
    public var chatText: String
    /// The HTML body, decoded to Unicode, if there was one.
    public var html: String?
    public var attachments: [EmailAttachment]
    /// Set when the message looks machine-sent; the gateway should not bridge it.
    public var automation: EmailAutomation?
    public var authentication: SenderAuthentication
    /// What was tolerated while parsing (unknown charset, missing closing boundary, ...), each at most once.
    /// Warnings name no message content.
    public var warnings: [String]
    /// Every top-level header field, topmost first, for inspection.
    public var headers: EmailHeaders
}
