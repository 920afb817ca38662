public import BridgeModel

/// What the mailbox follower watches and how it marks what it consumed.
public struct IMAPFollowerConfiguration: Sendable {
    public typealias Security = IMAPConnectionConfiguration.Security
    public typealias Authentication = IMAPConnectionConfiguration.Authentication

    /// How a handed-over message is marked so it is not offered again.
    public enum Marking: Hashable, Sendable {
        /// Add this keyword (`$Bridged`); the message stays in the mailbox.
        case keyword(String)
        /// Move it into this mailbox (created when missing).
        case move(to: String)
    }

    /// Exponential backoff between reconnects, with jitter (each wait is between half and all of the step).
    public struct Backoff: Hashable, Sendable {
        public var initial: Duration
        public var maximum: Duration

        public init(initial: Duration = .seconds(1), maximum: Duration = .seconds(300)) {
            self.initial = initial
            self.maximum = max(initial, maximum)
        }
    }

    /// RFC 2177 §3: servers may drop a client idle for 30 minutes; re-issue IDLE well before 29.
    public static let maximumIdleRenewal: Duration = .seconds(28 * 60)

    public var host: String
    public var port: Int
    public var security: Security
    public var username: String
    public var password: Secret
    public var auth: Authentication
    public var mailbox: String
    public var marking: Marking
    /// Larger messages are reported as ``IMAPFetched/oversized(uid:size:)`` without fetching the body.
    public var maxMessageBytes: Int
    /// When a running IDLE is ended and re-issued; at most ``maximumIdleRenewal``.
    public var idleRenewal: Duration
    /// How often to look for new messages when the server does not offer IDLE.
    public var pollInterval: Duration
    public var reconnectBackoff: Backoff
    /// Between attempts while the failure needs an operator (wrong credentials, no STARTTLS, a missing
    /// mailbox): the follower keeps trying, slowly, so a fixed password takes effect without a restart.
    public var operatorBackoff: Backoff = Backoff(initial: .seconds(30), maximum: .seconds(900))
    public var trustRootsPEMFile: String?
    public var serverHostname: String?
    /// How many UIDs one search covers, so a huge mailbox never produces an unbounded search response.
    public var searchWindow: UInt32
    public var commandTimeout: Duration

    public init(
        host: String,
        port: Int,
        security: Security = .implicitTLS,
        username: String,
        password: Secret,
        auth: Authentication = .plain,
        mailbox: String = "INBOX",
        marking: Marking = .keyword("$Bridged"),
        maxMessageBytes: Int = 25 * 1024 * 1024,
        idleRenewal: Duration = .seconds(25 * 60),
        pollInterval: Duration = .seconds(60),
        reconnectBackoff: Backoff = Backoff(),
        trustRootsPEMFile: String? = nil,
        serverHostname: String? = nil,
        searchWindow: UInt32 = 50_000,
        commandTimeout: Duration = .seconds(120)
    ) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.auth = auth
        self.mailbox = mailbox
        self.marking = marking
        self.maxMessageBytes = max(0, maxMessageBytes)
        self.idleRenewal = min(max(idleRenewal, .milliseconds(10)), Self.maximumIdleRenewal)
        self.pollInterval = max(pollInterval, .milliseconds(10))
        self.reconnectBackoff = reconnectBackoff
        self.trustRootsPEMFile = trustRootsPEMFile
        self.serverHostname = serverHostname
        self.searchWindow = max(1, searchWindow)
        self.commandTimeout = commandTimeout
    }

    /// The connection settings: a literal may be as large as the largest message fetched, and a line as
    /// long as a search over one window of UIDs (at most 11 bytes per UID).
    public var connection: IMAPConnectionConfiguration {
        let maxLine = max(64 * 1024, Int(self.searchWindow) * 11 + 1024)
        return IMAPConnectionConfiguration(
            host: self.host, port: self.port, security: self.security, username: self.username,
            password: self.password, authentication: self.auth, trustRootsPEMFile: self.trustRootsPEMFile,
            serverHostname: self.serverHostname,
            framingLimits: IMAPFramingLimits(
                maxLineLength: maxLine, maxLiteralSize: max(self.maxMessageBytes, 64 * 1024)),
            commandTimeout: self.commandTimeout
        )
    }
}
