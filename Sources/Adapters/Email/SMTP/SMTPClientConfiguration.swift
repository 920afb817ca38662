/// How to reach and talk to a submission server.
public struct SMTPClientConfiguration: Sendable {
    /// How the connection is protected.
    public enum Security: Hashable, Sendable {
        /// Plaintext connect, then STARTTLS (RFC 3207), required: if the server does not offer it, nothing
        /// is sent (port 587).
        case startTLS
        /// TLS from the first byte (RFC 8314, port 465).
        case implicitTLS
        /// No TLS at all, for an operator who knows the link is private. AUTH is refused in this mode.
        case plaintext
    }

    /// Connect, per-command and end-of-data timeouts (RFC 5321 §4.5.3.2 suggests 5 and 10 minutes).
    public struct Timeouts: Hashable, Sendable {
        public var connect: Duration
        /// For the greeting, each reply, the TLS handshake and each chunk of the message.
        public var command: Duration
        /// For the reply to the final `.`, while the server processes the message.
        public var dataCompletion: Duration

        public init(connect: Duration = .seconds(30), command: Duration = .seconds(300), dataCompletion: Duration = .seconds(600)) {
            self.connect = connect
            self.command = command
            self.dataCompletion = dataCompletion
        }
    }

    public var host: String
    public var port: Int
    public var security: Security
    /// AUTH PLAIN (preferred) or LOGIN after TLS; nil sends without authenticating.
    public var credentials: SMTPCredentials?
    /// The name given with EHLO: the gateway's own host name.
    public var heloName: String
    /// A PEM file with the roots to trust instead of the system's; nil uses the system roots.
    public var trustRootsPEMFile: String?
    /// The name for SNI and the certificate check; nil uses `host` (an IP address is checked against the
    /// certificate's IP entries and sends no SNI).
    public var serverHostname: String?
    public var timeouts: Timeouts
    public var replyLimits: SMTPReplyParser.Limits

    public init(
        host: String,
        port: Int,
        security: Security = .startTLS,
        credentials: SMTPCredentials? = nil,
        heloName: String,
        trustRootsPEMFile: String? = nil,
        serverHostname: String? = nil,
        timeouts: Timeouts = Timeouts(),
        replyLimits: SMTPReplyParser.Limits = SMTPReplyParser.Limits()
    ) {
        self.host = host
        self.port = port
        self.security = security
        self.credentials = credentials
        self.heloName = heloName
        self.trustRootsPEMFile = trustRootsPEMFile
        self.serverHostname = serverHostname
        self.timeouts = timeouts
        self.replyLimits = replyLimits
    }
}
