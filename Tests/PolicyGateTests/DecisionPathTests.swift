import BridgeModel
import PolicyGate
import Testing

/// The compiled decision path: buckets merged in rule order, kind checks folded at compile time, reasons
/// written in one piece, and `decide` agreeing with `explain` whatever matched.
@Suite("Policy gate decision path")
struct DecisionPathTests {
    let orgs = OrgDirectory(
        [
            Organization(id: "acme", domains: ["acme.test", "*.acme.test"]),
            Organization(id: "globex", domains: ["globex.test"]),
            Organization(id: "initech", domains: ["initech.test"]),
        ],
        groups: [
            OrgGroup(org: "acme", name: "research", members: [MemberPattern("*@research.acme.test")!]),
            OrgGroup(org: "acme", name: "trading", members: [MemberPattern("tom@acme.test")!]),
        ]
    )

    func gate(_ rules: [PolicyDocument.Rule], barriers: [PolicyDocument.Barrier] = []) -> PolicyGate {
        PolicyGate(policy: PolicyDocument(rules: rules, barriers: barriers), orgs: self.orgs, revision: "r1")
    }

    func request(
        _ from: String, _ to: String, kind: EnvelopeKind = .message, authenticated: Bool = true, text: String = "",
        gate: PolicyGate
    ) throws -> PolicyRequest {
        PolicyRequest(
            kind: kind, from: gate.party(try Address(parsing: from)), to: gate.party(try Address(parsing: to)),
            senderAuthenticated: authenticated, content: PolicyContent(text: text)
        )
    }

    @Test("rules filed under the pair's orgs and under the wildcard are considered once each, in policy order")
    func candidatesInPolicyOrder() throws {
        let gate = self.gate([
            .init(id: "to-acme", action: .allow, from: ["*"], to: ["org:acme"]),
            .init(id: "g2a", action: .allow, from: ["org:globex"], to: ["org:acme"]),
            .init(id: "elsewhere", action: .allow, from: ["org:initech"], to: ["org:acme"]),
            .init(id: "from-globex", action: .deny, from: ["org:globex"], to: ["*"], kinds: [.presence]),
            .init(id: "twice-filed", action: .allow, from: ["org:globex", "*"], to: ["org:acme", "*"]),
            .init(id: "two-way", action: .allow, from: ["org:acme"], to: ["org:globex"], bothWays: true),
        ])
        let explanation = gate.explain(try self.request("bob@globex.test", "alice@acme.test", gate: gate))
        #expect(explanation.considered == ["to-acme", "g2a", "from-globex", "twice-filed", "two-way"])
        #expect(explanation.matchedAllow == ["to-acme", "g2a", "twice-filed", "two-way"])
        #expect(explanation.decision.ruleIDs == ["to-acme", "g2a", "twice-filed", "two-way"])
        #expect(gate.decide(try self.request("bob@globex.test", "alice@acme.test", gate: gate)) == explanation.decision)
    }

    @Test("a rule left out by its kinds or by a release says which check left it out")
    func kindChecks() throws {
        let gate = self.gate([
            .init(id: "redact-all", action: .redact, from: ["org:globex"], to: ["org:acme"]),
            .init(id: "hold-all", action: .quarantine, from: ["org:globex"], to: ["org:acme"]),
            .init(id: "edits-only", action: .allow, from: ["org:globex"], to: ["org:acme"], kinds: [.edit, .retraction]),
            .init(id: "journal-all", action: .journal, from: ["org:globex"], to: ["org:acme"]),
        ])
        let presence = gate.explain(try self.request("bob@globex.test", "alice@acme.test", kind: .presence, gate: gate))
        let steps = Dictionary(presence.steps.map { ($0.id, $0.outcome) }, uniquingKeysWith: { first, _ in first })
        #expect(steps["redact-all"] == .notMatched("only messages and edits are changed, not presence"))
        #expect(steps["hold-all"] == .notMatched("only messages and edits are held, not presence"))
        #expect(steps["edits-only"] == .notMatched("kind presence is not one of edit, retraction"))
        #expect(steps["journal-all"] == .notMatched("only messages and edits are changed, not presence"))
        let released = gate.explain(try self.request("bob@globex.test", "alice@acme.test", gate: gate), releasing: ["hold-all"])
        #expect(released.steps.first { $0.id == "hold-all" }?.outcome == .notMatched("a reviewer released the item this rule held"))
        #expect(released.steps.first { $0.id == "redact-all" }?.outcome == .matched)
        let edit = gate.decide(try self.request("bob@globex.test", "alice@acme.test", kind: .edit, gate: gate))
        #expect(edit.effect == .quarantine)
        #expect(edit.ruleIDs == ["hold-all"])
        #expect(edit.transforms == ["redact-all"])
        #expect(edit.journals == ["journal-all"])
    }

