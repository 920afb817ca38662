import Adapters
import Benchmark
import BridgeModel
import Foundation
import PolicyGate

/// Builds a gate with `count` org-pair rules spread over `count / 10` partner orgs plus the one rule that
/// decides globex -> acme, so the benchmark shows whether a decision's cost grows with unrelated rules.
func gate(rules count: Int) -> PolicyGate {
    var orgs = [Organization(id: "acme", domains: ["acme.test"]), Organization(id: "globex", domains: ["globex.test"])]
    var rules: [PolicyDocument.Rule] = [.init(id: "g2a", action: .allow, from: ["org:globex"], to: ["org:acme"])]
    for index in 0..<count {
        let org = "partner\(index / 10)"
        if index % 10 == 0 { orgs.append(Organization(id: org, domains: ["\(org).test"])) }
        rules.append(.init(id: "r\(index)", action: index % 3 == 0 ? .deny : .allow, from: ["user\(index)@\(org).test"], to: ["org:acme"]))
    }
    return PolicyGate(policy: PolicyDocument(rules: rules), orgs: OrgDirectory(orgs), revision: "bench")
}

/// A 200-term watch list: code names, as an IT team's DLP list holds them.
let watchList = (0..<200).map { "codename\($0) project" }

/// 200 terms whose first letters cover the alphabet, so a scan for them cannot skip the letters that start
/// no term (nearly every letter of the text can start one).
let variedWatchList: [String] = {
    let syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "ba", "do", "fu", "ge", "ha", "ji", "pe", "qu",
                     "wa", "xo", "ya", "ce", "ox", "um", "ir", "el", "an"]
    return (0..<200).map { "\(syllables[$0 % 26])\(syllables[($0 / 26 + 5) % 26])\(syllables[($0 * 7) % 26])x \(syllables[($0 * 3) % 26])" }
}()

/// A gate with `count` rules of mixed selectors (addresses, orgs, domains, groups), about 5% of them content
/// rules (the 200-term watch list, a card detector or a pattern), spread over `count / 10` partner orgs,
/// plus the rule that decides globex -> acme. With `contentOnPath`, one content rule also concerns that pair,
/// so every decision scans the text.
func mixedGate(rules count: Int, contentOnPath: Bool) -> PolicyGate {
    var orgs = [Organization(id: "acme", domains: ["acme.test", "*.acme.test"]), Organization(id: "globex", domains: ["globex.test"])]
    let groups = [
        OrgGroup(org: "acme", name: "research", members: [MemberPattern("*@research.acme.test")!]),
        OrgGroup(org: "acme", name: "trading", members: [MemberPattern("*@trading.acme.test")!, MemberPattern("tom@acme.test")!]),
    ]
    var watch = RuleConditions()
    watch.words = try! TermMatcher(terms: watchList)
    var cards = RuleConditions()
    cards.detectors = [.card]
    var pattern = RuleConditions()
    pattern.patterns = [try! SafePattern("(?i)acct-[0-9]{6}")]
    let contents = [watch, cards, pattern]
    var rules: [PolicyDocument.Rule] = [.init(id: "g2a", action: .allow, from: ["org:globex"], to: ["org:acme"])]
    if contentOnPath {
        rules.append(.init(id: "watch", action: .deny, from: ["org:globex"], to: ["org:acme"], conditions: watch))
    }
    for index in 0..<count {
        let org = "partner\(index / 10)"
        if index % 10 == 0 { orgs.append(Organization(id: org, domains: ["\(org).test"])) }
        let from = switch index % 3 {
        case 0: "user\(index)@\(org).test"
        case 1: "org:\(org)"
        default: "domain:\(org).test"
        }
        let to = index % 2 == 0 ? "group:acme/research" : "org:acme"
        let conditions = index % 20 == 0 ? contents[(index / 20) % 3] : RuleConditions()
        rules.append(.init(id: "r\(index)", action: index % 3 == 0 ? .deny : .allow, from: [from], to: [to], conditions: conditions))
    }
    return PolicyGate(policy: PolicyDocument(rules: rules), orgs: OrgDirectory(orgs, groups: groups), revision: "bench")
}

