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
