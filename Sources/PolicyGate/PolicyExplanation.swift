public import BridgeModel

/// What `bridged policy explain` prints: every rule and barrier the index offered, and why each matched or not.
public struct PolicyExplanation: Sendable, Hashable {
    public struct Step: Sendable, Hashable {
        public enum Action: String, Sendable, Hashable {
            case allow
            case deny
            case quarantine
            case redact
            case annotate
            case journal
            case rateLimit = "rate_limit"
            case barrier
        }

        public enum Outcome: Sendable, Hashable {
            case matched
            /// An allow rule that matched, but the sender is not authenticated and it does not say
            /// `allow_unauthenticated`.
            case unproven
            case notMatched(String)
        }

        public var id: String
        public var action: Action
        public var mode: PolicyDocument.Mode
        public var outcome: Outcome
        /// For a rule with conditions that matched: what held (the word found, the window it was sent in).
        public var because: [String] = []
    }

    public var request: PolicyRequest
    public var steps: [Step]
    public var decision: PolicyDecision

    /// Rule and barrier ids the index offered for this pair of orgs.
    public var considered: [String] { self.steps.map(\.id) }
    public var matchedAllow: [String] { self.ids(.allow) }
    public var matchedDeny: [String] { self.ids(.deny) }
    public var matchedQuarantine: [String] { self.ids(.quarantine) }
    public var matchedBarriers: [String] { self.ids(.barrier) }

    private func ids(_ action: Step.Action) -> [String] {
        self.steps.filter { $0.action == action && $0.outcome == .matched }.map(\.id)
    }
}
