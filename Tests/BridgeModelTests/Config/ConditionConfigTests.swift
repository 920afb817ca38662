import BridgeModel
import Foundation
import Testing

@Suite("Rule scope and conditions in policy.toml")
struct ConditionConfigTests {
    static let policy = """
        [[rule]]
        id = "globex-acme"
        action = "allow"
        from = ["org:globex"]
        to = ["org:acme"]
        both_ways = true

        [[rule]]
        id = "no-cards-out"
        action = "deny"
        from = ["org:acme"]
        to = ["*"]
        where = ["direct", "room:partners"]
        detectors = ["card", "iban"]

        [[rule]]
        id = "watch-list"
        action = "deny"
        from = ["*"]
        to = ["org:globex"]
        words = ["project falcon"]
        words_file = "policy.d/watch.txt"
        patterns = ["(?i)acct-[0-9]{6}"]
        subject_words = ["confidential"]
        subject_patterns = ["^\\\\[secret\\\\]"]
        attachment_types = ["application/zip", "image/*"]
        attachment_larger_than = 1000000
        authenticated = true
        time = "Mon-Fri 08:00-18:00 Europe/Berlin"
        """

    func load(_ overrides: [String: String?]) throws -> ConfigSnapshot {
        let fixture = try ConfigFixture(overrides)
        defer { fixture.remove() }
        return try ConfigLoader.load(directory: fixture.directory, environment: [:])
    }

    @Test("every condition key compiles; a words file is read and counts in the revision")
    func compiles() throws {
        let snapshot = try self.load(["policy.toml": Self.policy, "policy.d/watch.txt": "# watch list\nosprey\n\nKestrel\n"])
        let cards = try #require(snapshot.policy.rules.first { $0.id == "no-cards-out" }).conditions
        #expect(cards.places == [.direct, .room("partners")])
        #expect(cards.detectors == [.card, .iban])
        let watch = try #require(snapshot.policy.rules.first { $0.id == "watch-list" }).conditions
        #expect(watch.words?.terms == ["project falcon", "osprey", "Kestrel"])
        #expect(watch.patterns.map(\.source) == ["(?i)acct-[0-9]{6}"])
        #expect(watch.subjectPatterns.map(\.source) == ["^\\[secret\\]"])
        #expect(watch.attachmentTypes == ["application/zip", "image/*"] && watch.attachmentLargerThan == 1_000_000)
        #expect(watch.authenticated == true && watch.times.map(\.source) == ["Mon-Fri 08:00-18:00 Europe/Berlin"])
        #expect(watch.wordsFile == "policy.d/watch.txt" && snapshot.files["policy.d/watch.txt"]?.contains("Kestrel") == true)
    }

    @Test("bad conditions are reported with file, line and key, every one of them")
    func problems() throws {
        let policy = """
            [[rule]]
            id = "bad"
            action = "allow"
            from = ["org:acme"]
            to = ["org:globex"]
            where = "room:nowhere"
            words = []
            patterns = ["(a)\\\\1", "ok"]
            detectors = ["ssn"]
            attachment_types = ["zip"]
            authenticated = false
            time = "Mon-Fri 08:00-18:00"
            words_file = "missing.txt"
            """
        let issues = try ConfigFixture.issues(["policy.toml": policy])
        let text = issues.map(\.description).joined(separator: "\n")
        for needle in [
            "rule[0].where", "unknown room \"nowhere\"",
            "rule[0].words", "empty list of words",
            "rule[0].patterns[0]", "back-references",
            "rule[0].detectors[0]", "unknown detector \"ssn\"",
            "rule[0].attachment_types[0]", "TYPE/SUBTYPE",
            "rule[0].authenticated", "allow_unauthenticated",
            "rule[0].time", "ends with its time zone",
            "rule[0].words_file", "cannot read the words file",
        ] {
            #expect(text.contains(needle), "missing \(needle) in:\n\(text)")
        }
        #expect(issues.allSatisfy { $0.file == "policy.toml" && $0.line != nil }, "\(text)")
    }

    @Test("policy cases take subject, attachments and a time; a bad one is reported")
    func cases() throws {
        let cases = """
            [[case]]
            name = "a zip at night"
            from = "bob@globex.test"
            to = "ann@acme.test"
            subject = "files"
            attachments = ["application/zip:2000000"]
            at = "2026-12-07T22:00:00+01:00"
            expect = "allow"

            [[case]]
            name = "broken"
            from = "bob@globex.test"
            to = "ann@acme.test"
            attachments = ["zip"]
            at = "tomorrow"
            expect = "allow"
            """
        let issues = try ConfigFixture.issues(["policy.d/tests/cases.toml": cases])
        let text = issues.map(\.description).joined(separator: "\n")
        #expect(text.contains("case[1].attachments[0]") && text.contains("case[1].at"), "\(text)")
        #expect(!text.contains("case[0]"), "\(text)")
    }
}

