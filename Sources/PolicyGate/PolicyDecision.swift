public import BridgeModel

/// One side of a policy question: a person (with their org), or a whole org (a bridged room's side).
public struct Party: Hashable, Sendable, CustomStringConvertible, TextOutputStreamable {
    public var address: Address?
    /// nil when the address's domain belongs to no known org.
    public var org: String?
    /// The ids (`ORG/NAME`) of the groups the party belongs to: a person's, from `orgs.toml`; a room
    /// audience's, the group it names.
    public var groups: Set<String>

    public init(address: Address?, org: String?, groups: Set<String> = []) {
        self.address = address
        self.org = org
        self.groups = groups
    }

    public var description: String {
        var text = ""
        self.write(to: &text)
        return text
    }

    /// Writes ``description`` straight into `target` (every decision's reason names both parties).
    public func write(to target: inout some TextOutputStream) {
        switch (self.address, self.org) {
        case (let address?, let org?):
            address.write(to: &target)
            target.write(" (")
            target.write(org)
            target.write(")")
        case (let address?, nil):
            address.write(to: &target)
            target.write(" (unknown org)")
        case (nil, let org?) where !self.groups.isEmpty:
            target.write("group \(self.groups.sorted().joined(separator: ", ")) (\(org))")
        case (nil, let org?):
            target.write("org ")
            target.write(org)
        case (nil, nil):
            target.write("unknown party")
        }
    }
}

/// The question the gate answers: may `from` send this kind of thing to `to`?
public struct PolicyRequest: Hashable, Sendable {
    public var kind: EnvelopeKind
    public var from: Party
    public var to: Party
    /// False when the sender's protocol could not prove who sent it (an envelope labelled
    /// `unauthenticated`, such as email without an aligned DKIM or SPF pass).
    public var senderAuthenticated: Bool
    /// Where it goes, what it says and when it was sent: what rule conditions look at.
    public var content: PolicyContent

    public init(
        kind: EnvelopeKind, from: Party, to: Party, senderAuthenticated: Bool = true, content: PolicyContent = PolicyContent()
    ) {
        self.kind = kind
        self.from = from
        self.to = to
        self.senderAuthenticated = senderAuthenticated
        self.content = content
    }
}

/// The gate's answer, with the rule ids that decided it and the policy revision in force.
///
/// Only the gate creates decisions: nothing else in the process can claim that policy allowed something.
public struct PolicyDecision: Hashable, Sendable, CustomStringConvertible {
    public enum Effect: String, Hashable, Sendable, Codable {
        case allow
        case deny
        /// Held for review: a quarantine rule matched what would otherwise be allowed.
        case quarantine
    }

    /// What the decision would have been if the rules in `audit-only` mode decided: recorded, never acted on.
    public struct WouldBe: Hashable, Sendable {
        public let effect: Effect
        public let ruleIDs: [String]
    }

    public let effect: Effect
    /// The rules that decided; built-in defaults are named `default:...`.
    public let ruleIDs: [String]
    public let revision: String
    /// A sentence for operators and for the notice to a denied sender.
    public let reason: String
    /// Set when an audit-only rule would have decided this item.
    public let wouldBe: WouldBe?
    /// For a deny or a hold: what the deciding rules say the sender is told (any silent rule makes it silent; else the
    /// first rule's own text; else the gateway's sentence).
    public let notice: PolicyDocument.DenyNotice
    /// For an item that goes through (allowed, or held and later released): the redact and annotate rules that
    /// matched, in policy order. ``PolicyGate/clear(_:adapter:target:decisions:)`` applies them.
    public let transforms: [String]
    /// The journal rules that matched and copy this item (for a denial, only those with `journal_denied`).
    public let journals: [String]
    /// For an item that goes through: the rate_limit rules that count it. The router takes a token from
    /// each (once per item); one that has none left makes the gate deny it (``PolicyGate/overLimit(_:_:exceeded:)``).
    public let rateLimits: [String]

    init(
        effect: Effect, ruleIDs: [String], revision: String, reason: String, wouldBe: WouldBe? = nil,
        notice: PolicyDocument.DenyNotice = .standard, transforms: [String] = [], journals: [String] = [],
        rateLimits: [String] = []
    ) {
        self.journals = journals
        self.rateLimits = rateLimits
        self.effect = effect
        self.ruleIDs = ruleIDs
        self.revision = revision
        self.reason = reason
        self.wouldBe = wouldBe
        self.notice = notice
        self.transforms = transforms
    }

