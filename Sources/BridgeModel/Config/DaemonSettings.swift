import Foundation

/// `bridged.toml`: the daemon's own settings. Every table and key is optional and has a production default;
/// relative paths are relative to the config directory.
public struct DaemonSettings: Sendable, Hashable {
    public var store: StoreSettings
    public var audit: AuditSettings
    public var http: HTTPSettings
    public var admin: AdminSettings
    public var delivery: DeliverySettings
    public var log: LogSettings

    public init(
        store: StoreSettings = .init(),
        audit: AuditSettings = .init(),
        http: HTTPSettings = .init(),
        admin: AdminSettings = .init(),
        delivery: DeliverySettings = .init(),
        log: LogSettings = .init()
    ) {
        self.store = store
        self.audit = audit
        self.http = http
        self.admin = admin
        self.delivery = delivery
        self.log = log
    }
}

public struct StoreSettings: Sendable, Hashable {
    /// The SQLite database file.
    public var path: String = "var/bridged.sqlite"
    /// How long an inbound item's idempotency key is kept: a source's redelivery within it is recognised.
    public var idempotencyRetentionDays: Int = 30
    public init() {}
}

/// How much of a message's content the audit log keeps.
public enum AuditContent: String, Sendable, Hashable, Codable {
    /// Participants, kinds, decisions: no content at all.
    case metadata
    /// Plus the SHA-256 of subject and body, to prove what was sent without keeping the words.
    case hashes
    /// Plus subject and body in clear.
    case full
}

public struct AuditSettings: Sendable, Hashable {
    public var directory: String = "var/audit"
    /// The Ed25519 key that signs checkpoints: 32 raw bytes, base64 encoded.
    public var signingKey: SecretSource = .file("var/keys/audit-signing.key")
    /// A signed checkpoint after this many records ...
    public var checkpointRecords: Int = 1000
    /// ... or this many seconds, whichever comes first (and always at shutdown).
    public var checkpointSeconds: Int = 60
    public var content: AuditContent = .metadata
    /// A new segment file starts past this size.
    public var segmentBytes: Int = 64 << 20
    /// Refusals of unauthenticated requests (bad or missing signatures, stale timestamps, oversized
    /// bodies) are recorded once per adapter and reason in each window of this many seconds; the rest of
    /// the window's refusals are counted in one record when it closes, so no one can flood the log.
    public var refusalWindowSeconds: Int = 10
    /// The log's name in its checkpoints (the C2SP origin line and signing key name); nil: `<host name>/bridged-audit`.
    public var origin: String?
    /// A directory off the box (a mounted share) each checkpoint is copied into as a file, retried until it works.
    public var publishDirectory: String?
    /// A URL each new checkpoint is POSTed to (JSON), retried until a 2xx acknowledges it; plain http only to loopback.
    public var publishURL: String?
    /// A bearer token for `publishURL`, when the receiver wants one.
    public var publishToken: SecretSource?
    public init() {}
}

public struct HTTPSettings: Sendable, Hashable {
    /// The public listener inbound webhooks post to.
    public var listen: ListenAddress = .init(host: "127.0.0.1", port: 8480)
    /// Larger request bodies get 413 and are never stored.
    public var maxBodyBytes: Int = 256 * 1024
    /// A connection must send a complete request head within this many seconds of opening (or of the
    /// previous response), and the body within `bodyTimeoutSeconds` of the head; else it is closed.
    public var headerTimeoutSeconds: Int = 10
    public var bodyTimeoutSeconds: Int = 30
    /// A keep-alive connection with nothing to read or write for this long is closed.
    public var idleTimeoutSeconds: Int = 60
    /// Open connections from one IP address at most; more are closed at once.
    public var maxConnectionsPerSource: Int = 64
    /// Open connections in all at most; 0 means the file-descriptor limit less a reserve of 128 kept for
    /// the store, the audit log, adapters and the admin listener.
    public var maxConnections: Int = 0
    public init() {}
}

public struct AdminSettings: Sendable, Hashable {
    /// `/healthz` and `/metrics`. Loopback only.
    public var listen: ListenAddress = .init(host: "127.0.0.1", port: 9480)
    public init() {}
}

public struct DeliverySettings: Sendable, Hashable {
    /// Dead-letter after this many failed attempts ...
    public var maxAttempts: Int = 12
    /// ... or when the delivery has been queued this long (a replay starts the clock again).
    public var maxAgeSeconds: Int = 86_400
    public var initialBackoffMilliseconds: Int = 1000
    public var maxBackoffSeconds: Int = 600
    /// Deliveries handed to an adapter together, and delivered before their outcomes are recorded: the
    /// most a crash can make an adapter deliver twice.
    public var window: Int = 8
    public init() {}
}

public struct LogSettings: Sendable, Hashable {
    public var level: String = "info"
    public init() {}
}
