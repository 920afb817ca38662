/// Labels the gateway itself puts on envelopes. Adapters and the gate use these constants, never literals,
/// so the producer and the consumer of a label cannot drift apart.
public enum EnvelopeLabel {
    /// The sender's protocol could not prove who sent it (email without an aligned DKIM or SPF pass). The
    /// gate denies such envelopes across org lines unless a rule says `allow_unauthenticated`, and the
    /// gateway never answers such a sender with a notice.
    public static let unauthenticated = "unauthenticated"
    /// A journal rule's copy of an item, on its way to the journal destination: delivered under its own key
    /// and never recorded in the id map, so it is never taken for the item itself.
    public static let journalCopy = "journal-copy"
    /// Marks an envelope as carrying an annotate rule's disclaimer (`annotated:RULE`).
    public static func annotated(_ rule: String) -> String { "annotated:\(rule)" }
}

/// Rule ids of the gate's built-in decisions. Operators' rule ids may not start with ``prefix``.
public enum ReservedRuleID {
    public static let prefix = "default:"
    public static let intraOrgAllow = "default:intra-org-allow"
    public static let crossOrgDeny = "default:cross-org-deny"
    public static let unknownOrgDeny = "default:unknown-org-deny"
    public static let unauthenticatedDeny = "default:unauthenticated-cross-org-deny"
    /// A notice from the gateway to the authenticated sender of the item it is about.
    public static let noticeToSender = "default:notice-to-sender"
    /// A notice is never sent to a sender whose identity was not authenticated.
    public static let noticeUnauthenticatedDeny = "default:notice-unauthenticated-deny"
    /// A notice is never about a notice, and never comes from anyone but the gateway.
    public static let noticeMisaddressedDeny = "default:notice-misaddressed-deny"
    /// An edit or retraction of an item the sender did not send.
    public static let notAuthorDeny = "default:not-author-deny"
}

/// The gateway as an author: the sender of every notice it writes to a person about their own item.
public enum GatewayIdentity {
    /// `bridged@gateway.invalid`: the reserved `.invalid` top-level domain (RFC 2606) belongs to no org, so
    /// no person can ever be this address, and no rule that names a real org or domain matches it.
    public static let address = Address(validated: "bridged", domain: "gateway.invalid")
    public static let displayName = "bridged gateway"
    public static var participant: Participant { Participant(address: Self.address, displayName: Self.displayName) }
}
