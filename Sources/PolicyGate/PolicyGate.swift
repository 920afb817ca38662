public import BridgeModel

/// The one place that decides what may cross.
///
/// Semantics (see docs/policy.md):
/// - an information barrier between the two parties denies, whatever any rule says;
/// - inside one org: allow, unless a deny rule matches;
/// - across orgs (or with a party of unknown org): deny, unless an allow rule matches and no deny rule does;
/// - a matching deny always beats a matching allow;
/// - a matching quarantine rule holds for review what would otherwise be allowed (barrier beats deny beats
///   quarantine beats allow); a reviewer's release decides again without the rules that held it;
/// - rules and barriers in `audit-only` mode never decide: the decision says what they would have decided.
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
    /// What each decision reads of `rules`, in the same order.
    let compiled: [CompiledRule]
    let barriers: [PolicyDocument.Barrier]
    let index: PolicyIndex
    let barrierIndex: PolicyIndex
    /// Rules and barriers whose senders are told something else than the gateway's sentence, by id.
    let notices: [String: PolicyDocument.DenyNotice]
    /// Redact and annotate rules, by id, with their place in the policy (they apply in that order).
    let transformRules: [String: (rank: Int, rule: PolicyDocument.Rule)]
    /// Journal rules, by id.
    let journalRules: [String: PolicyDocument.Rule]
    /// Rate limit rules, by id.
    let rateLimitRules: [String: PolicyDocument.Rule]

    /// Compiles a policy document.
    /// - Parameter revision: identifies this policy in every decision (the loader passes a digest of the file).
    public init(policy: PolicyDocument, orgs: OrgDirectory, revision: String) {
        self.revision = revision
        self.orgs = orgs
        self.rules = policy.rules
        self.barriers = policy.barriers
        self.compiled = policy.rules.map(CompiledRule.init)
        var index = PolicyIndex()
        for (ruleIndex, rule) in policy.rules.enumerated() {
            // The loader has validated every subject; an unparsable one would have failed `bridged check`.
            let from = rule.from.compactMap(PolicySubject.init)
            let to = rule.to.compactMap(PolicySubject.init)
            index.insert(.init(rule: ruleIndex, from: from, to: to), orgs: orgs)
            if rule.bothWays { index.insert(.init(rule: ruleIndex, from: to, to: from), orgs: orgs) }
        }
        self.index = index
        var barrierIndex = PolicyIndex()
        for (barrierIndexInList, barrier) in policy.barriers.enumerated() {
            let sides = barrier.between.compactMap(PolicySubject.init)
            guard sides.count == 2 else { continue }
            barrierIndex.insert(.init(rule: barrierIndexInList, from: [sides[0]], to: [sides[1]]), orgs: orgs)
            barrierIndex.insert(.init(rule: barrierIndexInList, from: [sides[1]], to: [sides[0]]), orgs: orgs)
        }
        self.barrierIndex = barrierIndex
        var notices: [String: PolicyDocument.DenyNotice] = [:]
        for rule in policy.rules where rule.notice != .standard { notices[rule.id] = rule.notice }
        for barrier in policy.barriers where barrier.notice != .standard { notices[barrier.id] = barrier.notice }
        self.notices = notices
        var transformRules: [String: (rank: Int, rule: PolicyDocument.Rule)] = [:]
        for (rank, rule) in policy.rules.enumerated() where rule.action.transforms { transformRules[rule.id] = (rank, rule) }
        self.transformRules = transformRules
        var journalRules: [String: PolicyDocument.Rule] = [:]
        for rule in policy.rules where rule.action == .journal { journalRules[rule.id] = rule }
        self.journalRules = journalRules
        var rateLimitRules: [String: PolicyDocument.Rule] = [:]
        for rule in policy.rules where rule.action == .rateLimit { rateLimitRules[rule.id] = rule }
        self.rateLimitRules = rateLimitRules
    }

    /// What the sender of an item denied by `ids` is told.
    func notice(_ ids: [String]) -> PolicyDocument.DenyNotice {
        guard !self.notices.isEmpty else { return .standard }
        let chosen = ids.compactMap { self.notices[$0] }
        if chosen.contains(.silent) { return .silent }
        return chosen.first ?? .standard
    }

    /// The party for an address, with its org resolved from the domain and its groups from `orgs.toml`.
    public func party(_ address: Address) -> Party {
        Party(address: address, org: self.orgs.org(of: address), groups: self.orgs.groupIDs(of: address))
    }

    /// The party a room audience subject stands for: `org:NAME`, `group:ORG/NAME`, or a person.
    public func party(audience subject: String) -> Party {
        if subject.hasPrefix("org:") { return Party(address: nil, org: String(subject.dropFirst(4))) }
        if subject.hasPrefix("group:") {
            let id = String(subject.dropFirst(6))
            return Party(address: nil, org: self.orgs.groups[id]?.org, groups: self.orgs.expand(group: id))
        }
        if let address = try? Address(parsing: subject) { return self.party(address) }
        return Party(address: nil, org: nil)
    }

    /// Decides one request.
    /// - Parameter releasing: quarantine rules a reviewer overrode for this item (its release): they do not
    ///   hold it again. Nothing else is overridden: a deny or a barrier still decides.
    public func decide(_ request: PolicyRequest, releasing: Set<String> = []) -> PolicyDecision {
        var trace: [PolicyExplanation.Step]? = nil
        return self.evaluate(request, releasing: releasing, trace: &trace)
    }

    /// Decides one request and says which rules were considered, and why each matched or did not.
    public func explain(_ request: PolicyRequest, releasing: Set<String> = []) -> PolicyExplanation {
        var trace: [PolicyExplanation.Step]? = []
        let decision = self.evaluate(request, releasing: releasing, trace: &trace)
        return PolicyExplanation(request: request, steps: trace ?? [], decision: decision)
    }

    /// The rules and barriers that matched, by kind.
    private struct Matches {
        enum Kind {
            case barrier, allow, deny, quarantine, transform, journal, rateLimit, unproven
        }

        var barriers: [String] = []
        var allows: [String] = []
        var denies: [String] = []
        var quarantines: [String] = []
        var transforms: [String] = []
        var journals: [String] = []
        var rateLimits: [String] = []
        var unproven: [String] = []

        mutating func add(_ id: String, as kind: Kind) {
            switch kind {
            case .barrier: Self.add(id, to: &self.barriers)
            case .allow: Self.add(id, to: &self.allows)
            case .deny: Self.add(id, to: &self.denies)
            case .quarantine: Self.add(id, to: &self.quarantines)
            case .transform: Self.add(id, to: &self.transforms)
            case .journal: Self.add(id, to: &self.journals)
            case .rateLimit: Self.add(id, to: &self.rateLimits)
            case .unproven: Self.add(id, to: &self.unproven)
            }
        }

        static func add(_ id: String, to list: inout [String]) {
            if !list.contains(id) { list.append(id) }
        }
    }

    private func evaluate(
        _ request: PolicyRequest, releasing: Set<String>, trace: inout [PolicyExplanation.Step]?
    ) -> PolicyDecision {
        var enforced = Matches()
        // Only filled once an audit-only rule matched: what the decision would be if those rules decided.
        var shadow: Matches? = nil
        var auditOnly: [String] = []
        // The outcome is an autoclosure: without a trace (`decide`), no explanation sentence is built.
        func note(
            _ id: String, _ action: PolicyExplanation.Step.Action, _ mode: PolicyDocument.Mode,
            _ outcome: @autoclosure () -> PolicyExplanation.Step.Outcome
        ) {
            guard trace != nil else { return }
            let outcome = outcome()
            if let existing = trace!.firstIndex(where: { $0.id == id }) {
                // A two-way rule is offered once per direction: it matched if either direction did.
                if trace![existing].outcome != .matched, outcome == .matched || outcome == .unproven {
                    trace![existing].outcome = outcome
                }
                return
            }
            trace!.append(.init(id: id, action: action, mode: mode, outcome: outcome))
        }
        func matched(_ id: String, mode: PolicyDocument.Mode, as kind: Matches.Kind) {
            if mode == .auditOnly {
                if shadow == nil { shadow = enforced }
                Matches.add(id, to: &auditOnly)
            } else {
                enforced.add(id, as: kind)
            }
            if shadow != nil { shadow!.add(id, as: kind) }
        }

        if request.kind != .notice {
            for entry in self.barrierIndex.candidates(from: request.from, to: request.to) {
                let (id, mode) = (self.barriers[entry.rule].id, self.barriers[entry.rule].mode)
                guard entry.from[0].matches(request.from), entry.to[0].matches(request.to) else {
                    note(id, .barrier, mode, .notMatched("the parties are not on its two sides"))
                    continue
                }
                note(id, .barrier, mode, .matched)
                matched(id, mode: mode, as: .barrier)
            }
        }
        for entry in self.index.candidates(from: request.from, to: request.to) {
            let rule = self.compiled[entry.rule]
            guard rule.kinds.contains(request.kind), rule.action != .quarantine || releasing.isEmpty || !releasing.contains(rule.id) else {
                note(rule.id, rule.step, rule.mode, .notMatched(Self.inapplicable(self.rules[entry.rule], request.kind, releasing)))
                continue
            }
            guard entry.from.contains(where: { $0.matches(request.from) }) else {
                note(rule.id, rule.step, rule.mode, .notMatched("the sender matches no subject in \(rule.bothWays ? "from or to" : "from")"))
                continue
            }
            guard entry.to.contains(where: { $0.matches(request.to) }) else {
                note(rule.id, rule.step, rule.mode, .notMatched("the recipient matches no subject in \(rule.bothWays ? "to or from" : "to")"))
                continue
            }
            var because: [String] = []
            if rule.hasConditions {
                let outcome = self.rules[entry.rule].conditions.check(
                    request.content, senderAuthenticated: request.senderAuthenticated, explain: trace != nil
                )
                guard outcome.holds else {
                    note(rule.id, rule.step, rule.mode, .notMatched(outcome.because.first ?? "a condition does not hold"))
                    continue
                }
                because = outcome.because
            }
            func noteRule(_ outcome: PolicyExplanation.Step.Outcome) {
                note(rule.id, rule.step, rule.mode, outcome)
                if !because.isEmpty, let index = trace?.lastIndex(where: { $0.id == rule.id }), trace![index].because.isEmpty {
                    trace![index].because = because
                }
            }
            switch rule.action {
            case .allow where !request.senderAuthenticated && !rule.allowUnauthenticated:
                // Who sent it is not proven: only a rule that says so lets it across org lines.
                noteRule(.unproven)
                matched(rule.id, mode: rule.mode, as: .unproven)
            case .allow:
                noteRule(.matched)
                matched(rule.id, mode: rule.mode, as: .allow)
            case .deny:
                noteRule(.matched)
                matched(rule.id, mode: rule.mode, as: .deny)
            case .quarantine:
                noteRule(.matched)
                matched(rule.id, mode: rule.mode, as: .quarantine)
            case .redact, .annotate:
                noteRule(.matched)
                matched(rule.id, mode: rule.mode, as: .transform)
            case .journal:
                noteRule(.matched)
                matched(rule.id, mode: rule.mode, as: .journal)
            case .rateLimit:
                noteRule(.matched)
                matched(rule.id, mode: rule.mode, as: .rateLimit)
            }
        }
        let decision = self.combine(request, enforced)
        guard let shadow else { return decision }
        let would = self.combine(request, shadow)
        guard would.ruleIDs.contains(where: auditOnly.contains) else { return decision }
        return decision.with(wouldBe: .init(effect: would.effect, ruleIDs: would.ruleIDs))
    }

    /// Why a rule whose kinds leave out `kind`, or that a reviewer released, was not matched: the first of
    /// the checks its compiled kinds fold together that fails, as `explain` says it.
    private static func inapplicable(_ rule: PolicyDocument.Rule, _ kind: EnvelopeKind, _ releasing: Set<String>) -> String {
        if !rule.action.decides, !PolicyDocument.Rule.transformableKinds.contains(kind) {
            return "only messages and edits are changed, not \(kind.rawValue)"
        }
        if rule.action == .quarantine, !PolicyDocument.Rule.quarantinableKinds.contains(kind) {
            return "only messages and edits are held, not \(kind.rawValue)"
        }
        if rule.action == .quarantine, releasing.contains(rule.id) { return "a reviewer released the item this rule held" }
        let kinds = rule.kinds.map(\.rawValue).sorted().joined(separator: ", ")
        return "kind \(kind.rawValue) is not one of \(kinds)"
    }

    private func combine(_ request: PolicyRequest, _ matches: Matches) -> PolicyDecision {
        var decision = self.combineDecision(request, matches)
        if !matches.rateLimits.isEmpty, decision.effect != .deny, request.kind != .notice {
            decision = decision.with(rateLimits: matches.rateLimits)
        }
        guard !matches.journals.isEmpty, request.kind != .notice else { return decision }
        // A journal copy goes for what is allowed or held, and for a denial (a barrier's too) where the rule
        // says so: a compliance archive is on no side of a barrier.
        let journals = decision.effect == .deny
            ? matches.journals.filter { self.journalRules[$0]?.journalDenied == true } : matches.journals
        return journals.isEmpty ? decision : decision.with(journals: journals)
    }

    private func combineDecision(_ request: PolicyRequest, _ matches: Matches) -> PolicyDecision {
        let decision = self.combineAllowDeny(request, matches)
        // A hold applies only to what would otherwise cross: an item denied anyway is denied, not held (a
        // release could never deliver it).
        guard decision.isAllowed, request.kind != .notice else { return decision }
        // Redactions and disclaimers go with whatever lets the item through, now or at its release.
        let transforms = self.inPolicyOrder(matches.transforms)
        guard !matches.quarantines.isEmpty else { return transforms.isEmpty ? decision : decision.with(transforms: transforms) }
        let holding = matches.quarantines.joined(separator: ", ")
        return PolicyDecision(
            effect: .quarantine, ruleIDs: matches.quarantines, revision: self.revision,
            reason: Self.reason(request) { $0.write(" is held for review by \(holding)") },
            notice: self.notice(matches.quarantines), transforms: transforms
        )
    }

    /// Redact and annotate rule ids in the order the policy lists them (a few dictionary lookups, not a
    /// walk over every rule).
    func inPolicyOrder(_ ids: [String]) -> [String] {
        guard ids.count > 1 else { return ids }
        // The comparison captures the ranks alone, not a copy of the whole gate.
        let ranks = self.transformRules
        return ids.sorted { (ranks[$0]?.rank ?? Int.max) < (ranks[$1]?.rank ?? Int.max) }
    }

    private func combineAllowDeny(_ request: PolicyRequest, _ matches: Matches) -> PolicyDecision {
        let (allows, denies, unproven) = (matches.allows, matches.denies, matches.unproven)
        if request.kind == .notice { return self.combineNotice(request, denies: denies) }
        if !matches.barriers.isEmpty {
            let barriers = matches.barriers.joined(separator: ", ")
            return PolicyDecision(
                effect: .deny, ruleIDs: matches.barriers, revision: self.revision,
                reason: Self.reason(request) { $0.write(" crosses the information barrier \(barriers)") },
                notice: self.notice(matches.barriers)
            )
        }
        if !denies.isEmpty {
            return PolicyDecision(
                effect: .deny, ruleIDs: denies, revision: self.revision, reason: Self.reason(request) { $0.write(" is denied by policy") },
                notice: self.notice(denies)
            )
        }
        guard let fromOrg = request.from.org, let toOrg = request.to.org else {
            if !allows.isEmpty {
                return PolicyDecision(
                    effect: .allow, ruleIDs: allows, revision: self.revision, reason: Self.reason(request) { $0.write(" is allowed") }
                )
            }
            return PolicyDecision(
                effect: .deny, ruleIDs: Self.unknownOrgDenyIDs, revision: self.revision,
                reason: Self.reason(request) { $0.write(": a party belongs to no known org, and no rule allows it") }
            )
        }
        if fromOrg == toOrg {
            return PolicyDecision(
                effect: .allow, ruleIDs: allows.isEmpty ? Self.intraOrgAllowIDs : allows, revision: self.revision,
                reason: Self.reason(request) {
                    $0.write(" stays inside org ")
                    $0.write(fromOrg)
                }
            )
        }
        if !allows.isEmpty {
            return PolicyDecision(
                effect: .allow, ruleIDs: allows, revision: self.revision, reason: Self.reason(request) { $0.write(" is allowed") }
            )
        }
        if !request.senderAuthenticated {
            let only = unproven.isEmpty ? "" : " (rules \(unproven.joined(separator: ", ")) allow only authenticated senders)"
            return PolicyDecision(
                effect: .deny, ruleIDs: Self.unauthenticatedDenyIDs, revision: self.revision,
                reason: Self.reason(request) {
                    $0.write(" crosses org lines, but the sender's identity is not authenticated")
                    $0.write(only)
                }
            )
        }
        return PolicyDecision(
            effect: .deny, ruleIDs: Self.crossOrgDenyIDs, revision: self.revision,
            reason: Self.reason(request) {
                $0.write(" crosses from org ")
                $0.write(fromOrg)
                $0.write(" to org ")
                $0.write(toOrg)
                $0.write(", and no rule allows it")
            }
        )
    }

    /// The built-in defaults as the rule ids of a decision, made once.
    private static let unknownOrgDenyIDs = [unknownOrgDeny]
    private static let intraOrgAllowIDs = [intraOrgAllow]
    private static let unauthenticatedDenyIDs = [unauthenticatedDeny]
    private static let crossOrgDenyIDs = [crossOrgDeny]

    /// `KIND from FROM to TO` and what `rest` writes after it: most reasons, written in one piece (every
    /// decision has a reason).
    private static func reason(_ request: PolicyRequest, _ rest: (inout ReasonText) -> Void) -> String {
        ReasonText.make { text in
            text.write(request.kind.rawValue)
            text.write(" from ")
            request.from.write(to: &text)
            text.write(" to ")
            request.to.write(to: &text)
            rest(&text)
        }
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
}
