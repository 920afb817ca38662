import BridgeModel

/// What a decision reads of one rule before its subjects and conditions, worked out once when the policy is
/// compiled: the per-decision checks become a bit test and a few flags.
struct CompiledRule: Sendable {
    let id: String
    let action: PolicyDocument.Rule.Action
    /// The action as an explanation names it.
    let step: PolicyExplanation.Step.Action
    let mode: PolicyDocument.Mode
    /// The kinds the rule can match: its own `kinds` (every kind when empty), narrowed to messages and edits
    /// for a rule that holds, changes, copies or counts them.
    let kinds: KindSet
    let hasConditions: Bool
    let allowUnauthenticated: Bool
    let bothWays: Bool

    init(_ rule: PolicyDocument.Rule) {
        self.id = rule.id
        self.action = rule.action
        self.step = switch rule.action {
        case .allow: .allow
        case .deny: .deny
        case .quarantine: .quarantine
        case .redact: .redact
        case .annotate: .annotate
        case .journal: .journal
        case .rateLimit: .rateLimit
        }
        self.mode = rule.mode
        var kinds = rule.kinds.isEmpty ? KindSet.all : KindSet(rule.kinds)
        if !rule.action.decides { kinds.formIntersection(KindSet(PolicyDocument.Rule.transformableKinds)) }
        if rule.action == .quarantine { kinds.formIntersection(KindSet(PolicyDocument.Rule.quarantinableKinds)) }
        self.kinds = kinds
        self.hasConditions = !rule.conditions.isEmpty
        self.allowUnauthenticated = rule.allowUnauthenticated
        self.bothWays = rule.bothWays
    }
}

/// Envelope kinds as one bit each.
struct KindSet: Sendable, Hashable {
    private var bits: UInt8

    static let all = KindSet(EnvelopeKind.allCases)

    init(_ kinds: some Sequence<EnvelopeKind>) {
        self.bits = kinds.reduce(0) { $0 | Self.bit($1) }
    }

    func contains(_ kind: EnvelopeKind) -> Bool { self.bits & Self.bit(kind) != 0 }

    mutating func formIntersection(_ other: KindSet) { self.bits &= other.bits }

    private static func bit(_ kind: EnvelopeKind) -> UInt8 {
        switch kind {
        case .message: 1 << 0
        case .presence: 1 << 1
        case .subscription: 1 << 2
        case .receipt: 1 << 3
        case .edit: 1 << 4
        case .retraction: 1 << 5
        case .notice: 1 << 6
        }
    }
}
