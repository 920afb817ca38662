#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import BridgeModel
import Crypto
import Foundation
import Logging

/// `bridged bench audit`: durable appends in batches against the raw write+fsync rate of the same bytes on
/// the same disk, then `audit verify` of the whole log and the size of an inclusion proof at its end.
struct AuditBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Measure audit appends (durable, in batches), verification and proof sizes on this machine's disk."
    )

    @Option(help: "How many records to append (1000 to 2000000).")
    var records = 100_000

    @Option(help: "Records per durable append (1 to 10000).")
    var batch = 100

    @Option(help: "Work directory (default: a new temporary directory, removed afterwards).")
    var directory: String?

    func run() async throws {
        guard (1000...2_000_000).contains(self.records), (1...10_000).contains(self.batch) else {
            Output.error("--records must be 1000...2000000 and --batch 1...10000")
            throw ExitCode(2)
        }
        let result = try await AuditBenchmark.run(
            records: self.records, batch: self.batch, directory: self.directory.map { URL(fileURLWithPath: $0) }
        )
        print(result.summary)
    }
}

enum AuditBenchmark {
    struct Result: Sendable {
        var records: Int
        var batch: Int
        var appendSeconds: Double
        var ceilingSeconds: Double
        var bytes: Int
        var verifySeconds: Double
        var proofHashes: Int
        var proofSeconds: Double
        var consistencyHashes: Int

        var appended: Double { Double(self.records) / self.appendSeconds }
        var ceiling: Double { Double(self.records) / self.ceilingSeconds }

        var summary: String {
            let mb = Double(self.bytes) / 1_048_576
            return """
                audit: \(self.records) records in batches of \(self.batch) (\(String(format: "%.1f", mb)) MiB, \(self.bytes / self.records) bytes each)
                  append (durable):   \(Int(self.appended)) records/s   \(String(format: "%.2f", self.appendSeconds)) s
                  ceiling:            \(Int(self.ceiling)) records/s   (the same bytes, one write + fsync per batch, no JSON or hashing)
                  append / ceiling:   \(String(format: "%.2f", self.appended / self.ceiling))
                  verify:             \(String(format: "%.2f", self.verifySeconds)) s for the whole log (\(Int(Double(self.records) / self.verifySeconds)) records/s)
                  inclusion proof:    \(self.proofHashes) hashes = \(self.proofHashes * 32) bytes at size \(self.records), made and checked in \(String(format: "%.1f", self.proofSeconds * 1000)) ms
                  consistency proof:  \(self.consistencyHashes) hashes = \(self.consistencyHashes * 32) bytes from size \(self.records / 3) to \(self.records)
                """
        }
    }

    static func run(records: Int, batch: Int, directory: URL?) async throws -> Result {
        let root = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("bridged-bench-audit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { if directory == nil { try? FileManager.default.removeItem(at: root) } }
        let auditDirectory = root.appendingPathComponent("audit")
        let key = Curve25519.Signing.PrivateKey()
        var settings = AuditSettings()
        settings.origin = "bench.invalid/bridged-audit"
        let log = try AuditLog(directory: auditDirectory, signingKey: key, settings: settings, logger: Logger(label: "bench"))
        let events = (0..<batch).map(Self.event)
        var batchBytes: [Int] = []
        let clock = ContinuousClock()
        let start = clock.now
        var written = 0
        var previousSize = 0
        while written < records {
            let count = min(batch, records - written)
            try await log.append(Array(events.prefix(count)))
            written += count
            let size = Self.segmentBytes(auditDirectory)
            batchBytes.append(size - previousSize)
            previousSize = size
        }
        try await log.close()
        let appendSeconds = Self.seconds(clock.now - start)
        let ceilingSeconds = try Self.ceiling(root.appendingPathComponent("ceiling.bin"), batches: batchBytes)

        let verifyStart = clock.now
        let report = try AuditVerifier(directory: auditDirectory, publicKey: key.publicKey).verify()
        let verifySeconds = Self.seconds(clock.now - verifyStart)
        guard report.records == Int64(records) else {
            throw AuditProofs.Failure(description: "verify saw \(report.records) records, \(records) were appended")
        }
        let proofs = AuditProofs(directory: auditDirectory)
        let proofStart = clock.now
        let proof = try proofs.inclusion(seq: Int64(records / 2 + 1))
        _ = try proof.check(keys: [key.publicKey])
        let proofSeconds = Self.seconds(clock.now - proofStart)
        let consistency = try proofs.consistency(size1: UInt64(records / 3), size2: UInt64(records))
        return Result(
            records: records, batch: batch, appendSeconds: appendSeconds, ceilingSeconds: ceilingSeconds, bytes: previousSize,
            verifySeconds: verifySeconds, proofHashes: proof.proof.count, proofSeconds: proofSeconds,
            consistencyHashes: consistency.proof.count
        )
    }

    /// A `decided` record as the router writes them.
    static func event(_ index: Int) -> AuditEvent {
        var event = AuditEvent(.decided)
        event.envelope = String(format: "01JBENCH%018d", index)
        event.kind = "message"
        event.from = "bob@globex.test"
        event.to = ["alice@acme.test"]
        event.adapter = "acme-chat"
        event.decision = .init(
            effect: "allow", rules: ["globex-acme-chat"], revision: "bench-1@sha256:4779fafc1695",
            reason: "message from bob@globex.test (globex) to alice@acme.test (acme) is allowed"
        )
        return event
    }

    private static func segmentBytes(_ directory: URL) -> Int {
        let segments = AuditSegments(directory: directory)
        return ((try? segments.segmentNumbers()) ?? []).reduce(0) { total, number in
            total + ((try? FileManager.default.attributesOfItem(atPath: segments.segmentURL(number).path)[.size] as? Int) ?? 0)
        }
    }

    /// Writes the same batch sizes with one write and one fsync each: what the disk allows at best.
    private static func ceiling(_ url: URL, batches: [Int]) throws -> Double {
        let fd = open(url.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw AuditProofs.Failure(description: "cannot open \(url.path)") }
        defer { close(fd) }
        let buffer = [UInt8](repeating: 0x7B, count: batches.max() ?? 0)
        let clock = ContinuousClock()
        let start = clock.now
        for size in batches where size > 0 {
            let written = buffer.withUnsafeBytes { write(fd, $0.baseAddress, size) }
            guard written == size, fsync(fd) == 0 else { throw AuditProofs.Failure(description: "ceiling write failed") }
        }
        return self.seconds(clock.now - start)
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
