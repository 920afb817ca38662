import BridgeModel
import Foundation
import PolicyGate
import Testing

@Suite("Policy gate: quarantine rules and their release")
struct QuarantineTests {
    let orgs = OrgDirectory([
        Organization(id: "acme", domains: ["acme.test"]),
        Organization(id: "globex", domains: ["globex.test"]),
        Organization(id: "initech", domains: ["initech.test"]),
    ])

    static let partners = PolicyDocument.Rule(id: "partners", action: .allow, from: ["org:acme"], to: ["org:globex"], bothWays: true)

    static func cards(_ id: String = "hold-cards", mode: PolicyDocument.Mode = .enforce, notice: PolicyDocument.DenyNotice = .standard) -> PolicyDocument.Rule {
        var conditions = RuleConditions()
        conditions.detectors = [.card]
        return .init(id: id, action: .quarantine, from: ["*"], to: ["*"], mode: mode, conditions: conditions, notice: notice)
    }

    func decide(
        _ rules: [PolicyDocument.Rule], barriers: [PolicyDocument.Barrier] = [], kind: EnvelopeKind = .message, to: String = "bob@globex.test",
        text: String = "card 4111 1111 1111 1111", releasing: Set<String> = []
    ) throws -> PolicyDecision {
        let gate = PolicyGate(policy: PolicyDocument(rules: rules, barriers: barriers), orgs: self.orgs, revision: "r1")
        let request = PolicyRequest(
            kind: kind, from: gate.party(try Address(parsing: "ann@acme.test")), to: gate.party(try Address(parsing: to)),
            content: PolicyContent(text: text)
        )
        return gate.decide(request, releasing: releasing)
    }

    @Test("a quarantine rule holds what would otherwise be allowed, inside an org too; it names the rule and its notice")
    func holds() throws {
        let held = try self.decide([Self.partners, Self.cards(notice: .text("Card data is reviewed first."))])
        #expect(held.effect == .quarantine && held.isHeld && !held.isAllowed)
        #expect(held.ruleIDs == ["hold-cards"] && held.notice == .text("Card data is reviewed first."))
        #expect(held.reason.contains("held for review"))
        #expect(try self.decide([Self.partners, Self.cards()], to: "carl@acme.test").effect == .quarantine)
        #expect(try self.decide([Self.partners, Self.cards()], text: "no numbers here").ruleIDs == ["partners"])
    }

    @Test("barrier beats deny beats quarantine beats allow; an item denied anyway is denied, not held")
    func precedence() throws {
        let deny = PolicyDocument.Rule(id: "no-globex", action: .deny, from: ["org:acme"], to: ["org:globex"])
        #expect(try self.decide([Self.partners, Self.cards(), deny]).ruleIDs == ["no-globex"])
        let wall = PolicyDocument.Barrier(id: "wall", between: ["org:acme", "org:globex"])
        let walled = try self.decide([Self.partners, Self.cards()], barriers: [wall])
        #expect(walled.effect == .deny && walled.ruleIDs == ["wall"])
        // No rule lets acme reach initech: default deny, so holding it would be a release that can never deliver.
        let initech = try self.decide([Self.partners, Self.cards()], to: "ivy@initech.test")
        #expect(initech.effect == .deny && initech.ruleIDs == [PolicyGate.crossOrgDeny])
    }

    @Test("a release overrides only the rules that held it: another quarantine rule holds it again, a deny still denies")
    func release() throws {
        let rules = [Self.partners, Self.cards()]
        #expect(try self.decide(rules, releasing: ["hold-cards"]).ruleIDs == ["partners"])
        let second = PolicyDocument.Rule(id: "hold-globex", action: .quarantine, from: ["org:acme"], to: ["org:globex"])
        let again = try self.decide(rules + [second], releasing: ["hold-cards"])
        #expect(again.effect == .quarantine && again.ruleIDs == ["hold-globex"])
        let deny = PolicyDocument.Rule(id: "no-cards", action: .deny, from: ["*"], to: ["*"], conditions: Self.cards().conditions)
        let denied = try self.decide(rules + [deny], releasing: ["hold-cards", "no-cards"])
        #expect(denied.effect == .deny && denied.ruleIDs == ["no-cards"], "a release can never override a deny")
    }

    @Test("only messages and edits are held; an audit-only quarantine says what it would have held")
    func kindsAndAuditOnly() throws {
        let everything = PolicyDocument.Rule(id: "hold-all", action: .quarantine, from: ["*"], to: ["*"])
        #expect(try self.decide([Self.partners, everything], kind: .edit).effect == .quarantine)
        for kind in [EnvelopeKind.presence, .subscription, .receipt, .retraction] {
            #expect(try self.decide([Self.partners, everything], kind: kind).effect == .allow, "\(kind)")
        }
        let trial = try self.decide([Self.partners, Self.cards(mode: .auditOnly)])
        #expect(trial.effect == .allow && trial.wouldBe?.effect == .quarantine && trial.wouldBe?.ruleIDs == ["hold-cards"])
    }

    @Test("explain names the quarantine rule as matched, and a released one as not matched with why")
    func explain() throws {
        let gate = PolicyGate(policy: PolicyDocument(rules: [Self.partners, Self.cards()]), orgs: self.orgs, revision: "r1")
        let request = PolicyRequest(
            kind: .message, from: gate.party(try Address(parsing: "ann@acme.test")), to: gate.party(try Address(parsing: "bob@globex.test")),
            content: PolicyContent(text: "4111 1111 1111 1111")
        )
        #expect(gate.explain(request).matchedQuarantine == ["hold-cards"])
        let released = gate.explain(request, releasing: ["hold-cards"])
        #expect(released.matchedQuarantine.isEmpty && released.decision.isAllowed)
        #expect(released.steps.first { $0.id == "hold-cards" }?.outcome == .notMatched("a reviewer released the item this rule held"))
    }
}
