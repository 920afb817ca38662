/// The only door from an inbound adapter into the gateway.
///
/// An adapter hands every item it receives to its sink and acknowledges the item to its source only after
/// ``accept(_:)`` returned: by then the envelope is committed to the durable inbox. Adapters never see other
/// adapters, the router or the outbox; whatever they accept goes through the policy gate.
public protocol InboundSink: Sendable {
    /// Durably stores the envelope (idempotent on its origin).
    /// - Returns: whether it was new or a redelivery of an item already accepted.
    /// - Throws: when the store could not commit; the adapter must then not acknowledge the source.
    func accept(_ envelope: Envelope) async throws -> AcceptOutcome

    /// Records in the audit log that an inbound item was refused at the edge (bad signature, malformed or
    /// oversized body, ...). The reason carries no message content.
    func reject(_ rejection: InboundRejection) async

    /// The earlier item `nativeID` names in `adapter`'s protocol (an item it received, or one it delivered
    /// under that id), or nil when the gateway has not seen it.
    func resolve(_ nativeID: String, adapter: String) async -> MessageReference?
}

extension InboundSink {
    public func resolve(_ nativeID: String, adapter: String) async -> MessageReference? { nil }
}

/// The result of handing an envelope to the inbox.
public enum AcceptOutcome: Hashable, Sendable {
    /// Newly stored under this id.
    case accepted(EnvelopeID)
    /// The origin had been accepted before (as this id); nothing new was stored.
    case duplicate(EnvelopeID)

    public var envelopeID: EnvelopeID {
        switch self {
        case .accepted(let id), .duplicate(let id): id
        }
    }
}

/// An inbound item an adapter refused before it became an envelope.
public struct InboundRejection: Hashable, Sendable {
    public var adapter: String
    /// A stable, payload-free code such as `bad-signature` or `body-too-large`.
    public var reason: String
    /// The native id when the adapter could read one.
    public var nativeID: String?
    /// Operator-facing explanation; never message content or secrets.
    public var detail: String

    public init(adapter: String, reason: String, nativeID: String? = nil, detail: String) {
        self.adapter = adapter
        self.reason = reason
        self.nativeID = nativeID
        self.detail = detail
    }
}

/// Why ``InboundSink/accept(_:)`` refused an envelope.
public struct AcceptError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Reason: String, Hashable, Sendable {
        /// An adapter speaks only for its own org; the sender's domain belongs elsewhere (or nowhere).
        case senderOutsideOrg = "sender-outside-org"
        /// Only the gateway writes notices; an adapter may not hand one in.
        case reservedKind = "reserved-kind"
        /// An edit or retraction naming an item this sender did not send, or one the gateway has not seen.
        case notAuthor = "not-author"
        /// The store could not commit; the source must not be acknowledged and should retry.
        case storeFailed = "store-failed"
    }

    public var reason: Reason
    public var detail: String

    public init(_ reason: Reason, _ detail: String) {
        self.reason = reason
        self.detail = detail
    }

    /// True when the gateway refuses the item for good (the source must be told, not asked to retry).
    public var isRefusal: Bool { self.reason != .storeFailed }

    public var description: String { "\(self.reason.rawValue): \(self.detail)" }
}
