import BridgeModel
import PolicyGate
import Testing

@Suite("Policy gate")
struct PolicyGateTests {
    let orgs = OrgDirectory([
        Organization(id: "acme", domains: ["acme.test"]),
        Organization(id: "globex", domains: ["globex.test", "*.globex.test"]),
        Organization(id: "initech", domains: ["initech.test"]),
    ])

    func gate(_ rules: [PolicyDocument.Rule]) -> PolicyGate {
        PolicyGate(policy: PolicyDocument(rules: rules), orgs: self.orgs, revision: "r1")
    }

    func request(_ from: String, _ to: String, kind: EnvelopeKind = .message, gate: PolicyGate) throws -> PolicyRequest {
        PolicyRequest(kind: kind, from: gate.party(try Address(parsing: from)), to: gate.party(try Address(parsing: to)))
    }

    @Test("across orgs the default is deny, inside one org allow")
    func defaults() throws {
        let gate = self.gate([])
        let cross = gate.decide(try self.request("bob@globex.test", "alice@acme.test", gate: gate))
        #expect(cross.effect == .deny)
        #expect(cross.ruleIDs == [PolicyGate.crossOrgDeny])
        #expect(cross.revision == "r1")
        let inside = gate.decide(try self.request("carol@acme.test", "alice@acme.test", gate: gate))
        #expect(inside.effect == .allow)
        #expect(inside.ruleIDs == [PolicyGate.intraOrgAllow])
    }

    @Test("an org-pair allow opens one direction only unless both_ways is set")
    func direction() throws {
        let oneWay = self.gate([.init(id: "g2a", action: .allow, from: ["org:globex"], to: ["org:acme"])])
        #expect(oneWay.decide(try self.request("bob@globex.test", "alice@acme.test", gate: oneWay)).ruleIDs == ["g2a"])
        #expect(oneWay.decide(try self.request("alice@acme.test", "bob@globex.test", gate: oneWay)).effect == .deny)
        let both = self.gate([.init(id: "g-a", action: .allow, from: ["org:globex"], to: ["org:acme"], bothWays: true)])
        #expect(both.decide(try self.request("alice@acme.test", "bob@globex.test", gate: both)).effect == .allow)
    }

    @Test("a matching deny beats any allow, and names itself")
    func denyWins() throws {
        let gate = self.gate([
            .init(id: "allow-all", action: .allow, from: ["org:globex"], to: ["org:acme"]),
            .init(id: "no-contractor", action: .deny, from: ["contractor@globex.test"], to: ["*"]),
        ])
        let decision = gate.decide(try self.request("contractor@globex.test", "alice@acme.test", gate: gate))
        #expect(decision.effect == .deny)
        #expect(decision.ruleIDs == ["no-contractor"])
        #expect(gate.decide(try self.request("bob@globex.test", "alice@acme.test", gate: gate)).ruleIDs == ["allow-all"])
    }

    @Test("a deny applies inside one org too")
    func intraOrgDeny() throws {
        let gate = self.gate([.init(id: "wall", action: .deny, from: ["research@acme.test"], to: ["trading@acme.test"], bothWays: true)])
        #expect(gate.decide(try self.request("trading@acme.test", "research@acme.test", gate: gate)).ruleIDs == ["wall"])
    }

    @Test("kinds restrict a rule; domain wildcards match subdomains")
    func kindsAndDomains() throws {
        let gate = self.gate([
            .init(id: "eu-msg", action: .allow, from: ["domain:*.globex.test"], to: ["org:acme"], kinds: [.message])
        ])
        #expect(gate.decide(try self.request("bob@eu.globex.test", "alice@acme.test", gate: gate)).effect == .allow)
        #expect(gate.decide(try self.request("bob@eu.globex.test", "alice@acme.test", kind: .presence, gate: gate)).effect == .deny)
        #expect(gate.decide(try self.request("bob@globex.test", "alice@acme.test", gate: gate)).effect == .deny)
    }

    @Test("a party of an unknown domain is denied by default")
    func unknownOrg() throws {
        let gate = self.gate([.init(id: "g2a", action: .allow, from: ["org:globex"], to: ["org:acme"])])
        let decision = gate.decide(try self.request("mallory@evil.test", "alice@acme.test", gate: gate))
        #expect(decision.ruleIDs == [PolicyGate.unknownOrgDeny])
    }

    @Test("explain lists only the rules indexed for the pair of orgs")
    func explainUsesIndex() throws {
        var rules: [PolicyDocument.Rule] = (0..<500).map {
            .init(id: "initech-\($0)", action: .allow, from: ["initech\($0)@initech.test"], to: ["org:acme"])
        }
        rules.append(.init(id: "g2a", action: .allow, from: ["org:globex"], to: ["org:acme"]))
        let gate = self.gate(rules)
        let explanation = gate.explain(try self.request("bob@globex.test", "alice@acme.test", gate: gate))
        #expect(explanation.considered == ["g2a"])
        #expect(explanation.matchedAllow == ["g2a"])
    }

    @Test("a clearance needs allow decisions of the gate's own revision")
    func clearance() throws {
        let gate = self.gate([.init(id: "g2a", action: .allow, from: ["org:globex"], to: ["org:acme"])])
        let other = PolicyGate(policy: PolicyDocument(rules: gate.rulesForTesting), orgs: self.orgs, revision: "r2")
        let envelope = Envelope(
            origin: Origin(adapter: "globex-chat", nativeID: "1"),
            sender: Participant(address: try Address(parsing: "bob@globex.test")),
            recipients: [try Address(parsing: "alice@acme.test")], body: "hi"
        )
        let allow = gate.decide(try self.request("bob@globex.test", "alice@acme.test", gate: gate))
        let deny = gate.decide(try self.request("alice@acme.test", "bob@globex.test", gate: gate))
        let target = Delivery.Target.direct(envelope.recipients)
        #expect(gate.clear(envelope, adapter: "acme-archive", target: target, decisions: [allow]) != nil)
        #expect(gate.clear(envelope, adapter: "acme-archive", target: target, decisions: [allow, deny]) == nil)
        #expect(gate.clear(envelope, adapter: "acme-archive", target: target, decisions: []) == nil)
        #expect(other.clear(envelope, adapter: "acme-archive", target: target, decisions: [allow]) == nil)
    }
}

extension PolicyGate {
    var rulesForTesting: [PolicyDocument.Rule] { [] }
}

extension PolicyGateTests {
    @Test("an unauthenticated sender is denied across orgs unless the allowing rule admits unauthenticated senders")
    func unauthenticated() throws {
        let strict = self.gate([.init(id: "i2a", action: .allow, from: ["org:initech"], to: ["org:acme"])])
        var request = try self.request("carol@initech.test", "alice@acme.test", gate: strict)
        #expect(strict.decide(request).effect == .allow)
        request.senderAuthenticated = false
        let denied = strict.decide(request)
        #expect(denied.effect == .deny)
        #expect(denied.ruleIDs == [PolicyGate.unauthenticatedDeny])
        #expect(denied.reason.contains("i2a"))
        // Inside one org the label does not matter; the org's own mail system is the authority there.
        var inside = try self.request("carol@initech.test", "dave@initech.test", gate: strict)
        inside.senderAuthenticated = false
        #expect(strict.decide(inside).effect == .allow)

        let lenient = self.gate([
            .init(id: "i2a-any", action: .allow, from: ["org:initech"], to: ["org:acme"], allowUnauthenticated: true)
        ])
        #expect(lenient.decide(request).ruleIDs == ["i2a-any"])
    }
}
