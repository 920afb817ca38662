import BridgeModel
import PolicyGate
import Testing

@Suite("Policy gate: groups, information barriers and audit-only rules")
struct BarrierTests {
    let orgs = OrgDirectory(
        [
            Organization(id: "acme", domains: ["acme.test", "*.acme.test"]),
            Organization(id: "globex", domains: ["globex.test"]),
        ],
        groups: [
            OrgGroup(org: "acme", name: "research", members: [MemberPattern("*@research.acme.test")!, MemberPattern("rita@acme.test")!]),
            OrgGroup(org: "acme", name: "trading", members: [MemberPattern("*@trading.acme.test")!], includes: ["acme/heads"]),
            OrgGroup(org: "acme", name: "heads", members: [MemberPattern("tom@acme.test")!]),
        ]
    )

    static let partners = PolicyDocument.Rule(id: "partners", action: .allow, from: ["org:globex"], to: ["org:acme"], bothWays: true)

    func gate(rules: [PolicyDocument.Rule] = [Self.partners], barriers: [PolicyDocument.Barrier]) -> PolicyGate {
        PolicyGate(policy: PolicyDocument(rules: rules, barriers: barriers), orgs: self.orgs, revision: "r1")
    }

    func decide(_ gate: PolicyGate, _ from: String, _ to: String, kind: EnvelopeKind = .message) throws -> PolicyDecision {
        gate.decide(PolicyRequest(kind: kind, from: gate.party(try Address(parsing: from)), to: gate.party(try Address(parsing: to))))
    }

    @Test("a barrier between two groups of one org denies every kind, both ways, including through included groups")
    func intraOrgWall() throws {
        let gate = self.gate(barriers: [.init(id: "wall", between: ["group:acme/research", "group:acme/trading"])])
        for kind in EnvelopeKind.allCases where kind != .notice {
            let there = try self.decide(gate, "ann@research.acme.test", "tom@acme.test", kind: kind)
            #expect(there.effect == .deny && there.ruleIDs == ["wall"], "\(kind): \(there)")
            let back = try self.decide(gate, "fx@trading.acme.test", "rita@acme.test", kind: kind)
            #expect(back.effect == .deny && back.ruleIDs == ["wall"], "\(kind): \(back)")
        }
        #expect(try self.decide(gate, "ann@research.acme.test", "rita@acme.test").ruleIDs == [PolicyGate.intraOrgAllow])
        #expect(try self.decide(gate, "ann@research.acme.test", "carol@acme.test").effect == .allow)
        #expect(try self.decide(gate, "ann@research.acme.test", "tom@acme.test").reason.contains("information barrier wall"))
    }

    @Test("a barrier between a group and an org beats an allow rule that matches")
    func beatsAllow() throws {
        let gate = self.gate(barriers: [.init(id: "no-globex-research", between: ["group:acme/research", "org:globex"])])
        #expect(try self.decide(gate, "bob@globex.test", "rita@acme.test").ruleIDs == ["no-globex-research"])
        #expect(try self.decide(gate, "rita@acme.test", "bob@globex.test").ruleIDs == ["no-globex-research"])
        #expect(try self.decide(gate, "bob@globex.test", "tom@acme.test").ruleIDs == ["partners"])
    }

    @Test("a room audience naming a group is decided as that group, included groups too")
    func audienceParty() throws {
        let gate = self.gate(barriers: [.init(id: "wall", between: ["group:acme/research", "group:acme/heads"])])
        let sender = gate.party(try Address(parsing: "rita@acme.test"))
        let trading = gate.party(audience: "group:acme/trading")
        #expect(trading.org == "acme" && trading.groups == ["acme/trading", "acme/heads"])
        #expect(gate.decide(PolicyRequest(kind: .message, from: sender, to: trading)).ruleIDs == ["wall"])
        let globex = gate.party(audience: "org:globex")
        #expect(gate.decide(PolicyRequest(kind: .message, from: sender, to: globex)).ruleIDs == ["partners"])
    }

    @Test("an audit-only rule or barrier changes nothing but says what it would have decided")
    func auditOnly() throws {
        let gate = self.gate(
            rules: [Self.partners, .init(id: "new-deny", action: .deny, from: ["org:globex"], to: ["group:acme/trading"], mode: .auditOnly)],
            barriers: [.init(id: "new-wall", between: ["group:acme/research", "org:globex"], mode: .auditOnly)]
        )
        let walled = try self.decide(gate, "bob@globex.test", "rita@acme.test")
        #expect(walled.effect == .allow && walled.ruleIDs == ["partners"])
        #expect(walled.wouldBe?.effect == .deny && walled.wouldBe?.ruleIDs == ["new-wall"])
        let denied = try self.decide(gate, "bob@globex.test", "tom@acme.test")
        #expect(denied.effect == .allow && denied.wouldBe?.ruleIDs == ["new-deny"])
        let untouched = try self.decide(gate, "bob@globex.test", "carol@acme.test")
        #expect(untouched.effect == .allow && untouched.wouldBe == nil)
        // An audit-only allow on a pair that is denied today: still denied, "would allow" recorded.
        let opening = PolicyGate(
            policy: PolicyDocument(rules: [.init(id: "try-open", action: .allow, from: ["org:globex"], to: ["org:acme"], mode: .auditOnly)]),
            orgs: self.orgs, revision: "r1"
        )
        let stillDenied = try self.decide(opening, "bob@globex.test", "carol@acme.test")
        #expect(stillDenied.effect == .deny && stillDenied.ruleIDs == [PolicyGate.crossOrgDeny])
        #expect(stillDenied.wouldBe?.effect == .allow && stillDenied.wouldBe?.ruleIDs == ["try-open"])
    }

    @Test("explain says why each rule and barrier matched or did not")
    func explainSteps() throws {
        let gate = self.gate(
            rules: [
                Self.partners,
                .init(id: "presence-only", action: .deny, from: ["org:globex"], to: ["org:acme"], kinds: [.presence]),
                .init(id: "bob-only", action: .deny, from: ["bob@globex.test"], to: ["group:acme/trading"]),
            ],
            barriers: [.init(id: "wall", between: ["group:acme/research", "org:globex"], mode: .auditOnly)]
        )
        let explanation = gate.explain(
            PolicyRequest(kind: .message, from: gate.party(try Address(parsing: "bob@globex.test")), to: gate.party(try Address(parsing: "rita@acme.test")))
        )
        let steps = Dictionary(uniqueKeysWithValues: explanation.steps.map { ($0.id, $0) })
        #expect(steps["wall"]?.outcome == .matched && steps["wall"]?.mode == .auditOnly)
        #expect(steps["partners"]?.outcome == .matched)
        #expect(steps["presence-only"]?.outcome == .notMatched("kind message is not one of presence"))
        #expect(steps["bob-only"]?.outcome == .notMatched("the recipient matches no subject in to"))
        #expect(explanation.decision.ruleIDs == ["partners"] && explanation.decision.wouldBe?.ruleIDs == ["wall"])
        #expect(explanation.matchedBarriers == ["wall"])
    }

    @Test("a notice is never walled: the gateway is on no side of a barrier")
    func noticeUnaffected() throws {
        let gate = self.gate(barriers: [.init(id: "wall", between: ["group:acme/research", "org:globex"])])
        let notice = gate.decide(PolicyRequest(kind: .notice, from: gate.party(GatewayIdentity.address), to: gate.party(try Address(parsing: "rita@acme.test"))))
        #expect(notice.effect == .allow)
    }
}
