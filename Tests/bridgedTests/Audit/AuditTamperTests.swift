import BridgeModel
import Crypto
import Foundation
import Logging
import Testing

@testable import bridged

@Suite("Audit log: chain, checkpoints, verify catches tampering")
struct AuditTamperTests {
    let key = Curve25519.Signing.PrivateKey()

    /// Writes 25 records with a signed checkpoint every 10 (at 10 and 20) and a final one at close (25).
    func makeLog(closing: Bool = true) async throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString)")
        var settings = AuditSettings()
        settings.checkpointRecords = 10
        let log = try AuditLog(directory: directory, signingKey: self.key, settings: settings, logger: Logger(label: "test"))
        for index in 1...25 {
            var event = AuditEvent(.accepted)
            event.envelope = "env-\(index)"
            event.from = "bob@globex.test"
            try await log.append([event])
        }
        if closing { try await log.close() }
        return directory
    }

    func verify(_ directory: URL) -> Result<AuditVerifier.Report, AuditVerifier.Problem> {
        Result { () throws(AuditVerifier.Problem) in
            try AuditVerifier(directory: directory, publicKey: self.key.publicKey).verify()
        }
    }

    var segment: String { "audit-000001.jsonl" }

    func lines(_ directory: URL, _ file: String? = nil) throws -> [String] {
        try String(contentsOf: directory.appendingPathComponent(file ?? self.segment), encoding: .utf8)
            .split(separator: "\n").map(String.init)
    }

    func write(_ lines: [String], _ directory: URL, _ file: String? = nil) throws {
        try (lines.joined(separator: "\n") + "\n").write(to: directory.appendingPathComponent(file ?? self.segment), atomically: true, encoding: .utf8)
    }

    func problem(_ directory: URL) throws -> AuditVerifier.Problem {
        switch self.verify(directory) {
        case .success(let report): 
            Issue.record("verify passed a tampered log (\(report.records) records)")
            throw CancellationError()
        case .failure(let problem): return problem
        }
    }

    @Test("an untouched log verifies, with its checkpoints")
    func intact() async throws {
        let directory = try await self.makeLog()
        defer { try? FileManager.default.removeItem(at: directory) }
        let report = try self.verify(directory).get()
        #expect(report.records == 25)
        #expect(report.checkpoints == 3)
        #expect(report.unsignedTail == 0)
    }

    @Test("an edited record is named")
    func edited() async throws {
        let directory = try await self.makeLog()
        defer { try? FileManager.default.removeItem(at: directory) }
        var lines = try self.lines(directory)
        lines[6] = lines[6].replacingOccurrences(of: "bob@globex.test", with: "eve@globex.test")
        try self.write(lines, directory)
        let problem = try self.problem(directory)
        #expect(problem.sequence == 7)
        #expect(problem.line == 7)
        #expect(problem.message.contains("edited"))
    }

    @Test("a deleted record is named")
    func deleted() async throws {
        let directory = try await self.makeLog()
        defer { try? FileManager.default.removeItem(at: directory) }
        var lines = try self.lines(directory)
        lines.remove(at: 11)
        try self.write(lines, directory)
        let problem = try self.problem(directory)
        #expect(problem.sequence == 13)
        #expect(problem.message.contains("expected record 12"))
    }

    @Test("reordered records are named")
    func reordered() async throws {
        let directory = try await self.makeLog()
        defer { try? FileManager.default.removeItem(at: directory) }
        var lines = try self.lines(directory)
        lines.swapAt(3, 4)
        try self.write(lines, directory)
        let problem = try self.problem(directory)
        #expect(problem.sequence == 5)
        #expect(problem.line == 4)
    }

    @Test("a tail cut after a checkpoint is detected")
    func truncated() async throws {
        let directory = try await self.makeLog()
        defer { try? FileManager.default.removeItem(at: directory) }
        let lines = try self.lines(directory)
        try self.write(Array(lines.prefix(22)), directory)
        let problem = try self.problem(directory)
        #expect(problem.message.contains("cut from the end"))
        #expect(problem.sequence == 23)
    }

    @Test("an edit with the whole chain re-hashed is caught by the signed checkpoint")
    func rewrittenChain() async throws {
        let directory = try await self.makeLog()
        defer { try? FileManager.default.removeItem(at: directory) }
        var lines = try self.lines(directory)
        lines[2] = lines[2].replacingOccurrences(of: "env-3", with: "env-X")
        try self.write(Rehash.chain(lines), directory)
        let problem = try self.problem(directory)
        #expect(problem.sequence == 10)
        #expect(problem.message.contains("signed checkpoint"))
    }

    @Test("a forged checkpoint fails its signature")
    func forgedCheckpoint() async throws {
        let directory = try await self.makeLog()
        defer { try? FileManager.default.removeItem(at: directory) }
        var lines = try self.lines(directory, AuditSegments.checkpointsFile)
        lines[0] = lines[0].replacingOccurrences(of: "\"seq\":10", with: "\"seq\":9")
        try self.write(lines, directory, AuditSegments.checkpointsFile)
        let problem = try self.problem(directory)
        #expect(problem.file == AuditSegments.checkpointsFile)
        #expect(problem.message.contains("signature"))
    }

    @Test("a write cut by a crash is trimmed at start-up and the chain continues intact")
    func partialLastLine() async throws {
        let directory = try await self.makeLog(closing: false)
        defer { try? FileManager.default.removeItem(at: directory) }
        let handle = try FileHandle(forWritingTo: directory.appendingPathComponent(self.segment))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"event":"accepted","seq":26,"#.utf8))
        try handle.close()
        let log = try AuditLog(directory: directory, signingKey: self.key, settings: AuditSettings(), logger: Logger(label: "test"))
        #expect(await log.lastSequence == 25)
        try await log.append([AuditEvent(.stopped)])
        try await log.close()
        #expect(try self.verify(directory).get().records == 26)
    }

    @Test("records after a sequence are read back for re-indexing")
    func reindex() async throws {
        let directory = try await self.makeLog(closing: false)
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = try AuditLog(directory: directory, signingKey: self.key, settings: AuditSettings(), logger: Logger(label: "test"))
        let entries = try await log.indexEntries(after: 20)
        #expect(entries.map(\.sequence) == [21, 22, 23, 24, 25])
        #expect(entries.first?.envelopeID?.rawValue == "env-21")
    }
}

