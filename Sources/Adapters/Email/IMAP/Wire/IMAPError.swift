/// Why an IMAP exchange failed.
///
/// `shortDescription` is payload-free (fit for metrics and audit reason codes); `detail` is operator-facing
/// and never contains a credential or message content (at most a bounded piece of the server's own text).
public struct IMAPError: Error, Hashable, Sendable, CustomStringConvertible {
    enum Code: Hashable, Sendable {
        // Framing and parsing (the server sent something we refuse to read).
        case bareLineBreak
        case lineTooLong
        case literalTooLarge
        case responseTooLarge
        case malformedResponse
        // Encoding (we refuse to send it).
        case invalidArgument
        case commandOutOfOrder
        // Session.
        case unexpectedResponse
        case tooManyResponses
        case serverClosed
        case connectionLost
        case timeout
        case commandRejected
        case mailboxUnavailable
        // Security and authentication.
        case plaintextCredentialsRefused
        case startTLSUnavailable
        case startTLSRefused
        case plaintextAfterStartTLS
        case tlsFailed
        case authenticationFailed
        case capabilityMissing
    }

    let code: Code
    /// Operator-facing detail; never a credential or message content.
    public let detail: String

    init(_ code: Code, _ detail: String = "") {
        self.code = code
        self.detail = detail
    }

    /// Server text is included in details only up to this many characters.
    static let maxServerTextInDetail = 200

    /// Builds a detail from the server's own text, bounded.
    static func serverText(_ text: String) -> String {
        text.count > Self.maxServerTextInDetail ? String(text.prefix(Self.maxServerTextInDetail)) + "…" : text
    }

    public var shortDescription: String {
        switch self.code {
        case .bareLineBreak: "bare-line-break"
        case .lineTooLong: "line-too-long"
        case .literalTooLarge: "literal-too-large"
        case .responseTooLarge: "response-too-large"
        case .malformedResponse: "malformed-response"
        case .invalidArgument: "invalid-argument"
        case .commandOutOfOrder: "command-out-of-order"
        case .unexpectedResponse: "unexpected-response"
        case .tooManyResponses: "too-many-responses"
        case .serverClosed: "server-closed"
        case .connectionLost: "connection-lost"
        case .timeout: "timeout"
        case .commandRejected: "command-rejected"
        case .mailboxUnavailable: "mailbox-unavailable"
        case .plaintextCredentialsRefused: "plaintext-credentials-refused"
        case .startTLSUnavailable: "starttls-unavailable"
        case .startTLSRefused: "starttls-refused"
        case .plaintextAfterStartTLS: "plaintext-after-starttls"
        case .tlsFailed: "tls-failed"
        case .authenticationFailed: "authentication-failed"
        case .capabilityMissing: "capability-missing"
        }
    }

    /// Whether trying again later (a new connection) may succeed. Wrong credentials, a server without the
    /// required security or capability, a missing mailbox and a refused argument are not transient: they need
    /// an operator.
    public var isTransient: Bool {
        switch self.code {
        case .bareLineBreak, .lineTooLong, .literalTooLarge, .responseTooLarge, .malformedResponse,
            .unexpectedResponse, .tooManyResponses, .serverClosed, .connectionLost, .timeout, .commandRejected,
            .plaintextAfterStartTLS, .tlsFailed:
            true
        case .invalidArgument, .commandOutOfOrder, .mailboxUnavailable, .plaintextCredentialsRefused,
            .startTLSUnavailable,
            .startTLSRefused, .authenticationFailed, .capabilityMissing:
            false
        }
    }

    /// The server refused the credentials (`NO` to LOGIN or AUTHENTICATE).
    public var isAuthenticationFailure: Bool { self.code == .authenticationFailed }

    public var description: String {
        self.detail.isEmpty ? self.shortDescription : "\(self.shortDescription): \(self.detail)"
    }
}