extension ConditionConfigTests {
    @Test("notice_text and silent belong to deny rules and barriers, one or the other")
    func noticeKeys() throws {
        let policy = """
            [[rule]]
            id = "quiet-allow"
            action = "allow"
            from = ["org:acme"]
            to = ["org:globex"]
            silent = true

            [[rule]]
            id = "both"
            action = "deny"
            from = ["org:acme"]
            to = ["domain:sales.globex.test"]
            silent = true
            notice_text = "no"

            [[rule]]
            id = "worded"
            action = "deny"
            from = ["org:globex"]
            to = ["org:acme"]
            notice_text = "  Ask the Acme desk.  "
            """
        let issues = try ConfigFixture.issues(["policy.toml": policy]).map(\.description)
        #expect(issues == [
            "policy.toml:6: rule[0].silent: only a deny, quarantine or rate_limit rule or a barrier tells a sender anything",
            "policy.toml:14: rule[1].notice_text: a silent rule tells nobody: set notice_text or silent = true, not both",
        ])
        let good = policy.components(separatedBy: "[[rule]]").suffix(1).map { "[[rule]]" + $0 }.joined()
        let snapshot = try self.load(["policy.toml": good])
        #expect(snapshot.policy.rules.first?.notice == .text("Ask the Acme desk."))
    }
}

extension ConditionConfigTests {
    @Test("an allow rule that an unconditional deny rule covers entirely is reported: it can never decide")
    func denyShadowed() throws {
        let policy = """
            [[rule]]
            id = "globex-all"
            action = "deny"
            from = ["org:globex"]
            to = ["*"]

            [[rule]]
            id = "bob-to-ann"
            action = "allow"
            from = ["bob@sales.globex.test"]
            to = ["ann@acme.test"]
            kinds = ["message"]

            [[rule]]
            id = "acme-to-globex-sales"
            action = "allow"
            from = ["org:acme"]
            to = ["domain:sales.globex.test"]
            both_ways = true

            [[rule]]
            id = "no-cards-from-acme"
            action = "deny"
            from = ["org:acme"]
            to = ["*"]
            detectors = ["card"]

            [[rule]]
            id = "acme-out"
            action = "allow"
            from = ["org:acme"]
            to = ["org:globex"]

            [[rule]]
            id = "trial"
            action = "deny"
            mode = "audit-only"
            from = ["*"]
            to = ["*"]
            """
        let issues = try ConfigFixture.issues(["policy.toml": policy]).map(\.description)
        // bob's rule is covered by globex-all. The two-way rule is not: globex-all covers its way back from
        // globex sales, not its way out from acme. acme-out is not either: the only deny over it has a
        // condition, and the audit-only rule never decides.
        #expect(issues == [
            "policy.toml:8: rule[1].id: rule bob-to-ann can never decide: deny rule globex-all matches everything it allows, and a deny beats an allow"
        ])
    }
}

extension ConditionConfigTests {
    @Test("a quarantine rule loads with its conditions and notice; it may hold only messages and edits")
    func quarantineRules() throws {
        let policy = """
            [[rule]]
            id = "hold-cards"
            action = "quarantine"
            from = ["*"]
            to = ["org:globex"]
            detectors = ["card"]
            notice_text = "Card data is reviewed before it leaves."

            [[rule]]
            id = "hold-presence"
            action = "quarantine"
            from = ["org:acme"]
            to = ["org:globex"]
            kinds = ["message", "presence"]
            """
        let issues = try ConfigFixture.issues(["policy.toml": policy]).map(\.description)
        #expect(issues == [
            "policy.toml:14: rule[1].kinds: only messages and edits are held for review, not presence (a held presence would be stale when released)"
        ])
        let good = policy.components(separatedBy: "[[rule]]").prefix(2).joined(separator: "[[rule]]")
        let snapshot = try self.load(["policy.toml": good])
        let rule = try #require(snapshot.policy.rules.first)
        #expect(rule.action == .quarantine && rule.conditions.detectors == [.card] && rule.notice == .text("Card data is reviewed before it leaves."))
    }
}

