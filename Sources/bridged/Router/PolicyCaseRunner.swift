import Foundation
import BridgeModel
import PolicyGate

/// Runs an IT team's own policy test cases against a routing snapshot, like `opa test`: each case asks the
/// gate one question and compares the answer with what the case expects.
struct PolicyCaseRunner {
    struct Result: Sendable {
        var policyCase: PolicyCase
        /// What the gate said, in the case's own terms.
        var got: String
        /// Empty when the case passed.
        var problems: [String]

        var passed: Bool { self.problems.isEmpty }

        /// `FILE:LINE: case "NAME": …`, one line per mismatch.
        var report: String {
            let place = self.policyCase.file + (self.policyCase.line.map { ":\($0)" } ?? "")
            return "\(place): case \"\(self.policyCase.name)\": \(self.problems.joined(separator: "; ")) (got \(self.got))"
        }
    }

    let routing: Routing

    func run(_ cases: [PolicyCase]) -> [Result] { cases.map(self.run) }

    func run(_ policyCase: PolicyCase) -> Result {
        let decisions = self.decisions(policyCase)
        // A room line is allowed only where every audience is, and held where one is held and none denied;
        // a direct case has one decision.
        let denied = decisions.filter { $0.effect == .deny }
        let held = decisions.filter(\.isHeld)
        let deciding = !denied.isEmpty ? denied : (!held.isEmpty ? held : decisions)
        let effect: PolicyCase.Expectation =
            decisions.isEmpty || !denied.isEmpty ? .deny : (held.isEmpty ? .allow : .quarantine)
        let rules = Self.unique(deciding.flatMap(\.ruleIDs))
        let would = decisions.compactMap(\.wouldBe)
        let wouldEffect: PolicyCase.Expectation =
            if would.isEmpty { .none } else if would.contains(where: { $0.effect == .deny }) { .deny }
            else if would.contains(where: { $0.effect == .quarantine }) { .quarantine } else { .allow }
        let wouldRules = Self.unique(would.flatMap(\.ruleIDs))

        var problems: [String] = []
        if effect != policyCase.expect { problems.append("expected \(policyCase.expect.rawValue), got \(effect.rawValue)") }
        let missing = policyCase.rules.filter { !rules.contains($0) }
        if !missing.isEmpty { problems.append("expected the decision to name \(missing.joined(separator: ", "))") }
        if let expected = policyCase.would, expected != wouldEffect {
            problems.append("expected audit-only rules to say \(expected == .none ? "nothing" : "would \(expected.rawValue)")")
        }
        let applied = Self.unique(decisions.flatMap { $0.transforms + $0.journals })
        let missingActions = policyCase.actions.filter { !applied.contains($0) }
        if !missingActions.isEmpty { problems.append("expected \(missingActions.joined(separator: ", ")) to apply") }
        let missingWould = policyCase.wouldRules.filter { !wouldRules.contains($0) }
        if !missingWould.isEmpty { problems.append("expected audit-only rules \(missingWould.joined(separator: ", ")) to be named") }
        var got = "\(effect.rawValue) by \(rules.isEmpty ? "(no rule)" : rules.joined(separator: ", "))"
        if !would.isEmpty { got += ", would \(wouldEffect.rawValue) by \(wouldRules.joined(separator: ", "))" }
        if !applied.isEmpty { got += ", with \(applied.joined(separator: ", "))" }
        return Result(policyCase: policyCase, got: got, problems: problems)
    }

    /// One decision for a direct case; one per audience of every destination channel for a room case.
    func decisions(_ policyCase: PolicyCase) -> [PolicyDecision] {
        let gate = self.routing.gate
        guard let sender = try? Address(parsing: policyCase.from) else { return [] }
        let content = PolicyContent(
            place: policyCase.room.map { .room($0) } ?? .direct, text: policyCase.text ?? "", subject: policyCase.subject,
            attachments: policyCase.attachments, at: policyCase.at ?? Date()
        )
        func request(_ to: Party) -> PolicyRequest {
            PolicyRequest(
                kind: policyCase.kind, from: gate.party(sender), to: to, senderAuthenticated: policyCase.authenticated, content: content
            )
        }
        if let to = policyCase.to { return [gate.decide(request(gate.party(audience: to)))] }
        guard let room = self.routing.config.routes.rooms.first(where: { $0.id == policyCase.room }) else { return [] }
        return self.routing.audiences(ofRoom: room, via: policyCase.via).map { gate.decide(request($0.party)) }
    }

    static func unique(_ ids: [String]) -> [String] {
        var seen: Set<String> = []
        return ids.filter { seen.insert($0).inserted }
    }
}
