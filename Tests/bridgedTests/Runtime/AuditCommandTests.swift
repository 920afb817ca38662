import BridgeModel
import Crypto
import Foundation
import Testing

@testable import bridged

@Suite("bridged audit: verify, key, prove, check-proof, consistency, reindex on a daemon's log")
struct AuditCommandTests {
    @Test("a daemon's log after traffic: every record provable offline, checkpoints consistent, the verifier key C2SP-shaped")
    func proofsFromTheCommandLine() async throws {
        let fixture = try GatewayFixture()
        defer { fixture.remove() }
        let config = fixture.root.path
        do {
            let daemon = try DaemonProcess(config: fixture.root)
            defer { daemon.kill() }
            fixture.fixedPublicPort = try await daemon.waitReady().public
            for index in 1...6 {
                #expect(try await fixture.post(GatewayFixture.message("evt-cli-\(index)")).status == 202)
            }
            try await eventually("six messages are spooled") { fixture.spoolFiles().count == 6 }
            daemon.signal(SIGTERM)
            #expect(try await daemon.waitForExit() == 0)
        }
        let records = try fixture.auditRecords()
        #expect(records.filter { $0["event"] as? String == "audit-key" }.count == 1, "a new log declares its key once")

        let publicKey = try fixture.publicKey().rawRepresentation.base64EncodedString()
        let key = try DaemonProcess.command(["audit", "key", "--config", config])
        #expect(key.status == 0, "\(key.output)")
        let verifier = try #require(key.output.split(separator: "\n").first { $0.hasPrefix("verifier key ") }).dropFirst("verifier key ".count)
        let noteKey = try #require(NoteKey(verifierKey: String(verifier)), "\(key.output)")
        #expect(noteKey.publicKey.rawRepresentation.base64EncodedString() == publicKey)

        let verify = try DaemonProcess.command([
            "audit", "verify", "--public-key", String(verifier), "--audit-directory", fixture.auditDirectory.path,
        ])
        #expect(verify.status == 0, "\(verify.output)")
        #expect(verify.output.contains("tree root "), "\(verify.output)")

        let proofFile = fixture.root.appendingPathComponent("proof.json")
        for seq in [1, records.count / 2, records.count] {
            let prove = try DaemonProcess.command(["audit", "prove", "--seq", "\(seq)", "--config", config])
            #expect(prove.status == 0, "\(prove.output)")
            try Data(prove.output.utf8).write(to: proofFile)
            let check = try DaemonProcess.command(["audit", "check-proof", proofFile.path, "--public-key", publicKey])
            #expect(check.status == 0, "record \(seq): \(check.output)")
            #expect(check.output.contains("proof OK: record \(seq) is in"), "\(check.output)")
        }
        let other = Curve25519.Signing.PrivateKey().publicKey.rawRepresentation.base64EncodedString()
        let wrongKey = try DaemonProcess.command(["audit", "check-proof", proofFile.path, "--public-key", other])
        #expect(wrongKey.status == 1, "\(wrongKey.output)")

        let consistency = try DaemonProcess.command(["audit", "consistency", "--config", config])
        #expect(consistency.status == 0, "\(consistency.output)")
        let proof = try JSONDecoder().decode(ConsistencyProof.self, from: Data(consistency.output.utf8))
        #expect(proof.size2 == UInt64(records.count))
        #expect(
            Merkle.verifyConsistency(
                size1: proof.size1, size2: proof.size2, root1: TreeHash(base64: proof.root1)!, root2: TreeHash(base64: proof.root2)!,
                proof: proof.proof.map { TreeHash(base64: $0)! }
            )
        )

        try FileManager.default.removeItem(at: fixture.auditDirectory.appendingPathComponent(AuditTree.directoryName))
        let reindex = try DaemonProcess.command(["audit", "reindex", "--config", config])
        #expect(reindex.status == 0, "\(reindex.output)")
        #expect(reindex.output.contains("\(records.count) leaves"), "\(reindex.output)")
        let again = try DaemonProcess.command(["audit", "prove", "--seq", "2", "--config", config])
        #expect(again.status == 0, "\(again.output)")
    }
}
