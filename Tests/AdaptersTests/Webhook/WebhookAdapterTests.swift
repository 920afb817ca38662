import Adapters
import BridgeModel
import Foundation
import Logging
import Testing

@Suite("Webhook adapter, generic dialect, inbound")
struct WebhookAdapterTests {
    let secret = Secret(bytes: Array("s3cret".utf8))
    let now = Date(timeIntervalSince1970: 1_763_712_000)

    var adapter: WebhookAdapter {
        WebhookAdapter(
            name: "globex-chat", org: "globex",
            settings: WebhookSettings(inboundSecret: .environment("UNUSED")),
            inboundSecret: self.secret, deliverSecret: nil, httpClient: nil, logger: Logger(label: "test")
        )
    }

    func signed(_ body: String, timestamp: Int64? = nil, secret: Secret? = nil) -> WebhookAdapter.Request {
        let ts = timestamp ?? Int64(self.now.timeIntervalSince1970)
        let bytes = Array(body.utf8)
        return WebhookAdapter.Request(
            headers: [
                "x-bridged-timestamp": "\(ts)",
                "x-bridged-signature": WebhookSignature.sign(body: bytes, timestamp: ts, secret: secret ?? self.secret),
            ],
            body: bytes
        )
    }

    static let message = #"{"event_id":"evt-1","from":"bob@globex.test","from_name":"Bob","to":["alice@acme.test"],"text":"hello\r\nthere"}"#

    @Test("a signed message is accepted, answered 202 and becomes an envelope")
    func accepted() async throws {
        let sink = RecordingSink()
        let response = await self.adapter.handle(self.signed(Self.message), sink: sink, now: self.now)
        #expect(response.status == 202)
        let envelope = try #require(await sink.accepted.first)
        #expect(envelope.origin == Origin(adapter: "globex-chat", nativeID: "evt-1"))
        #expect(envelope.sender.address.description == "bob@globex.test")
        #expect(envelope.sender.displayName == "Bob")
        #expect(envelope.recipients.map(\.description) == ["alice@acme.test"])
        #expect(envelope.body == "hello\nthere")
        #expect(envelope.hops == ["globex-chat"])
        #expect(await sink.rejections.isEmpty)
    }

    @Test("the same event posted twice is accepted once and answered 200 the second time")
    func duplicate() async {
        let sink = RecordingSink()
        #expect(await self.adapter.handle(self.signed(Self.message), sink: sink, now: self.now).status == 202)
        let second = await self.adapter.handle(self.signed(Self.message), sink: sink, now: self.now)
        #expect(second.status == 200)
        #expect(String(decoding: second.body, as: UTF8.self).contains("\"duplicate\":true"))
        #expect(await sink.accepted.count == 1)
    }

    @Test(
        "unsigned, forged, tampered and replayed requests get 401, no envelope, and a rejection record",
        arguments: ["missing", "wrong-secret", "tampered", "stale", "garbage", "int64-min", "int64-max", "future"]
    )
    func signatures(_ variant: String) async {
        let sink = RecordingSink()
        var request = self.signed(Self.message)
        switch variant {
        case "missing": request.headers = [:]
        case "wrong-secret": request = self.signed(Self.message, secret: Secret(bytes: Array("guess".utf8)))
        case "tampered": request.body = Array(Self.message.replacingOccurrences(of: "alice", with: "ceo").utf8)
        case "stale": request = self.signed(Self.message, timestamp: Int64(self.now.timeIntervalSince1970) - 301)
        // Validly signed extremes must be refused, not trap on arithmetic overflow and kill the daemon.
        case "int64-min": request = self.signed(Self.message, timestamp: Int64.min)
        case "int64-max": request = self.signed(Self.message, timestamp: Int64.max)
        case "future": request = self.signed(Self.message, timestamp: Int64(self.now.timeIntervalSince1970) + 301)
        default: request.headers["x-bridged-signature"] = "v1=zz"
        }
        let response = await self.adapter.handle(request, sink: sink, now: self.now)
        #expect(response.status == 401)
        #expect(await sink.accepted.isEmpty)
        let rejection = await sink.rejections.first
        #expect(rejection?.adapter == "globex-chat")
        #expect(["missing-signature", "bad-signature", "stale-timestamp"].contains(rejection?.reason ?? ""))
        if variant.hasPrefix("int64") || variant == "future" || variant == "stale" { #expect(rejection?.reason == "stale-timestamp") }
    }

    @Test(
        "malformed JSON gets 400 and shapes that cannot be an envelope get 422",
        arguments: [
            ("{not json", 400, "malformed-json"),
            (#"{"event_id":"e","from":"bob@globex.test","to":["alice@acme.test"]}"#, 400, "malformed-json"),
            (#"[1,2,3]"#, 400, "malformed-json"),
            (#"{"event_id":"e","from":"bob","to":["alice@acme.test"],"text":"x"}"#, 422, "invalid-field"),
            (#"{"event_id":"e","from":"bob@globex.test","text":"x"}"#, 422, "invalid-field"),
            (#"{"event_id":"e","from":"bob@globex.test","to":["a@acme.test"],"subject":"hi\r\nBcc: x@y","text":"x"}"#, 422, "invalid-field"),
            (#"{"event_id":"e","from":"bob@globex.test","to":["a@acme.test"],"from_name":"B\nob","text":"x"}"#, 422, "invalid-field"),
            (#"{"event_id":"e","from":"bob@globex.test","to":["a@acme.test"],"text":"bell\u0007"}"#, 422, "invalid-field"),
            (#"{"event_id":"e","kind":"presence","from":"bob@globex.test","to":["a@acme.test"],"text":"x"}"#, 422, "unsupported-kind"),
            (#"{"event_id":"","from":"bob@globex.test","to":["a@acme.test"],"text":"x"}"#, 422, "invalid-field"),
        ]
    )
    func badBodies(_ body: String, _ status: Int, _ reason: String) async {
        let sink = RecordingSink()
        let response = await self.adapter.handle(self.signed(body), sink: sink, now: self.now)
        #expect(response.status == status)
        #expect(await sink.accepted.isEmpty)
        #expect(await sink.rejections.first?.reason == reason)
    }

    @Test("a sender outside the adapter's org is refused with 403")
    func senderOutsideOrg() async {
        let sink = RecordingSink()
        await sink.failNext(with: AcceptError(.senderOutsideOrg, "acme.test is not globex"))
        let body = #"{"event_id":"e","from":"ceo@acme.test","to":["a@acme.test"],"text":"x"}"#
        let response = await self.adapter.handle(self.signed(body), sink: sink, now: self.now)
        #expect(response.status == 403)
        #expect(await sink.rejections.first?.reason == "sender-outside-org")
    }

    @Test("a store failure is answered 503 so the source retries, never 2xx")
    func storeFailure() async {
        let sink = RecordingSink()
        await sink.failNext(with: AcceptError(.storeFailed, "disk full"))
        let response = await self.adapter.handle(self.signed(Self.message), sink: sink, now: self.now)
        #expect(response.status == 503)
        #expect(await sink.accepted.isEmpty)
    }

    @Test("the signature covers the exact bytes: a known vector")
    func signatureVector() {
        // HMAC-SHA256(key "s3cret", "v1:1763712000:{}"), computed independently with openssl.
        let signature = WebhookSignature.sign(body: Array("{}".utf8), timestamp: 1_763_712_000, secret: self.secret)
        #expect(signature == "v1=" + WebhookAdapterTests.opensslVector)
    }

    static let opensslVector = "97ea50761ac1d49a8cca203edcbecdd9964ff52c975a520d739d94fb30b29456"
}
