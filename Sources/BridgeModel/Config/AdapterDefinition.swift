import Foundation

/// One adapter instance from `adapters.d/NAME.toml`.
public struct AdapterDefinition: Sendable, Hashable {
    /// Unique across the directory; the file name without `.toml` unless the file sets `name`.
    public var name: String
    /// The org whose people this adapter speaks for.
    public var org: String
    public var settings: AdapterSettings
    /// The file it came from, relative to the config directory.
    public var file: String

    public init(name: String, org: String, settings: AdapterSettings, file: String) {
        self.name = name
        self.org = org
        self.settings = settings
        self.file = file
    }

    public var type: String { self.settings.type }
}

/// The protocol-specific settings of an adapter, one case per `type`.
public enum AdapterSettings: Sendable, Hashable {
    case webhook(WebhookSettings)
    case spool(SpoolSettings)
    case xmppComponent(XMPPComponentSettings)
    case email(EmailSettings)

    public var type: String {
        switch self {
        case .webhook: "webhook"
        case .spool: "spool"
        case .xmppComponent: "xmpp-component"
        case .email: "email"
        }
    }
}

/// `type = "xmpp-component"`: the org's XMPP server, reached as an XEP-0114 component. Remote people
/// appear on the component domain with XEP-0106 escaping (`bob\40globex.test@partners.acme.test`).
public struct XMPPComponentSettings: Sendable, Hashable {
    /// The server's component port (XEP-0114 has no TLS: keep it on loopback or a private network).
    public var host: String
    public var port: Int
    /// The component's domain, as configured on the XMPP server.
    public var component: String
    public var secret: SecretSource
    /// The longest wait between reconnection attempts.
    public var maxReconnectSeconds: Int
    /// Idle seconds after which a whitespace keepalive (RFC 6120 §4.6.1) is written, so a dead server or a
    /// NAT that dropped the connection is noticed.
    public var keepaliveSeconds: Int
    /// How remote speakers appear in bridged rooms.
    public var roomMode: XMPPRoomMode
    /// The largest stanza the server takes from the component (Prosody: `component_stanza_size_limit`,
    /// 512 KiB by default); longer bodies are shortened with a note, never sent to break the link.
    public var maxStanzaBytes: Int
    /// How long a (full JID, stanza id) pair names one message: a repeat within it is a duplicate, after
    /// it a new message (clients reuse stanza ids across sessions).
    public var dedupeWindowSeconds: Int

    public init(
        host: String, port: Int, component: String, secret: SecretSource, maxReconnectSeconds: Int = 30,
        keepaliveSeconds: Int = 60, roomMode: XMPPRoomMode = .perSpeaker, maxStanzaBytes: Int = 512 * 1024,
        dedupeWindowSeconds: Int = 3600
    ) {
        self.roomMode = roomMode
        self.maxStanzaBytes = maxStanzaBytes
        self.dedupeWindowSeconds = dedupeWindowSeconds
        self.host = host
        self.port = port
        self.component = component
        self.secret = secret
        self.maxReconnectSeconds = maxReconnectSeconds
        self.keepaliveSeconds = keepaliveSeconds
    }
}

/// How a component shows remote speakers in a bridged XEP-0045 room (`room_mode`).
public enum XMPPRoomMode: String, Sendable, Hashable, CaseIterable {
    /// One occupant per remote speaker, nick "bob (globex)".
    case perSpeaker = "per-speaker"
    /// One occupant for the gateway; each message starts with "[bob (globex)]".
    case relay
}

/// `type = "webhook"`: chat systems that post JSON to bridged and receive JSON posts from it.
public struct WebhookSettings: Sendable, Hashable {
    public enum Dialect: String, Sendable, Hashable, Codable, CaseIterable {
        /// bridged's own signed JSON format (see docs/webhooks.md).
        case generic
    }

    public var dialect: Dialect
    /// Verifies inbound requests (HMAC-SHA256). Required: unsigned requests are refused.
    public var inboundSecret: SecretSource
    /// Where deliveries into this chat system are posted. Without it the adapter is inbound only.
    public var deliverURL: String?
    /// Signs outbound posts; defaults to the inbound secret.
    public var deliverSecret: SecretSource?
    /// Requests whose signed timestamp is further off than this are refused as replays.
    public var timestampToleranceSeconds: Int
    /// Seconds before an outbound post counts as failed (and is retried).
    public var deliverTimeoutSeconds: Int

    public init(
        dialect: Dialect = .generic,
        inboundSecret: SecretSource,
        deliverURL: String? = nil,
        deliverSecret: SecretSource? = nil,
        timestampToleranceSeconds: Int = 300,
        deliverTimeoutSeconds: Int = 10
    ) {
        self.dialect = dialect
        self.inboundSecret = inboundSecret
        self.deliverURL = deliverURL
        self.deliverSecret = deliverSecret
        self.timestampToleranceSeconds = timestampToleranceSeconds
        self.deliverTimeoutSeconds = deliverTimeoutSeconds
    }
}

/// `type = "spool"`: writes each delivered envelope as a JSON file into a directory (journal, archive).
public struct SpoolSettings: Sendable, Hashable {
    /// How a window of spool files is made durable before the deliveries are recorded.
    public enum Sync: String, Sendable, Hashable, CaseIterable {
        /// Each file is fsynced before its rename: costs one flush per file, touches nothing else.
        case file
        /// The window's files are written, the whole filesystem is flushed once (`syncfs`), then they are
        /// renamed and the directory fsynced: two flushes per window, for a spool on its own filesystem.
        case filesystem
    }

    public var directory: String
    public var sync: Sync

    public init(directory: String, sync: Sync = .file) {
        self.directory = directory
        self.sync = sync
    }
}
