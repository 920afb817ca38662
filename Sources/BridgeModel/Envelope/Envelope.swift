import Foundation

/// What kind of thing crosses. An unknown kind is a decoding error, never a free-form string.
public enum EnvelopeKind: String, Sendable, Codable, CaseIterable, Hashable {
    case message
    case presence
    case subscription
    case receipt
    case edit
    case retraction
    /// Written by the gateway to a sender about their own item (see ``Notice``); never accepted from an
    /// adapter.
    case notice
}

/// Where an envelope came from: the adapter instance and the native id of the item in its protocol
/// (Message-ID, stanza id, webhook event id). Together they are the idempotency key.
public struct Origin: Hashable, Sendable, Codable {
    public var adapter: String
    public var nativeID: String
    /// How long the native id names one item, in seconds; after that the same id from the same adapter is a
    /// new item. nil: for as long as the gateway keeps idempotency keys. XMPP clients reuse stanza ids across
    /// sessions, so the XMPP adapter bounds its ids in time.
    public var freshForSeconds: Int?

    public init(adapter: String, nativeID: String, freshForSeconds: Int? = nil) {
        self.adapter = adapter
        self.nativeID = nativeID
        self.freshForSeconds = freshForSeconds
    }
}

/// A person as seen by the gateway: canonical address plus the display name their own system gave.
public struct Participant: Hashable, Sendable, Codable {
    public var address: Address
    public var displayName: String?

    public init(address: Address, displayName: String? = nil) {
        self.address = address
        self.displayName = displayName
    }
}

/// A bridged room as one adapter names it (a chat channel, an XMPP MUC, a mailing thread).
public struct ConversationRef: Hashable, Sendable, Codable {
    public var adapter: String
    public var channel: String

    public init(adapter: String, channel: String) {
        self.adapter = adapter
        self.channel = channel
    }
}

/// The optional rich form of a body. The plain text in ``Envelope/body`` is always present.
public struct RichBody: Hashable, Sendable, Codable {
    public enum Format: String, Sendable, Codable, Hashable {
        case html
        case markdown
    }

    public var format: Format
    public var text: String

    public init(format: Format, text: String) {
        self.format = format
        self.text = text
    }
}

/// An attachment's metadata; the bytes live in the store or at the source, never inline in the envelope.
public struct Attachment: Hashable, Sendable, Codable {
    public var name: String
    public var mediaType: String
    public var size: Int
    public var sha256: String
    public var location: String

    public init(name: String, mediaType: String, size: Int, sha256: String, location: String) {
        self.name = name
        self.mediaType = mediaType
        self.size = size
        self.sha256 = sha256
        self.location = location
    }
}

/// An earlier item an envelope answers or corrects, as the gateway knows it: its envelope id and where it
/// came from. Adapters resolve their protocol's reference (`inReplyTo`) through the id map at ingress, so
/// each destination can name the item in its own terms (the stanza id or event id it used).
public struct MessageReference: Hashable, Sendable, Codable {
    public var envelope: EnvelopeID
    public var origin: Origin

    public init(envelope: EnvelopeID, origin: Origin) {
        self.envelope = envelope
        self.origin = origin
    }

    /// The id `adapter` knows the referenced item by: its own native id when the item came from there,
    /// else the delivery key it was delivered under.
    public func nativeID(at adapter: String) -> String {
        self.origin.adapter == adapter ? self.origin.nativeID : "\(self.envelope.rawValue).\(adapter)"
    }
}

/// The one typed value for everything that crosses the gateway.
///
/// Adapters build envelopes from their protocol, the router decides and routes them, and adapters render
/// them back out. Translation is lossy by nature; the plain-text meaning in ``body`` never is.
public struct Envelope: Hashable, Sendable, Codable, Identifiable {
    public var id: EnvelopeID
    public var origin: Origin
    public var kind: EnvelopeKind
    public var sender: Participant
    /// Direct recipients. Empty when the envelope is addressed to a ``conversation``.
    public var recipients: [Address]
    public var conversation: ConversationRef?
    public var thread: String?
    public var inReplyTo: String?
    /// What ``inReplyTo`` names, when the gateway has seen it.
    public var reference: MessageReference?
    public var subject: String?
    public var body: String
    public var rich: RichBody?
    public var attachments: [Attachment]
    /// For kind ``EnvelopeKind/presence``: the update.
    public var presence: PresenceUpdate?
    /// For kind ``EnvelopeKind/subscription``: the request or answer.
    public var subscription: SubscriptionAction?
    /// For kind ``EnvelopeKind/notice``: what the gateway tells the sender about their own item.
    public var notice: Notice?
    /// The adapters this envelope has already crossed: the loop guard.
    public var hops: [String]
    /// Classification set by policy (for example `external`).
    public var labels: Set<String>
    public var receivedAt: Date

    public init(
        id: EnvelopeID = .generate(),
        origin: Origin,
        kind: EnvelopeKind = .message,
        sender: Participant,
        recipients: [Address] = [],
        conversation: ConversationRef? = nil,
        thread: String? = nil,
        inReplyTo: String? = nil,
        subject: String? = nil,
        body: String,
        rich: RichBody? = nil,
        attachments: [Attachment] = [],
        presence: PresenceUpdate? = nil,
        subscription: SubscriptionAction? = nil,
        hops: [String] = [],
        labels: Set<String> = [],
        receivedAt: Date = Date()
    ) {
        self.id = id
        self.origin = origin
        self.kind = kind
        self.sender = sender
        self.recipients = recipients
        self.conversation = conversation
        self.thread = thread
        self.inReplyTo = inReplyTo
        self.subject = subject
        self.body = body
        self.rich = rich
        self.attachments = attachments
        self.presence = presence
        self.subscription = subscription
        self.hops = hops
        self.labels = labels
        self.receivedAt = receivedAt
    }
}
