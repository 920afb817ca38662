/// `type = "email"`: an org reached by email. Mail to the org's people goes out by SMTP submission; their
/// mail to the gateway's mail domain is read from a mailbox by IMAP. One adapter holds both halves because
/// they share the mail domain, the reply-address key and the threads.
public struct EmailSettings: Sendable, Hashable {
    /// How a mail connection is protected. Certificates are always verified.
    public enum Security: String, Sendable, Hashable, CaseIterable {
        /// Plain connect, then STARTTLS before anything else (refused if the server does not offer it).
        case starttls
        /// TLS from the first byte (IMAPS 993, SMTPS 465).
        case tls
        /// No TLS at all: only for a server on loopback; credentials are then refused.
        case plaintext
    }

    /// How a fetched message is marked once its envelope is stored.
    public enum Marking: Sendable, Hashable {
        case keyword(String)
        case move(String)
    }

    public struct IMAP: Sendable, Hashable {
        public var host: String
        public var port: Int
        public var security: Security
        public var username: String
        public var password: SecretSource
        public var mailbox: String
        public var marking: Marking
        /// How often to look for new mail when the server has no IDLE.
        public var pollSeconds: Int
        /// IDLE is renewed this often (RFC 2177: servers may drop an IDLE after 30 minutes).
        public var idleRenewSeconds: Int
        /// PEM file of the CA certificates to trust instead of the system's.
        public var trustRootsFile: String?
        /// The name the server's certificate must carry (default: `host`).
        public var serverName: String?

        public init(
            host: String, port: Int, security: Security, username: String, password: SecretSource,
            mailbox: String = "INBOX", marking: Marking = .keyword("$Bridged"), pollSeconds: Int = 60,
            idleRenewSeconds: Int = 1500, trustRootsFile: String? = nil, serverName: String? = nil
        ) {
            self.host = host
            self.port = port
            self.security = security
            self.username = username
            self.password = password
            self.mailbox = mailbox
            self.marking = marking
            self.pollSeconds = pollSeconds
            self.idleRenewSeconds = idleRenewSeconds
            self.trustRootsFile = trustRootsFile
            self.serverName = serverName
        }
    }

    public struct SMTP: Sendable, Hashable {
        public var host: String
        public var port: Int
        public var security: Security
        public var username: String?
        public var password: SecretSource?
        /// The EHLO name (default: the mail domain).
        public var heloName: String?
        public var trustRootsFile: String?
        public var serverName: String?

        public init(
            host: String, port: Int, security: Security, username: String? = nil, password: SecretSource? = nil,
            heloName: String? = nil, trustRootsFile: String? = nil, serverName: String? = nil
        ) {
            self.host = host
            self.port = port
            self.security = security
            self.username = username
            self.password = password
            self.heloName = heloName
            self.trustRootsFile = trustRootsFile
            self.serverName = serverName
        }
    }

    /// The gateway's mail domain: remote people appear as `bob=globex.test@DOMAIN`, and replies to the
    /// signed address `bob=globex.test+TOKEN@DOMAIN` come back into the same conversation.
    public var mailDomain: String
    /// HMAC key of the signed reply addresses.
    public var replyKey: SecretSource
    /// The authserv-ids of the org's own mail servers whose `Authentication-Results` are believed.
    public var trustedAuthservIDs: [String]
    public var maxMessageBytes: Int
    /// Where messages that cannot be bridged are kept, one `.eml` file each, for an operator.
    public var rejectedDirectory: String?
    public var imap: IMAP?
    public var smtp: SMTP?
    /// Where the org's MTA hands mail over by LMTP (RFC 2033), instead of or besides IMAP. LMTP has no
    /// authentication, so the listener binds loopback only.
    public var lmtpListen: ListenAddress?

    public init(
        mailDomain: String, replyKey: SecretSource, trustedAuthservIDs: [String], maxMessageBytes: Int = 26_214_400,
        rejectedDirectory: String? = nil, imap: IMAP?, smtp: SMTP?, lmtpListen: ListenAddress? = nil
    ) {
        self.lmtpListen = lmtpListen
        self.mailDomain = mailDomain
        self.replyKey = replyKey
        self.trustedAuthservIDs = trustedAuthservIDs
        self.maxMessageBytes = maxMessageBytes
        self.rejectedDirectory = rejectedDirectory
        self.imap = imap
        self.smtp = smtp
    }
}
