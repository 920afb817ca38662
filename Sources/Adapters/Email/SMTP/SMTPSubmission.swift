public import BridgeModel

/// The SMTP envelope of one submission (RFC 5321 §2.3.1), apart from the message's own headers.
public struct SMTPEnvelope: Hashable, Sendable {
    /// The reverse-path; nil sends the null sender `<>` (for bounces and auto-replies).
    public var mailFrom: Address?
    /// Forward-paths; duplicates are sent once.
    public var recipients: [Address]

    public init(mailFrom: Address?, recipients: [Address]) {
        self.mailFrom = mailFrom
        self.recipients = recipients
    }

    /// The recipients in order, each once.
    var uniqueRecipients: [Address] {
        var seen = Set<Address>()
        return self.recipients.filter { seen.insert($0).inserted }
    }

    /// Whether an address needs SMTPUTF8 (RFC 6531): a non-ASCII local part.
    var needsSMTPUTF8: Bool {
        ([self.mailFrom].compactMap { $0 } + self.recipients).contains { !$0.description.utf8.allSatisfy { $0 < 0x80 } }
    }
}

/// What became of one recipient.
public enum SMTPRecipientOutcome: Hashable, Sendable {
    /// The server took responsibility for delivery (2yz to RCPT and to the end of DATA).
    case accepted
    /// Refused for now (4yz at RCPT or for the whole message); try again later.
    case transient(SMTPReply)
    /// Refused (5yz); do not retry.
    case permanent(SMTPReply)

    init(refusal reply: SMTPReply) {
        self = reply.isTransientNegative ? .transient(reply) : .permanent(reply)
    }
}

/// The per-recipient result of one transaction.
public struct SMTPSubmissionResult: Hashable, Sendable {
    /// One outcome for every recipient of the envelope.
    public var outcomes: [Address: SMTPRecipientOutcome]
    /// The server's reply to the end of DATA (often carries its queue id), when DATA was sent.
    public var finalReply: SMTPReply?

    public init(outcomes: [Address: SMTPRecipientOutcome], finalReply: SMTPReply? = nil) {
        self.outcomes = outcomes
        self.finalReply = finalReply
    }

    /// The recipients the server accepted, sorted.
    public var accepted: [Address] { self.outcomes.filter { $0.value == .accepted }.keys.sorted() }
}
