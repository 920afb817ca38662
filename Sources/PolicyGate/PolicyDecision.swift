public import BridgeModel

/// One side of a policy question: a person (with their org), or a whole org (a bridged room's side).
public struct Party: Hashable, Sendable, CustomStringConvertible {
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
        switch (self.address, self.org) {
        case (let address?, let org?): "\(address) (\(org))"
        case (let address?, nil): "\(address) (unknown org)"
        case (nil, let org?) where !self.groups.isEmpty: "group \(self.groups.sorted().joined(separator: ", ")) (\(org))"
        case (nil, let org?): "org \(org)"
        case (nil, nil): "unknown party"
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

    init(
        effect: Effect, ruleIDs: [String], revision: String, reason: String, wouldBe: WouldBe? = nil,
        notice: PolicyDocument.DenyNotice = .standard
    ) {
        self.effect = effect
        self.ruleIDs = ruleIDs
        self.revision = revision
        self.reason = reason
        self.wouldBe = wouldBe
        self.notice = notice
    }

    func with(wouldBe: WouldBe?) -> PolicyDecision {
        PolicyDecision(
            effect: self.effect, ruleIDs: self.ruleIDs, revision: self.revision, reason: self.reason, wouldBe: wouldBe,
            notice: self.notice
        )
    }

    public var isAllowed: Bool { self.effect == .allow }
    /// Held for review: neither delivered nor refused until a reviewer releases or rejects it.
    public var isHeld: Bool { self.effect == .quarantine }

    public var description: String { "\(self.effect.rawValue) by \(self.ruleIDs.joined(separator: ", ")): \(self.reason)" }
}

/// Proof that the gate allowed an envelope to go to one destination. The router can only enqueue an
/// outbound delivery with a clearance, and only ``PolicyGate`` can make one.
public struct Clearance: Hashable, Sendable {
    public let envelopeID: EnvelopeID
    public let adapter: String
    public let target: Delivery.Target
    /// The allow decisions this clearance rests on (one per recipient, or one for a room's side).
    public let decisions: [PolicyDecision]

    init(envelopeID: EnvelopeID, adapter: String, target: Delivery.Target, decisions: [PolicyDecision]) {
        self.envelopeID = envelopeID
        self.adapter = adapter
        self.target = target
        self.decisions = decisions
    }
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

    public init(revision: String, ruleIDs: [String]) {
        self.revision = revision
        self.ruleIDs = ruleIDs
    }

    /// A row that must be decided again before it goes anywhere: replayed dead letters, rows queued by a
    /// version that kept no clearance.
    public static let undecided = StoredClearance(revision: "", ruleIDs: [])
}
