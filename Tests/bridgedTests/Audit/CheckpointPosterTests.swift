import AsyncHTTPClient
import BridgeModel
import Crypto
import Foundation
import Logging
import Testing

@testable import bridged

@Suite("Checkpoints posted off the box, against a real HTTP receiver on loopback")
struct CheckpointPosterTests {
    @Test("a receiver answering 500 twice gets the checkpoint after, as a signed note that verifies; the bearer token is sent")
    func retriedUntilAcknowledged() async throws {
        let sink = HookSink()
        let port = try await sink.start()
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        defer {
            Task {
                await sink.stop()
                try? await client.shutdown()
            }
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = Curve25519.Signing.PrivateKey()
        var settings = AuditSettings()
        settings.checkpointRecords = 3
        settings.origin = "gw.acme.test/bridged-audit"
        let log = try AuditLog(directory: directory, signingKey: key, settings: settings, logger: Logger(label: "test"))
        for index in 1...3 {
            var event = AuditEvent(.accepted)
            event.envelope = "env-\(index)"
            try await log.append([event])
        }
        await sink.state.fail([500, 500])
        let poster = CheckpointPoster(
            url: "http://127.0.0.1:\(port)/hooks/audit", token: "receiver-token", client: client, logger: Logger(label: "test")
        )
        // Called as the daemon calls it, once a second; the backoff (1 s, then 2 s) decides when it posts.
        let deadline = ContinuousClock.now + .seconds(60)
        while await poster.acknowledged < 3, ContinuousClock.now < deadline {
            await poster.publish(await log.latestCheckpoint)
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(await poster.acknowledged == 3, "the checkpoint was not acknowledged within 60 s")
        #expect(await sink.state.count == 1, "one acknowledged post after two refused ones")
        #expect(await sink.state.headers.first?["authorization"] == "Bearer receiver-token")
        #expect(await sink.state.field("size") == ["3"])
        let note = try #require(await sink.state.field("note").first)
        let opened = try SignedNote.open(note, keys: [NoteKey(name: "gw.acme.test/bridged-audit", publicKey: key.publicKey)])
        #expect([TreeHead(text: opened.text)?.root.base64 ?? "-"] == (await sink.state.field("root")))
        // Nothing new: nothing posted again.
        await poster.publish(await log.latestCheckpoint)
        #expect(await sink.state.count == 1)
        try await log.close()
    }
}