    @Test("each default and each matching rule gives its reason, naming the parties as written")
    func reasons() throws {
        let gate = self.gate(
            [
                .init(id: "i2a", action: .allow, from: ["org:initech"], to: ["org:acme"]),
                .init(id: "g2a-falcon", action: .deny, from: ["org:globex"], to: ["org:acme"], conditions: try Self.words(["falcon"])),
                .init(id: "g2a", action: .allow, from: ["org:globex"], to: ["org:acme"]),
                .init(id: "hold", action: .quarantine, from: ["org:globex"], to: ["org:acme"], conditions: try Self.words(["osprey"])),
            ],
            barriers: [.init(id: "wall", between: ["group:acme/research", "group:acme/trading"])]
        )
        func reason(_ from: String, _ to: String, authenticated: Bool = true, text: String = "") throws -> String {
            gate.decide(try self.request(from, to, authenticated: authenticated, text: text, gate: gate)).reason
        }
        #expect(try reason("bob@globex.test", "alice@acme.test") == "message from bob@globex.test (globex) to alice@acme.test (acme) is allowed")
        #expect(
            try reason("bob@globex.test", "alice@acme.test", text: "the falcon file")
                == "message from bob@globex.test (globex) to alice@acme.test (acme) is denied by policy"
        )
        #expect(
            try reason("bob@globex.test", "alice@acme.test", text: "osprey")
                == "message from bob@globex.test (globex) to alice@acme.test (acme) is held for review by hold"
        )
        #expect(try reason("carol@acme.test", "alice@acme.test") == "message from carol@acme.test (acme) to alice@acme.test (acme) stays inside org acme")
        #expect(
            try reason("ann@research.acme.test", "tom@acme.test")
                == "message from ann@research.acme.test (acme) to tom@acme.test (acme) crosses the information barrier wall"
        )
        #expect(
            try reason("alice@acme.test", "bob@globex.test")
                == "message from alice@acme.test (acme) to bob@globex.test (globex) crosses from org acme to org globex, and no rule allows it"
        )
        #expect(
            try reason("mallory@evil.test", "alice@acme.test")
                == "message from mallory@evil.test (unknown org) to alice@acme.test (acme): a party belongs to no known org, and no rule allows it"
        )
        #expect(
            try reason("ivan@initech.test", "alice@acme.test", authenticated: false)
                == "message from ivan@initech.test (initech) to alice@acme.test (acme) crosses org lines, but the sender's identity is not authenticated (rules i2a allow only authenticated senders)"
        )
        let room = PolicyRequest(kind: .message, from: gate.party(try Address(parsing: "bob@globex.test")), to: gate.party(audience: "group:acme/research"))
        #expect(gate.decide(room).reason == "message from bob@globex.test (globex) to group acme/research (acme) is allowed")
        #expect(gate.party(audience: "org:acme").description == "org acme")
        #expect(Party(address: nil, org: nil).description == "unknown party")
    }

    @Test("decide returns the decision explain ends with, on a policy that mixes every action and mode")
    func decideAgreesWithExplain() throws {
        let gate = self.gate(
            [
                .init(id: "g2a", action: .allow, from: ["org:globex"], to: ["org:acme"], bothWays: true),
                .init(id: "i2a", action: .allow, from: ["org:initech"], to: ["group:acme/research"], allowUnauthenticated: true),
                .init(id: "no-presence", action: .deny, from: ["*"], to: ["org:acme"], kinds: [.presence], mode: .auditOnly),
                .init(id: "cards", action: .quarantine, from: ["*"], to: ["org:acme"], conditions: Self.cards()),
                .init(id: "falcon", action: .deny, from: ["org:globex"], to: ["*"], conditions: try Self.words(["falcon"]), notice: .silent),
                .init(id: "mask", action: .redact, from: ["*"], to: ["*"], conditions: Self.cards()),
                .init(id: "footer", action: .annotate, from: ["org:acme"], to: ["*"], disclaimer: "Sent from acme"),
                .init(
                    id: "archive", action: .journal, from: ["*"], to: ["org:acme"],
                    journalTo: try Address(parsing: "archive@acme.test"), journalDenied: true
                ),
                .init(id: "slow", action: .rateLimit, from: ["org:globex"], to: ["*"], rateLimit: try RateLimit("5/minute", burst: nil, scope: .sender)),
                .init(id: "hold-quietly", action: .quarantine, from: ["domain:globex.test"], to: ["tom@acme.test"], mode: .auditOnly),
            ],
            barriers: [
                .init(id: "wall", between: ["group:acme/research", "group:acme/trading"]),
                .init(id: "trial", between: ["org:initech", "group:acme/trading"], mode: .auditOnly),
            ]
        )
        let addresses = ["bob@globex.test", "alice@acme.test", "ann@research.acme.test", "tom@acme.test", "ivan@initech.test", "eve@evil.test"]
        let texts = ["", "the falcon file", "card 4111 1111 1111 1111", "falcon and 4111 1111 1111 1111"]
        var effects: Set<PolicyDecision.Effect> = []
        var sawWouldBe = false
        for from in addresses {
            for to in addresses {
                for kind in EnvelopeKind.allCases {
                    for text in texts {
                        for authenticated in [true, false] {
                            let request = try self.request(from, to, kind: kind, authenticated: authenticated, text: text, gate: gate)
                            for releasing: Set<String> in [[], ["cards"]] {
                                let decision = gate.decide(request, releasing: releasing)
                                #expect(gate.explain(request, releasing: releasing).decision == decision, "\(request)")
                                effects.insert(decision.effect)
                                sawWouldBe = sawWouldBe || decision.wouldBe != nil
                            }
                        }
                    }
                }
            }
        }
        #expect(effects == [.allow, .deny, .quarantine])
        #expect(sawWouldBe)
    }

    static func words(_ terms: [String]) throws -> RuleConditions {
        var conditions = RuleConditions()
        conditions.words = try TermMatcher(terms: terms)
        return conditions
    }

    static func cards() -> RuleConditions {
        var conditions = RuleConditions()
        conditions.detectors = [.card]
        return conditions
    }
}