    /// This decision with some of its annotations replaced (a nil argument keeps the field).
    func with(
        wouldBe: WouldBe?? = nil, transforms: [String]? = nil, journals: [String]? = nil, rateLimits: [String]? = nil
    ) -> PolicyDecision {
        PolicyDecision(
            effect: self.effect, ruleIDs: self.ruleIDs, revision: self.revision, reason: self.reason,
            wouldBe: wouldBe ?? self.wouldBe, notice: self.notice, transforms: transforms ?? self.transforms,
            journals: journals ?? self.journals, rateLimits: rateLimits ?? self.rateLimits
        )
    }

    public var isAllowed: Bool { self.effect == .allow }
    /// Held for review: neither delivered nor refused until a reviewer releases or rejects it.
    public var isHeld: Bool { self.effect == .quarantine }

    public var description: String { "\(self.effect.rawValue) by \(self.ruleIDs.joined(separator: ", ")): \(self.reason)" }
}

/// Proof that the gate allowed an envelope to go to one destination. The router can only enqueue an
/// outbound delivery with a clearance, and only ``PolicyGate`` can make one.
///
/// A clearance carries the envelope exactly as it may be delivered: redacted and annotated by the rules the
/// decisions name. What is cleared is what is delivered; the original is not reachable from a clearance.
public struct Clearance: Hashable, Sendable {
    /// One span a redact rule masked: the rule and what it found (the text is for hashing into the audit
    /// record, never for writing down).
    public struct Redacted: Hashable, Sendable {
        public let rule: String
        public let finding: Redaction.Finding
    }

    public let envelopeID: EnvelopeID
    public let adapter: String
    public let target: Delivery.Target
    /// The allow decisions this clearance rests on (one per recipient, or one for a room's side).
    public let decisions: [PolicyDecision]
    /// What may be delivered: the envelope after the decisions' redactions and disclaimers.
    public let envelope: Envelope
    /// What this clearance masked, and the annotate rules whose disclaimers it appended.
    public let redacted: [Redacted]
    public let annotatedBy: [String]

    init(
        envelope: Envelope, adapter: String, target: Delivery.Target, decisions: [PolicyDecision], redacted: [Redacted] = [],
        annotatedBy: [String] = []
    ) {
        self.envelopeID = envelope.id
        self.envelope = envelope
        self.adapter = adapter
        self.target = target
        self.decisions = decisions
        self.redacted = redacted
        self.annotatedBy = annotatedBy
    }

    /// True when the envelope differs from the one decided.
    public var transformed: Bool { !self.redacted.isEmpty || !self.annotatedBy.isEmpty }
}

extension Clearance {
    /// What the outbox row keeps of this clearance.
    public var stored: StoredClearance {
        var rules: [String] = []
        for rule in self.decisions.flatMap(\.ruleIDs) where !rules.contains(rule) { rules.append(rule) }
        return StoredClearance(revision: self.decisions.first?.revision ?? "", ruleIDs: rules)
    }
}

/// What a queued delivery keeps of the clearance it was enqueued with: the policy revision that cleared
/// it and the rules that decided. It is a record, not a proof: before every attempt the delivery worker
/// hands it to the gate in force, which confirms it (same revision) or must decide the item again.
public struct StoredClearance: Hashable, Sendable, Codable {
    public var revision: String
    public var ruleIDs: [String]
    /// The digest of the content the row holds (subject, body, rich body, attachments) when it was cleared:
    /// a row whose content no longer has it is decided again, never delivered on this clearance.
    public var contentDigest: String?
    /// The quarantine rules a reviewer overrode to release this row: deciding it again after a reload does
    /// not hold it again by them.
    public var released: [String]?

    public init(revision: String, ruleIDs: [String], contentDigest: String? = nil, released: [String]? = nil) {
        self.revision = revision
        self.ruleIDs = ruleIDs
        self.contentDigest = contentDigest
        self.released = released
    }

    /// A row that must be decided again before it goes anywhere: replayed dead letters, rows queued by a
    /// version that kept no clearance.
    public static let undecided = StoredClearance(revision: "", ruleIDs: [])
}