/// About 4 KB of ordinary prose with numbers in it, and none of the watch list's terms.
let text4K: String = {
    let sentence = "The quarterly numbers for order 48213 look fine, and the team will meet on Tuesday at 10:30 to go over them. "
    return String(repeating: sentence, count: 4096 / sentence.utf8.count + 1)
}()

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.cpuTotal, .wallClock, .mallocCountTotal, .throughput], maxDuration: .seconds(2))

    for count in [10, 1_000, 10_000] {
        let policy = gate(rules: count)
        let request = PolicyRequest(
            kind: .message,
            from: policy.party(try! Address(parsing: "bob@globex.test")),
            to: policy.party(try! Address(parsing: "alice@acme.test"))
        )
        Benchmark("PolicyGate.decide with \(count) unrelated rules") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(policy.decide(request)) }
        }
    }

    // Mixed selectors, 5% content rules elsewhere: a decision that looks at no text (issue target: 10,000
    // rules cost at most twice 10, about 1 µs).
    for count in [10, 1_000, 10_000] {
        let policy = mixedGate(rules: count, contentOnPath: false)
        let request = PolicyRequest(
            kind: .message,
            from: policy.party(try! Address(parsing: "bob@globex.test")),
            to: policy.party(try! Address(parsing: "ann@research.acme.test")),
            content: PolicyContent(text: text4K)
        )
        Benchmark("PolicyGate.decide, \(count) mixed rules (5% content), selectors only") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(policy.decide(request)) }
        }
    }
    // One content rule on the path: the 200-term watch list over 4 KB without a hit, the worst case.
    for count in [10, 10_000] {
        let policy = mixedGate(rules: count, contentOnPath: true)
        let request = PolicyRequest(
            kind: .message,
            from: policy.party(try! Address(parsing: "bob@globex.test")),
            to: policy.party(try! Address(parsing: "ann@research.acme.test")),
            content: PolicyContent(text: text4K)
        )
        Benchmark("PolicyGate.decide, \(count) mixed rules, 200-term watch list over 4 KB") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(policy.decide(request)) }
        }
    }
    let matcher = try! TermMatcher(terms: watchList)
    Benchmark("TermMatcher: 200 terms over 4 KB") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(matcher.firstMatch(in: text4K)) }
    }
    let variedMatcher = try! TermMatcher(terms: variedWatchList)
    Benchmark("TermMatcher: 200 terms of varied first letters over 4 KB") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(variedMatcher.firstMatch(in: text4K)) }
    }
    Benchmark("ContentDetector.card over 4 KB") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(ContentDetector.card.occurs(in: text4K)) }
    }
    Benchmark("ContentDetector.iban over 4 KB") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(ContentDetector.iban.occurs(in: text4K)) }
    }
    let accountPattern = try! SafePattern("(?i)acct-[0-9]{6}")
    Benchmark("SafePattern (?i)acct-[0-9]{6} over 4 KB") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(accountPattern.matches(text4K)) }
    }

    let secret = Secret(bytes: Array("globex-webhook-secret".utf8))
    let body = Array(#"{"event_id":"evt-1","from":"bob@globex.test","from_name":"Bob","to":["alice@acme.test"],"text":"hello there, this is a chat message of ordinary length"}"#.utf8)
    let timestamp = Int64(Date().timeIntervalSince1970)
    let signature = WebhookSignature.sign(body: body, timestamp: timestamp, secret: secret)
    Benchmark("Webhook inbound: verify signature and decode (generic dialect)") { benchmark in
        for _ in benchmark.scaledIterations {
            try WebhookSignature.verify(
                body: body, timestampHeader: "\(timestamp)", signatureHeader: signature, secret: secret, now: Date(), tolerance: 300
            )
            blackHole(try GenericDialect().decode(body: body, adapter: "globex-chat", receivedAt: Date()))
        }
    }

    let envelope = try! GenericDialect().decode(body: body, adapter: "globex-chat", receivedAt: Date())
    Benchmark("Envelope store encoding round trip") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try EnvelopeCoding.decode(try EnvelopeCoding.encode(envelope)))
        }
    }

    // 100 chat stanzas of ordinary size, as one component stream delivers them.
    let header = "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:component:accept' id='b1'>"
    let stanza = "<message from='alice@acme.test/phone' to='bob\\40globex.test@partners.acme.test' type='chat' id='m1'>"
        + "<body>hello there, this is a chat message of ordinary length &amp; a little markup &lt;3</body>"
        + "<active xmlns='http://jabber.org/protocol/chatstates'/></message>"
    let stream = Array((header + String(repeating: stanza, count: 100)).utf8)
    Benchmark("XMPP stream parser: 100 stanzas per iteration", configuration: .init(scalingFactor: .one)) { benchmark in
        for _ in benchmark.scaledIterations {
            let parser = XMPPStreamParser()
            blackHole(try parser.feed(stream))
        }
    }
}