/// Recomputes every hash of a segment, as an attacker who edited a record would.
enum Rehash {
    static func chain(_ lines: [String]) -> [String] {
        var previous = AuditSegments.genesisHash
        return lines.map { line in
            let (body, _) = AuditSegments.split(Substring(line))!
            var object = try! JSONSerialization.jsonObject(with: Data(body.utf8)) as! [String: Any]
            object["prev"] = previous
            let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            let newBody = String(decoding: data, as: UTF8.self)
            let hash = SHA256.hash(data: Array(previous.utf8) + [0x0A] + Array(newBody.utf8)).hexString
            previous = hash
            return String(newBody.dropLast()) + #","hash":""# + hash + "\"}"
        }
    }
}

extension AuditTamperTests {
    @Test("a checkpoint that cannot be written after the records are on disk does not make the append fail")
    func checkpointFailureAfterRecords() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var settings = AuditSettings()
        settings.checkpointRecords = 1
        let log = try AuditLog(directory: directory, signingKey: self.key, settings: settings, logger: Logger(label: "test"))
        // A directory where the checkpoint file should be: every checkpoint write fails.
        try FileManager.default.createDirectory(at: AuditSegments(directory: directory).checkpointsURL, withIntermediateDirectories: true)
        var event = AuditEvent(.accepted)
        event.envelope = "env-1"
        let index = try await log.append([event])
        #expect(index.map(\.sequence) == [1], "the append reported its records")
        #expect(await log.checkpointFailures == 1)
        #expect(try self.lines(directory).count == 1, "the record is on disk exactly once")
        // Once the file can be written again, the next append checkpoints.
        try FileManager.default.removeItem(at: AuditSegments(directory: directory).checkpointsURL)
        event.envelope = "env-2"
        _ = try await log.append([event])
        #expect(await log.checkpointFailures == 1)
        try await log.close()
        if case .failure(let problem) = self.verify(directory) { Issue.record("verify failed: \(problem)") }
    }
}
