import BridgeModel
import Foundation
import PolicyGate
import Testing

@Suite("Policy gate: rule scope and content conditions")
struct ConditionTests {
    let orgs = OrgDirectory([
        Organization(id: "acme", domains: ["acme.test"]),
        Organization(id: "globex", domains: ["globex.test"]),
    ])

    static let partners = PolicyDocument.Rule(id: "partners", action: .allow, from: ["org:globex"], to: ["org:acme"], bothWays: true)

    func rule(_ id: String, _ action: PolicyDocument.Rule.Action = .deny, mode: PolicyDocument.Mode = .enforce, _ build: (inout RuleConditions) throws -> Void) rethrows -> PolicyDocument.Rule {
        var conditions = RuleConditions()
        try build(&conditions)
        return .init(id: id, action: action, from: ["org:acme"], to: ["org:globex"], mode: mode, conditions: conditions)
    }

    func decide(_ rules: [PolicyDocument.Rule], _ content: PolicyContent, authenticated: Bool = true) throws -> PolicyDecision {
        let gate = PolicyGate(policy: PolicyDocument(rules: [Self.partners] + rules), orgs: self.orgs, revision: "r1")
        let request = PolicyRequest(
            kind: .message, from: gate.party(try Address(parsing: "ann@acme.test")), to: gate.party(try Address(parsing: "bob@globex.test")),
            senderAuthenticated: authenticated, content: content
        )
        return gate.decide(request)
    }

    @Test("a deny rule with words applies only when a listed word is in the text, subject or rich body")
    func words() throws {
        let rule = try self.rule("falcon") { $0.words = try TermMatcher(terms: ["project falcon", "osprey"]) }
        #expect(try self.decide([rule], PolicyContent(text: "lunch?")).ruleIDs == ["partners"])
        #expect(try self.decide([rule], PolicyContent(text: "about Project Falcon")).ruleIDs == ["falcon"])
        #expect(try self.decide([rule], PolicyContent(text: "hi", subject: "osprey numbers")).ruleIDs == ["falcon"])
        #expect(try self.decide([rule], PolicyContent(text: "hi", richText: "<b>osprey</b>")).ruleIDs == ["falcon"])
    }

    @Test("conditions of one rule must all hold; the values of one condition are alternatives")
    func conjunction() throws {
        let rule = try self.rule("cards-in-rooms") {
            $0.detectors = [.card, .iban]
            $0.places = [.anyRoom]
        }
        let card = "4111 1111 1111 1111"
        #expect(try self.decide([rule], PolicyContent(place: .direct, text: card)).effect == .allow)
        #expect(try self.decide([rule], PolicyContent(place: .room("partners"), text: card)).ruleIDs == ["cards-in-rooms"])
        #expect(try self.decide([rule], PolicyContent(place: .room("partners"), text: "GB82 WEST 1234 5698 7654 32")).effect == .deny)
        #expect(try self.decide([rule], PolicyContent(place: .room("partners"), text: "no numbers")).effect == .allow)
    }

    @Test("patterns, subject patterns, attachments, authentication and time windows each decide")
    func eachCondition() throws {
        let pattern = try self.rule("acct") { $0.patterns = [try SafePattern("acct-[0-9]{6}")] }
        #expect(try self.decide([pattern], PolicyContent(text: "acct-123456")).ruleIDs == ["acct"])
        #expect(try self.decide([pattern], PolicyContent(text: "acct-12")).effect == .allow)

        let subject = try self.rule("secret-subject") { $0.subjectPatterns = [try SafePattern("(?i)^\\[secret\\]")] }
        #expect(try self.decide([subject], PolicyContent(text: "x", subject: "[SECRET] plan")).ruleIDs == ["secret-subject"])
        #expect(try self.decide([subject], PolicyContent(text: "[secret] in the body only")).effect == .allow)

        let zip = self.rule("big-zips") {
            $0.attachmentTypes = ["application/zip"]
            $0.attachmentLargerThan = 1_000_000
        }
        let small = PolicyContent.AttachmentFacts(mediaType: "application/zip", size: 10)
        let bigPDF = PolicyContent.AttachmentFacts(mediaType: "application/pdf", size: 5_000_000)
        let bigZip = PolicyContent.AttachmentFacts(mediaType: "application/zip; name=a.zip", size: 5_000_000)
        // The same attachment must be both: a small zip and a big PDF are not a big zip.
        #expect(try self.decide([zip], PolicyContent(attachments: [small, bigPDF])).effect == .allow)
        #expect(try self.decide([zip], PolicyContent(attachments: [small, bigZip])).ruleIDs == ["big-zips"])

        let images = self.rule("no-images") { $0.attachmentTypes = ["image/*"] }
        #expect(try self.decide([images], PolicyContent(attachments: [.init(mediaType: "image/png", size: 1)])).effect == .deny)

        let unproven = self.rule("unproven") { $0.authenticated = false }
        #expect(try self.decide([unproven], PolicyContent(), authenticated: true).effect == .allow)
        // An unauthenticated sender is denied across orgs anyway; the rule names itself as what matched.
        #expect(try self.decide([unproven], PolicyContent(), authenticated: false).ruleIDs == ["unproven"])

        let hours = try self.rule("after-hours") { $0.times = [try TimeWindow("Mon-Fri 18:00-08:00 Europe/Berlin")] }
        #expect(try self.decide([hours], PolicyContent(at: PolicyContent.time("2026-12-07T10:00:00+01:00")!)).effect == .allow)
        #expect(try self.decide([hours], PolicyContent(at: PolicyContent.time("2026-12-07T19:00:00+01:00")!)).ruleIDs == ["after-hours"])
    }

