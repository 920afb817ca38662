/// Why a submission failed as a whole (per-recipient refusals are not errors: see ``SMTPRecipientOutcome``).
///
/// ``shortDescription`` is a fixed token for metrics and audit reason codes. ``description`` adds an
/// operator-facing detail and the server's reply text; neither ever contains the password or message content.
public struct SMTPError: Error, Hashable, Sendable, CustomStringConvertible {
    enum Code: Hashable, Sendable {
        // Configuration and input, found before or without talking to the server.
        case invalidArgument
        case invalidMessage
        case noRecipients
        case tlsConfiguration
        // Connection.
        case connectFailed
        case connectionLost
        case timeout
        case tlsHandshakeFailed
        // Protocol.
        case malformedReply
        case bareLineEnding
        case lineTooLong
        case replyTooLong
        case unexpectedReply
        case plaintextAfterStartTLS
        // The session.
        case greetingRefused
        case ehloRefused
        case startTLSNotOffered
        case startTLSRefused
        case authenticationRequiresTLS
        case authenticationUnsupported
        case authenticationFailed
        case messageTooLarge
        case eightBitNotSupported
        case smtputf8NotSupported
        case senderRejected
        case serviceClosing
    }

    let code: Code
    /// What happened, for operators; never a secret or message content.
    public let detail: String
    /// The server's reply that caused the failure, if there was one.
    public let serverReply: SMTPReply?

    init(_ code: Code, _ detail: String, reply: SMTPReply? = nil) {
        self.code = code
        self.detail = detail
        self.serverReply = reply
    }

    /// Whether trying the same submission again later may succeed. A server reply decides by its class
    /// (4yz transient, 5yz permanent); otherwise connection trouble and TLS failures are transient (as
    /// Postfix defers on them), while refusals that need an operator's change are permanent.
    public var isTransient: Bool {
        if let reply = self.serverReply, reply.isTransientNegative || reply.isPermanentNegative {
            return reply.isTransientNegative
        }
        switch self.code {
        case .connectFailed, .connectionLost, .timeout, .tlsHandshakeFailed, .startTLSNotOffered, .startTLSRefused,
            .serviceClosing, .malformedReply, .bareLineEnding, .lineTooLong, .replyTooLong, .unexpectedReply,
            .plaintextAfterStartTLS, .greetingRefused, .ehloRefused, .senderRejected:
            return true
        case .invalidArgument, .invalidMessage, .noRecipients, .tlsConfiguration, .authenticationRequiresTLS,
            .authenticationUnsupported, .authenticationFailed, .messageTooLarge, .eightBitNotSupported,
            .smtputf8NotSupported:
            return false
        }
    }

    /// The submission account itself was refused (wrong or rotated credentials): no mail can go until an
    /// operator fixes it, whatever the recipient.
    public var isAccountFailure: Bool { self.code == .authenticationFailed }

    /// A fixed token naming the failure, e.g. `smtp-authentication-failed`.
    public var shortDescription: String {
        switch self.code {
        case .invalidArgument: "smtp-invalid-argument"
        case .invalidMessage: "smtp-invalid-message"
        case .noRecipients: "smtp-no-recipients"
        case .tlsConfiguration: "smtp-tls-configuration"
        case .connectFailed: "smtp-connect-failed"
        case .connectionLost: "smtp-connection-lost"
        case .timeout: "smtp-timeout"
        case .tlsHandshakeFailed: "smtp-tls-handshake-failed"
        case .malformedReply: "smtp-malformed-reply"
        case .bareLineEnding: "smtp-bare-line-ending"
        case .lineTooLong: "smtp-line-too-long"
        case .replyTooLong: "smtp-reply-too-long"
        case .unexpectedReply: "smtp-unexpected-reply"
        case .plaintextAfterStartTLS: "smtp-plaintext-after-starttls"
        case .greetingRefused: "smtp-greeting-refused"
        case .ehloRefused: "smtp-ehlo-refused"
        case .startTLSNotOffered: "smtp-starttls-not-offered"
        case .startTLSRefused: "smtp-starttls-refused"
        case .authenticationRequiresTLS: "smtp-authentication-requires-tls"
        case .authenticationUnsupported: "smtp-authentication-unsupported"
        case .authenticationFailed: "smtp-authentication-failed"
        case .messageTooLarge: "smtp-message-too-large"
        case .eightBitNotSupported: "smtp-8bitmime-not-supported"
        case .smtputf8NotSupported: "smtp-smtputf8-not-supported"
        case .senderRejected: "smtp-sender-rejected"
        case .serviceClosing: "smtp-service-closing"
        }
    }

    public var description: String {
        var text = self.shortDescription
        if !self.detail.isEmpty { text += ": \(self.detail)" }
        if let reply = self.serverReply { text += " (server said: \(reply))" }
        return text
    }
}
