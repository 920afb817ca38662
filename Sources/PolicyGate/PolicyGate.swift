public import BridgeModel

/// The one place that decides what may cross.
///
/// Semantics (see docs/policy.md):
/// - inside one org: allow, unless a deny rule matches;
/// - across orgs (or with a party of unknown org): deny, unless an allow rule matches and no deny rule does;
/// - a matching deny always beats a matching allow.
///
/// A gate is an immutable compiled snapshot of `policy.toml` and `orgs.toml`; a reload builds a new one.
public struct PolicyGate: Sendable {
    public static let intraOrgAllow = ReservedRuleID.intraOrgAllow
    public static let crossOrgDeny = ReservedRuleID.crossOrgDeny
    public static let unknownOrgDeny = ReservedRuleID.unknownOrgDeny
    public static let unauthenticatedDeny = ReservedRuleID.unauthenticatedDeny

    public let revision: String
    public let orgs: OrgDirectory
    let rules: [PolicyDocument.Rule]
    let index: PolicyIndex

    /// Compiles a policy document.
    /// - Parameter revision: identifies this policy in every decision (the loader passes a digest of the file).
    public init(policy: PolicyDocument, orgs: OrgDirectory, revision: String) {
        self.revision = revision
        self.orgs = orgs
        self.rules = policy.rules
        var index = PolicyIndex()
        var serial = 0
        for (ruleIndex, rule) in policy.rules.enumerated() {
            // The loader has validated every subject; an unparsable one would have failed `bridged check`.
            let from = rule.from.compactMap(PolicySubject.init)
            let to = rule.to.compactMap(PolicySubject.init)
            index.insert(.init(serial: serial, rule: ruleIndex, from: from, to: to), orgs: orgs)
            serial += 1
            if rule.bothWays {
                index.insert(.init(serial: serial, rule: ruleIndex, from: to, to: from), orgs: orgs)
                serial += 1
            }
        }
        self.index = index
    }

    /// The party for an address, with its org resolved from the domain.
    public func party(_ address: Address) -> Party {
        Party(address: address, org: self.orgs.org(of: address))
    }

    /// Decides one request.
    public func decide(_ request: PolicyRequest) -> PolicyDecision {
        self.explain(request).decision
    }

    /// Decides one request and says which rules were considered and which matched.
    public func explain(_ request: PolicyRequest) -> PolicyExplanation {
        var considered: [String] = []
        var allows: [String] = []
        var denies: [String] = []
        var unproven: [String] = []
        for entry in self.index.candidates(from: request.from, to: request.to) {
            let rule = self.rules[entry.rule]
            considered.append(rule.id)
            guard rule.kinds.isEmpty || rule.kinds.contains(request.kind) else { continue }
            guard entry.from.contains(where: { $0.matches(request.from) }),
                entry.to.contains(where: { $0.matches(request.to) })
            else { continue }
            switch rule.action {
            case .allow where !request.senderAuthenticated && !rule.allowUnauthenticated:
                // Who sent it is not proven: only a rule that says so lets it across org lines.
                if !unproven.contains(rule.id) { unproven.append(rule.id) }
            case .allow: if !allows.contains(rule.id) { allows.append(rule.id) }
            case .deny: if !denies.contains(rule.id) { denies.append(rule.id) }
            }
        }
        let decision = self.combine(request, allows: allows, denies: denies, unproven: unproven)
        return PolicyExplanation(request: request, considered: considered, matchedAllow: allows, matchedDeny: denies, decision: decision)
    }