extension ConditionConfigTests {
    @Test("redact needs something to find, annotate needs a disclaimer, neither is audit-only or changes presence")
    func transformRules() throws {
        let policy = """
            [[rule]]
            id = "mask-cards"
            action = "redact"
            from = ["*"]
            to = ["org:globex"]
            detectors = ["card"]

            [[rule]]
            id = "footer"
            action = "annotate"
            from = ["org:acme"]
            to = ["org:globex"]
            disclaimer = "  From Acme.  "

            [[rule]]
            id = "mask-nothing"
            action = "redact"
            from = ["*"]
            to = ["*"]

            [[rule]]
            id = "no-footer"
            action = "annotate"
            from = ["*"]
            to = ["*"]
            kinds = ["presence"]
            mode = "audit-only"

            [[rule]]
            id = "stray"
            action = "allow"
            from = ["org:acme"]
            to = ["org:globex"]
            disclaimer = "x"
            """
        let issues = try ConfigFixture.issues(["policy.toml": policy]).map(\.description)
        #expect(issues == [
            "policy.toml:17: rule[2].action: a redact rule masks what its words, patterns or detectors find: give at least one",
            "policy.toml:26: rule[3].kinds: only messages and edits are annotated, not presence",
            "policy.toml:27: rule[3].mode: audit-only is for rules that decide (allow, deny, quarantine); an annotate rule acts beside the decision",
            "policy.toml:21: rule[3].disclaimer: an annotate rule needs a disclaimer of 1 to 2,000 characters",
            "policy.toml:34: rule[4].disclaimer: only an annotate rule has a disclaimer",
        ], "\(issues)")
        let good = policy.components(separatedBy: "[[rule]]").prefix(3).joined(separator: "[[rule]]")
        let rules = try self.load(["policy.toml": good]).policy.rules
        #expect(rules.map(\.action) == [.redact, .annotate] && rules[1].disclaimer == "From Acme.")
    }
}

extension ConditionConfigTests {
    @Test("a journal rule needs a destination that routes.toml reaches; its keys belong to journal rules only")
    func journalRules() throws {
        let policy = """
            [[rule]]
            id = "journal-globex"
            action = "journal"
            from = ["org:globex"]
            to = ["*"]
            journal_to = "archive@acme.test"
            journal_denied = true

            [[rule]]
            id = "journal-nowhere"
            action = "journal"
            from = ["*"]
            to = ["*"]
            journal_to = "archive@nowhere.test"

            [[rule]]
            id = "stray"
            action = "allow"
            from = ["org:acme"]
            to = ["org:globex"]
            journal_denied = true
            """
        let issues = try ConfigFixture.issues(["policy.toml": policy]).map(\.description)
        #expect(issues.count == 2, "\(issues)")
        #expect(issues.contains { $0.contains("rule[1].journal_to: unknown journal destination archive@nowhere.test") }, "\(issues)")
        #expect(issues.contains { $0.contains("rule[2].journal_denied: only a journal rule copies denied items") }, "\(issues)")
        let good = policy.components(separatedBy: "[[rule]]").prefix(2).joined(separator: "[[rule]]")
        let rule = try #require(try self.load(["policy.toml": good]).policy.rules.first)
        #expect(rule.action == .journal && rule.journalTo?.description == "archive@acme.test" && rule.journalDenied)
    }
}

extension ConditionConfigTests {
    @Test("a rate_limit rule needs a rate COUNT/UNIT; burst and per are checked; its keys belong to it alone")
    func rateLimitRules() throws {
        let policy = """
            [[rule]]
            id = "pace"
            action = "rate_limit"
            from = ["org:globex"]
            to = ["*"]
            rate = "30/minute"
            burst = 10
            per = "org-pair"

            [[rule]]
            id = "bad-pace"
            action = "rate_limit"
            from = ["*"]
            to = ["*"]
            rate = "lots"
            per = "person"

            [[rule]]
            id = "stray"
            action = "allow"
            from = ["org:acme"]
            to = ["org:globex"]
            rate = "1/second"
            """
        let issues = try ConfigFixture.issues(["policy.toml": policy]).map(\.description)
        #expect(issues.count == 3, "\(issues)")
        #expect(issues.contains { $0.contains("rule[1].per: per is sender, org or org-pair") }, "\(issues)")
        #expect(issues.contains { $0.contains("rule[1].rate: a rate is COUNT/UNIT") }, "\(issues)")
        #expect(issues.contains { $0.contains("rule[2].rate: only a rate_limit rule has a rate") }, "\(issues)")
        let good = policy.components(separatedBy: "[[rule]]").prefix(2).joined(separator: "[[rule]]")
        let limit = try #require(try self.load(["policy.toml": good]).policy.rules.first?.rateLimit)
        #expect(limit.count == 30 && limit.periodSeconds == 60 && limit.burst == 10 && limit.scope == .orgPair)
    }
}