    @Test("an allow rule with conditions lets through only what meets them")
    func conditionalAllow() throws {
        let gate = PolicyGate(
            policy: PolicyDocument(rules: [
                .init(
                    id: "office-hours", action: .allow, from: ["org:acme"], to: ["org:globex"],
                    conditions: try { var c = RuleConditions(); c.times = [try TimeWindow("Mon-Fri 08:00-18:00 UTC")]; return c }()
                )
            ]),
            orgs: self.orgs, revision: "r1"
        )
        func decide(_ at: String) throws -> PolicyDecision {
            gate.decide(
                PolicyRequest(
                    kind: .message, from: gate.party(try Address(parsing: "ann@acme.test")),
                    to: gate.party(try Address(parsing: "bob@globex.test")), content: PolicyContent(at: PolicyContent.time(at)!)
                )
            )
        }
        #expect(try decide("2026-12-07T09:00:00Z").ruleIDs == ["office-hours"])
        #expect(try decide("2026-12-06T09:00:00Z").ruleIDs == [PolicyGate.crossOrgDeny])
    }

    @Test("explain says what held, or the condition that did not; an audit-only content rule only says would")
    func explainAndAuditOnly() throws {
        let rule = try self.rule("falcon") { $0.words = try TermMatcher(terms: ["falcon"]) }
        let gate = PolicyGate(policy: PolicyDocument(rules: [Self.partners, rule]), orgs: self.orgs, revision: "r1")
        func request(_ text: String) throws -> PolicyRequest {
            PolicyRequest(
                kind: .message, from: gate.party(try Address(parsing: "ann@acme.test")),
                to: gate.party(try Address(parsing: "bob@globex.test")), content: PolicyContent(text: text)
            )
        }
        let hit = gate.explain(try request("the falcon file"))
        let step = try #require(hit.steps.first { $0.id == "falcon" })
        #expect(step.outcome == .matched && step.because == ["text has \"falcon\""])
        let miss = gate.explain(try request("lunch"))
        #expect(miss.steps.first { $0.id == "falcon" }?.outcome == .notMatched("no listed word in the text"))

        let trial = try self.rule("falcon", mode: .auditOnly) { $0.words = try TermMatcher(terms: ["falcon"]) }
        let decision = try self.decide([trial], PolicyContent(text: "falcon"))
        #expect(decision.effect == .allow && decision.wouldBe?.effect == .deny && decision.wouldBe?.ruleIDs == ["falcon"])
        #expect(try self.decide([trial], PolicyContent(text: "lunch")).wouldBe == nil)
    }
}

extension ConditionTests {
    @Test("a deny decision carries what its rule tells the sender: a silent rule wins over worded ones")
    func notices() throws {
        let worded = PolicyDocument.Rule(id: "worded", action: .deny, from: ["org:acme"], to: ["org:globex"], notice: .text("Ask the desk."))
        let quiet = PolicyDocument.Rule(id: "quiet", action: .deny, from: ["*"], to: ["org:globex"], notice: .silent)
        #expect(try self.decide([worded], PolicyContent()).notice == .text("Ask the desk."))
        #expect(try self.decide([worded, quiet], PolicyContent()).notice == .silent)
        let plain = PolicyDocument.Rule(id: "plain", action: .deny, from: ["org:acme"], to: ["org:globex"])
        #expect(try self.decide([plain], PolicyContent()).notice == .standard)
        #expect(try self.decide([], PolicyContent()).notice == .standard)
    }
}
