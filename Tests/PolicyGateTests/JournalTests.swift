import BridgeModel
import Foundation
import PolicyGate
import Testing

@Suite("Policy gate: journal rules")
struct JournalTests {
    let orgs = OrgDirectory([
        Organization(id: "acme", domains: ["acme.test"]), Organization(id: "globex", domains: ["globex.test"]),
        Organization(id: "initech", domains: ["initech.test"]),
    ])
    static let archive = try! Address(parsing: "archive@acme.test")
    static let partners = PolicyDocument.Rule(id: "partners", action: .allow, from: ["org:globex"], to: ["org:acme"])
    static let journal = PolicyDocument.Rule(id: "journal-globex", action: .journal, from: ["org:globex"], to: ["*"], journalTo: archive)
    static let journalDenied = PolicyDocument.Rule(
        id: "journal-denied", action: .journal, from: ["org:globex"], to: ["*"], journalTo: archive, journalDenied: true
    )

    func decide(_ rules: [PolicyDocument.Rule], barriers: [PolicyDocument.Barrier] = [], to: String, kind: EnvelopeKind = .message) throws -> PolicyDecision {
        let gate = PolicyGate(policy: PolicyDocument(rules: rules, barriers: barriers), orgs: self.orgs, revision: "r1")
        return gate.decide(PolicyRequest(kind: kind, from: gate.party(try Address(parsing: "bob@globex.test")), to: gate.party(try Address(parsing: to))))
    }

    @Test("a journal rule copies what is allowed; a denial only with journal_denied, a barrier's included; never presence")
    func journals() throws {
        #expect(try self.decide([Self.partners, Self.journal], to: "ann@acme.test").journals == ["journal-globex"])
        let denied = try self.decide([Self.partners, Self.journal, Self.journalDenied], to: "ivy@initech.test")
        #expect(denied.effect == .deny && denied.journals == ["journal-denied"])
        let wall = PolicyDocument.Barrier(id: "wall", between: ["org:globex", "org:acme"])
        let walled = try self.decide([Self.partners, Self.journalDenied], barriers: [wall], to: "ann@acme.test")
        #expect(walled.ruleIDs == ["wall"] && walled.journals == ["journal-denied"], "a compliance archive is on no side of a barrier")
        #expect(try self.decide([Self.partners, Self.journal], to: "ann@acme.test", kind: .presence).journals.isEmpty)
    }

    @Test("the journal clearance goes to the rule's destination only, marked as a copy, and not at all once the rule is gone")
    func clearance() throws {
        let gate = PolicyGate(policy: PolicyDocument(rules: [Self.partners, Self.journal]), orgs: self.orgs, revision: "r1")
        let envelope = Envelope(
            origin: Origin(adapter: "globex-chat", nativeID: "j1"), sender: Participant(address: try Address(parsing: "bob@globex.test")),
            recipients: [try Address(parsing: "ann@acme.test")], body: "hello"
        )
        let copy = try #require(gate.clearJournal(envelope, rule: "journal-globex", adapter: "acme-archive"))
        #expect(copy.target == .direct([Self.archive]) && copy.envelope.labels.contains(EnvelopeLabel.journalCopy))
        #expect(copy.decisions.map(\.ruleIDs) == [["journal-globex"]] && copy.envelope.body == "hello")
        #expect(gate.clearJournal(envelope, rule: "partners", adapter: "acme-archive") == nil)
        let without = PolicyGate(policy: PolicyDocument(rules: [Self.partners]), orgs: self.orgs, revision: "r2")
        #expect(without.clearJournal(envelope, rule: "journal-globex", adapter: "acme-archive") == nil)
    }
}
