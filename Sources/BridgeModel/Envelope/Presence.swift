/// A presence update between two people (RFC 6121 §4): whether they are reachable, and how.
///
/// Carried by envelopes of kind ``EnvelopeKind/presence``. A `probe` asks the contact's side for its current
/// presence; it crosses the policy gate like any other presence.
public struct PresenceUpdate: Hashable, Sendable, Codable {
    public enum Availability: String, Hashable, Sendable, Codable {
        case available
        case unavailable
        case probe
    }

    /// The RFC 6121 §4.7.2.1 `show` values; absent means plain "online".
    public enum Show: String, Hashable, Sendable, Codable, CaseIterable {
        case away
        case chat
        case dnd
        case xa
    }

    public var availability: Availability
    public var show: Show?
    /// Free text the person set ("in a meeting").
    public var status: String?

    public init(availability: Availability, show: Show? = nil, status: String? = nil) {
        self.availability = availability
        self.show = show
        self.status = status
    }
}

/// What a subscription envelope asks or answers (RFC 6121 §3): kind ``EnvelopeKind/subscription``.
public enum SubscriptionAction: String, Hashable, Sendable, Codable, CaseIterable {
    /// The sender asks to see the recipient's presence.
    case request
    /// The sender lets the recipient see its presence.
    case approve
    /// The sender refuses or revokes the recipient's view of its presence.
    case deny
    /// The sender no longer wants to see the recipient's presence.
    case cancel
}