    private func combine(_ request: PolicyRequest, allows: [String], denies: [String], unproven: [String]) -> PolicyDecision {
        if request.kind == .notice { return self.combineNotice(request, denies: denies) }
        let pair = "\(request.kind.rawValue) from \(request.from) to \(request.to)"
        if !denies.isEmpty {
            return PolicyDecision(effect: .deny, ruleIDs: denies, revision: self.revision, reason: "\(pair) is denied by policy")
        }
        guard let fromOrg = request.from.org, let toOrg = request.to.org else {
            if !allows.isEmpty {
                return PolicyDecision(effect: .allow, ruleIDs: allows, revision: self.revision, reason: "\(pair) is allowed")
            }
            return PolicyDecision(
                effect: .deny, ruleIDs: [Self.unknownOrgDeny], revision: self.revision,
                reason: "\(pair): a party belongs to no known org, and no rule allows it"
            )
        }
        if fromOrg == toOrg {
            return PolicyDecision(
                effect: .allow, ruleIDs: allows.isEmpty ? [Self.intraOrgAllow] : allows, revision: self.revision,
                reason: "\(pair) stays inside org \(fromOrg)"
            )
        }
        if !allows.isEmpty {
            return PolicyDecision(effect: .allow, ruleIDs: allows, revision: self.revision, reason: "\(pair) is allowed")
        }
        if !request.senderAuthenticated {
            return PolicyDecision(
                effect: .deny, ruleIDs: [Self.unauthenticatedDeny], revision: self.revision,
                reason: "\(pair) crosses org lines, but the sender's identity is not authenticated"
                    + (unproven.isEmpty ? "" : " (rules \(unproven.joined(separator: ", ")) allow only authenticated senders)")
            )
        }
        return PolicyDecision(
            effect: .deny, ruleIDs: [Self.crossOrgDeny], revision: self.revision,
            reason: "\(pair) crosses from org \(fromOrg) to org \(toOrg), and no rule allows it"
        )
    }

    /// A notice is the gateway's answer to a sender about their own item. It may come only from the
    /// gateway, goes only to a sender whose identity was authenticated (a forged `From:` never makes the
    /// real person receive anything), and a matching deny rule (for example `kinds = ["notice"]`) still
    /// stops it. The router addresses notices only to the original sender through the adapter that
    /// accepted the original.
    private func combineNotice(_ request: PolicyRequest, denies: [String]) -> PolicyDecision {
        let pair = "notice to \(request.to)"
        if request.from.address != GatewayIdentity.address || request.to.address == GatewayIdentity.address {
            return PolicyDecision(
                effect: .deny, ruleIDs: [ReservedRuleID.noticeMisaddressedDeny], revision: self.revision,
                reason: "\(pair): only the gateway writes notices, and never to itself"
            )
        }
        if !denies.isEmpty {
            return PolicyDecision(effect: .deny, ruleIDs: denies, revision: self.revision, reason: "\(pair) is denied by policy")
        }
        guard request.senderAuthenticated else {
            return PolicyDecision(
                effect: .deny, ruleIDs: [ReservedRuleID.noticeUnauthenticatedDeny], revision: self.revision,
                reason: "\(pair): the original sender's identity is not authenticated, so nobody is told"
            )
        }
        return PolicyDecision(
            effect: .allow, ruleIDs: [ReservedRuleID.noticeToSender], revision: self.revision,
            reason: "\(pair) about their own item"
        )
    }

    /// Confirms a queued delivery's clearance: a clearance again when `stored` was made by this gate's own
    /// revision, nil when the policy changed since (or the row was never cleared) and the item must be
    /// decided again.
    public func confirm(
        _ stored: StoredClearance, envelope: Envelope, adapter: String, target: Delivery.Target
    ) -> Clearance? {
        guard !stored.revision.isEmpty, stored.revision == self.revision, !stored.ruleIDs.isEmpty else { return nil }
        let decision = PolicyDecision(
            effect: .allow, ruleIDs: stored.ruleIDs, revision: self.revision, reason: "cleared under this revision"
        )
        return Clearance(envelopeID: envelope.id, adapter: adapter, target: target, decisions: [decision])
    }

    /// Clears an envelope for one destination, given the decisions for every party it reaches there.
    ///
    /// - Returns: nil unless every decision was made by this gate's revision and allows.
    public func clear(
        _ envelope: Envelope,
        adapter: String,
        target: Delivery.Target,
        decisions: [PolicyDecision]
    ) -> Clearance? {
        guard !decisions.isEmpty, decisions.allSatisfy({ $0.isAllowed && $0.revision == self.revision }) else {
            return nil
        }
        return Clearance(envelopeID: envelope.id, adapter: adapter, target: target, decisions: decisions)
    }
}

/// What `bridged policy explain` prints.
public struct PolicyExplanation: Sendable, Hashable {
    public var request: PolicyRequest
    /// Rule ids the index offered for this pair of orgs.
    public var considered: [String]
    public var matchedAllow: [String]
    public var matchedDeny: [String]
    public var decision: PolicyDecision
}
