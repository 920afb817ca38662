import BridgeModel
import Foundation
import PolicyGate
import Testing

@Suite("Policy gate: redact and annotate rules, applied by the clearance")
struct TransformTests {
    let orgs = OrgDirectory([Organization(id: "acme", domains: ["acme.test"]), Organization(id: "globex", domains: ["globex.test"])])

    static let partners = PolicyDocument.Rule(id: "partners", action: .allow, from: ["org:acme"], to: ["org:globex"], bothWays: true)

    static var redactCards: PolicyDocument.Rule {
        var conditions = RuleConditions()
        conditions.detectors = [.card]
        return .init(id: "mask-cards", action: .redact, from: ["*"], to: ["org:globex"], conditions: conditions)
    }

    static let disclaimer = PolicyDocument.Rule(
        id: "acme-disclaimer", action: .annotate, from: ["org:acme"], to: ["org:globex"],
        disclaimer: "This message comes from Acme. It may be confidential & privileged."
    )

    func gate(_ rules: [PolicyDocument.Rule]) -> PolicyGate {
        PolicyGate(policy: PolicyDocument(rules: rules), orgs: self.orgs, revision: "r1")
    }

    func envelope(subject: String? = nil, body: String, rich: RichBody? = nil) throws -> Envelope {
        Envelope(
            origin: Origin(adapter: "acme-chat", nativeID: UUID().uuidString), sender: Participant(address: try Address(parsing: "ann@acme.test")),
            recipients: [try Address(parsing: "bob@globex.test")], subject: subject, body: body, rich: rich
        )
    }

    func clear(_ gate: PolicyGate, _ envelope: Envelope) throws -> Clearance {
        let request = PolicyRequest(
            kind: envelope.kind, from: gate.party(envelope.sender.address), to: gate.party(envelope.recipients[0]),
            content: PolicyContent(envelope, place: .direct)
        )
        let decision = gate.decide(request)
        return try #require(gate.clear(envelope, adapter: "globex-chat", target: .direct(envelope.recipients), decisions: [decision]), "\(decision)")
    }

    @Test("a redact rule masks what its detector finds in the subject, body and rich body; the clearance carries only the masked content")
    func redacts() throws {
        let gate = self.gate([Self.partners, Self.redactCards])
        let original = try self.envelope(
            subject: "card 4111-1111-1111-1111", body: "pay with 4111 1111 1111 1111 or 5500 0000 0000 0004 today",
            rich: RichBody(format: .html, text: "<p>pay with <b>4111 1111 1111 1111</b></p>")
        )
        let clearance = try self.clear(gate, original)
        #expect(clearance.decisions.first?.transforms == ["mask-cards"])
        #expect(clearance.envelope.id == original.id)
        #expect(clearance.envelope.subject == "card [redacted]")
        #expect(clearance.envelope.body == "pay with [redacted] or [redacted] today")
        #expect(clearance.envelope.rich?.text == "<p>pay with <b>[redacted]</b></p>")
        #expect(clearance.redacted.map(\.finding.finder) == ["card", "card", "card", "card"])
        #expect(clearance.redacted.map(\.finding.field) == [.subject, .body, .body, .rich])
        #expect(clearance.redacted.allSatisfy { $0.rule == "mask-cards" })
        let plain = try self.clear(gate, try self.envelope(body: "no numbers"))
        #expect(!plain.transformed && plain.envelope.body == "no numbers")
    }

    @Test("an annotate rule appends its disclaimer once, to the plain body and as an escaped HTML paragraph; clearing again adds nothing")
    func annotates() throws {
        let gate = self.gate([Self.partners, Self.disclaimer])
        let clearance = try self.clear(gate, try self.envelope(body: "hello", rich: RichBody(format: .html, text: "<p>hello</p>")))
        #expect(clearance.annotatedBy == ["acme-disclaimer"])
        #expect(clearance.envelope.body == "hello\n\nThis message comes from Acme. It may be confidential & privileged.")
        #expect(clearance.envelope.rich?.text == "<p>hello</p>\n<p>This message comes from Acme. It may be confidential &amp; privileged.</p>")
        let again = try self.clear(gate, clearance.envelope)
        #expect(again.envelope == clearance.envelope && again.annotatedBy.isEmpty, "decided again after a reload, it is not annotated twice")
    }

    @Test("redaction and disclaimers go with what is allowed or held, never with a denial; only messages and edits change")
    func onlyWhatGoesThrough() throws {
        let deny = PolicyDocument.Rule(id: "no-globex", action: .deny, from: ["org:acme"], to: ["org:globex"])
        let gate = self.gate([Self.partners, Self.redactCards, Self.disclaimer, deny])
        let request = PolicyRequest(
            kind: .message, from: gate.party(try Address(parsing: "ann@acme.test")), to: gate.party(try Address(parsing: "bob@globex.test")),
            content: PolicyContent(text: "4111 1111 1111 1111")
        )
        #expect(gate.decide(request).effect == .deny && gate.decide(request).transforms.isEmpty)
        let hold = PolicyDocument.Rule(id: "hold-all", action: .quarantine, from: ["org:acme"], to: ["org:globex"])
        let held = self.gate([Self.partners, Self.redactCards, hold]).decide(request)
        #expect(held.effect == .quarantine && held.transforms == ["mask-cards"])
        var presence = request
        presence.kind = .presence
        #expect(self.gate([Self.partners, Self.disclaimer]).decide(presence).transforms.isEmpty)
    }

    @Test("masking keeps the text valid where a span ends inside a character, and merges overlapping spans")
    func maskBoundaries() {
        let text = "héllo wörld"
        // "é" is two bytes (1..<3): a range ending inside it is widened to the whole character.
        let (masked, findings) = Redaction.apply(text, [(range: 0..<2, finder: "pattern"), (range: 1..<6, finder: "word")], field: .body)
        #expect(masked == "[redacted] wörld")
        #expect(findings.count == 1 && findings[0].text == "héllo")
    }
}
