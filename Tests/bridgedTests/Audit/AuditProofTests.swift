import BridgeModel
import Crypto
import Foundation
import Logging
import Testing

@testable import bridged

@Suite("Audit log: Merkle tree, C2SP checkpoints, proofs, key rotation, logs from before the tree")
struct AuditProofTests {
    let key = Curve25519.Signing.PrivateKey()

    func temporaryDirectory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString)")
    }

    func settings(checkpointEvery records: Int = 10) -> AuditSettings {
        var settings = AuditSettings()
        settings.checkpointRecords = records
        settings.origin = "gw.acme.test/bridged-audit"
        return settings
    }

    /// Appends `count` records (after a key record when the log asks for one) and closes the log.
    func write(_ directory: URL, key: Curve25519.Signing.PrivateKey, count: Int, from first: Int = 1) async throws {
        let log = try AuditLog(directory: directory, signingKey: key, settings: self.settings(), logger: Logger(label: "test"))
        if let record = await log.keyRecord() { try await log.append([record]) }
        for index in first..<(first + count) {
            var event = AuditEvent(.accepted)
            event.envelope = "env-\(index)"
            event.from = "bob@globex.test"
            try await log.append([event])
        }
        try await log.close()
    }

    func lines(_ url: URL) throws -> [String] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    @Test("checkpoints are C2SP signed notes whose root is the RFC 6962 root over the record lines")
    func checkpointsAreNotes() async throws {
        let directory = self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await self.write(directory, key: self.key, count: 24)
        let segments = AuditSegments(directory: directory)
        let records = try self.lines(segments.segmentURL(1))
        #expect(records.count == 25)
        let last = try #require(AuditCheckpoint.last(in: segments.checkpointsURL))
        let note = try #require(last.note)
        let opened = try SignedNote.open(note, keys: [NoteKey(name: "gw.acme.test/bridged-audit", publicKey: self.key.publicKey)])
        let head = try #require(TreeHead(text: opened.text))
        #expect(head.size == 25)
        #expect(head.root == Merkle.root(records.map { Merkle.leafHash(Array($0.utf8)) }[...]))
        let report = try AuditVerifier(directory: directory, publicKey: self.key.publicKey).verify()
        #expect(report.records == 25)
        #expect(report.root == head.root)
        #expect(report.keyIDs == [AuditCheckpoint.keyID(self.key.publicKey)])
    }

    @Test("every record's inclusion proof verifies offline, and an altered record, path or checkpoint does not")
    func inclusionProofs() async throws {
        let directory = self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await self.write(directory, key: self.key, count: 36)
        let proofs = AuditProofs(directory: directory)
        for seq in Int64(1)...37 {
            let proof = try proofs.inclusion(seq: seq)
            #expect(proof.tree_size == 37)
            #expect(try proof.check(keys: [self.key.publicKey]).size == 37)
        }
        let early = try proofs.inclusion(seq: 3, size: 5)
        #expect(early.tree_size == 10, "the first checkpoint covering size 5 is the one at 10")
        var proof = try proofs.inclusion(seq: 7)
        #expect(proof.proof.count == 6)
        proof.record = proof.record.replacingOccurrences(of: "env-6", with: "env-X")
        #expect(throws: AuditProofs.Failure.self) { try proof.check(keys: [self.key.publicKey]) }
        proof = try proofs.inclusion(seq: 7)
        proof.proof.swapAt(0, 1)
        #expect(throws: AuditProofs.Failure.self) { try proof.check(keys: [self.key.publicKey]) }
        proof = try proofs.inclusion(seq: 7)
        proof.checkpoint = proof.checkpoint.replacingOccurrences(of: "\n37\n", with: "\n38\n")
        proof.tree_size = 38
        #expect(throws: AuditProofs.Failure.self) { try proof.check(keys: [self.key.publicKey]) }
        #expect(throws: AuditProofs.Failure.self) { try proofs.inclusion(seq: 38) }
    }

    @Test("consistency proofs between any two checkpoints verify")
    func consistencyProofs() async throws {
        let directory = self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await self.write(directory, key: self.key, count: 44)
        let proofs = AuditProofs(directory: directory)
        let sizes = proofs.checkpoints().map(\.head.size)
        #expect(sizes == [10, 20, 30, 40, 45])
        for first in sizes {
            for second in sizes where second >= first {
                let proof = try proofs.consistency(size1: first, size2: second)
                #expect(proof.checkpoint1 != nil && proof.checkpoint2 != nil)
                #expect(
                    Merkle.verifyConsistency(
                        size1: first, size2: second, root1: TreeHash(base64: proof.root1)!, root2: TreeHash(base64: proof.root2)!,
                        proof: proof.proof.map { TreeHash(base64: $0)! }
                    )
                )
            }
        }
    }

    @Test("a key change is a record; both keys verify the log, one alone does not, and a late checkpoint by the old key is refused")
    func keyRotation() async throws {
        let directory = self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let newKey = Curve25519.Signing.PrivateKey()
        try await self.write(directory, key: self.key, count: 12)
        try await self.write(directory, key: newKey, count: 12, from: 13)
        let segment = try self.lines(AuditSegments(directory: directory).segmentURL(1))
        let keyRecords = segment.filter { $0.contains(#""event":"audit-key""#) }
        #expect(keyRecords.count == 2)
        #expect(keyRecords[1].contains(#""previous_key_id":"\#(AuditCheckpoint.keyID(self.key.publicKey))""#))

        let report = try AuditVerifier(directory: directory, publicKeys: [self.key.publicKey, newKey.publicKey]).verify()
        #expect(report.records == 26)
        #expect(report.keyIDs == [self.key, newKey].map { AuditCheckpoint.keyID($0.publicKey) })
        #expect(throws: AuditVerifier.Problem.self) {
            try AuditVerifier(directory: directory, publicKeys: [self.key.publicKey]).verify()
        }
        #expect(throws: AuditVerifier.Problem.self) {
            try AuditVerifier(directory: directory, publicKeys: [newKey.publicKey]).verify()
        }

        // Someone holding the retired key signs a checkpoint of the later log: refused, though the root is right.
        let tree = try AuditTree(auditDirectory: directory, readOnly: true)
        let forged = try AuditCheckpoint.make(
            head: TreeHead(origin: "gw.acme.test/bridged-audit", size: 26, root: try tree.root(size: 26)), at: "2026-12-03T00:00:00.000Z",
            key: self.key
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let checkpoints = AuditSegments(directory: directory).checkpointsURL
        let handle = try FileHandle(forWritingTo: checkpoints)
        try handle.seekToEnd()
        try handle.write(contentsOf: try encoder.encode(forged) + Data("\n".utf8))
        try handle.close()
        do {
            _ = try AuditVerifier(directory: directory, publicKeys: [self.key.publicKey, newKey.publicKey]).verify()
            Issue.record("a checkpoint by the retired key verified")
        } catch {
            #expect(error.message.contains("made key \(AuditCheckpoint.keyID(newKey.publicKey)) the signing key"), "\(error)")
        }
    }

    @Test("deleted or damaged tree files are rebuilt from the segments at start, and the log goes on verifying")
    func treeRebuilt() async throws {
        let directory = self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await self.write(directory, key: self.key, count: 20)
        let treeDirectory = directory.appendingPathComponent(AuditTree.directoryName)
        try FileManager.default.removeItem(at: treeDirectory)
        try await self.write(directory, key: self.key, count: 5, from: 21)
        #expect(try AuditTree(auditDirectory: directory, readOnly: true).size == 26)
        // Flip a byte of a stored leaf: the start-up check against the last checkpoint rebuilds the files.
        let leaves = treeDirectory.appendingPathComponent("level-00.bin")
        var bytes = try Data(contentsOf: leaves)
        bytes[40] ^= 1
        try bytes.write(to: leaves)
        try await self.write(directory, key: self.key, count: 5, from: 26)
        let report = try AuditVerifier(directory: directory, publicKey: self.key.publicKey).verify()
        #expect(report.records == 31)
        #expect(try AuditProofs(directory: directory).inclusion(seq: 2).check(keys: [self.key.publicKey]).size == 31)
    }

    @Test("a log written before the tree (version 1 checkpoints) still verifies, and goes on with the tree")
    func legacyLog() async throws {
        let directory = self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await self.write(directory, key: self.key, count: 14)
        // Turn it into what an older version wrote: no tree files, version 1 checkpoints.
        try FileManager.default.removeItem(at: directory.appendingPathComponent(AuditTree.directoryName))
        let segments = AuditSegments(directory: directory)
        let records = try self.lines(segments.segmentURL(1))
        var legacy: [String] = []
        for seq in [10, 15] {
            let hash = String(records[seq - 1].suffix(66).prefix(64))
            let at = "2026-11-21T10:22:10.416Z"
            let signature = try self.key.signature(for: Array(AuditCheckpoint.legacySignedText(seq: Int64(seq), hash: hash, at: at).utf8))
            legacy.append(
                #"{"at":"\#(at)","hash":"\#(hash)","key_id":"\#(AuditCheckpoint.keyID(self.key.publicKey))","seq":\#(seq),"signature":"\#(Data(signature).base64EncodedString())"}"#
            )
        }
        try (legacy.joined(separator: "\n") + "\n").write(to: segments.checkpointsURL, atomically: true, encoding: .utf8)
        var report = try AuditVerifier(directory: directory, publicKey: self.key.publicKey).verify()
        #expect(report.legacyCheckpoints == 2)
        #expect(report.records == 15)

        // The next start builds the tree, declares the key, and signs notes from then on.
        try await self.write(directory, key: self.key, count: 3, from: 15)
        report = try AuditVerifier(directory: directory, publicKey: self.key.publicKey).verify()
        #expect(report.records == 19)
        #expect(report.checkpoints == 3)
        #expect(report.legacyCheckpoints == 2)
        #expect(try AuditProofs(directory: directory).inclusion(seq: 1).check(keys: [self.key.publicKey]).size == 19)
    }
}

extension AuditProofTests {
    static let checker = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scripts/audit_proof_check.py")

    /// Runs the stand-alone Python checker (docs/audit.md) on a proof file.
    func runChecker(_ proof: URL) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [Self.checker.path, proof.path, self.key.publicKey.rawRepresentation.base64EncodedString()]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    @Test("the stand-alone Python checker accepts bridged's proofs and refuses an altered one")
    func pythonChecker() async throws {
        let directory = self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await self.write(directory, key: self.key, count: 40)
        let encoder = JSONEncoder()
        let file = directory.appendingPathComponent("proof.json")
        for seq in [Int64(1), 17, 32, 41] {
            try encoder.encode(try AuditProofs(directory: directory).inclusion(seq: seq)).write(to: file)
            let result = try self.runChecker(file)
            #expect(result.status == 0, "record \(seq): \(result.output)")
            #expect(result.output.contains("proof OK: record \(seq) is in gw.acme.test/bridged-audit at tree size 41"), "\(result.output)")
        }
        var proof = try AuditProofs(directory: directory).inclusion(seq: 17)
        proof.record = proof.record.replacingOccurrences(of: "bob@", with: "eve@")
        try encoder.encode(proof).write(to: file)
        let altered = try self.runChecker(file)
        #expect(altered.status == 1)
        #expect(altered.output.contains("the record was altered"), "\(altered.output)")
    }
}

@Suite("Audit records: the direct writer gives JSONEncoder's bytes")
struct AuditRecordBytesTests {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// Text with everything JSON escapes or might: quotes, backslashes, slashes, every control byte, non-ASCII.
    static let awkward = "a \"quoted\" \\ back/slash \u{7F} é 中文 🙂 \u{2028}" + String((0..<32).map { Character(Unicode.Scalar(UInt8($0))) })

    static func full() -> AuditEvent {
        var event = AuditEvent(.decided)
        event.seq = 42
        event.at = "2026-12-03T10:00:00.000Z"
        event.prev = String(repeating: "a", count: 64)
        event.envelope = "01JENV"
        event.origin_adapter = "globex-chat"
        event.native_id = Self.awkward
        event.kind = "message"
        event.from = "bob@globex.test"
        event.to = ["alice@acme.test", Self.awkward]
        event.room = "acme-xmpp:room@conference"
        event.adapter = "acme-xmpp"
        event.decision = .init(
            effect: "allow", rules: ["r1", "r2"], revision: "rev", reason: Self.awkward,
            would: .init(effect: "deny", rules: ["w"]), silent: true, transforms: ["t1"]
        )
        event.attempt = 3
        event.reason = "r"
        event.detail = Self.awkward
        event.config_revision = "cfg"
        event.subject_sha256 = "s"
        event.body_sha256 = "b"
        event.subject = Self.awkward
        event.body = Self.awkward + "\n\n" + Self.awkward
        event.received_at = "t"
        event.recovered = false
        event.count = -7
        event.redecided = true
        event.held = Int64.max
        event.held_rules = []
        event.operator = "op"
        event.redacted = [.init(rule: "card", field: "body", found: "card", sha256: "x"), .init(rule: "i", field: "subject", found: "iban", sha256: "y")]
        event.annotated = ["a"]
        event.journal = true
        event.content_sha256 = "c"
        event.public_key = "pk"
        event.key_id = "kid"
        event.verifier_key = "vk"
        event.previous_key_id = "pkid"
        return event
    }

    @Test("every field set, awkward text included: the same bytes")
    func everyField() throws {
        var bytes: [UInt8] = []
        Self.full().canonicalJSON(into: &bytes)
        let expected = try Self.encoder().encode(Self.full())
        #expect(String(decoding: bytes, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
    }

    @Test("2,000 events with random fields left out: the same bytes")
    func randomSubsets() throws {
        var generator = SystemRandomNumberGenerator()
        let full = Self.full()
        let clears: [(inout AuditEvent) -> Void] = [
            { $0.seq = nil }, { $0.at = nil }, { $0.prev = nil }, { $0.envelope = nil }, { $0.origin_adapter = nil },
            { $0.native_id = nil }, { $0.kind = nil }, { $0.from = nil }, { $0.to = nil }, { $0.room = nil }, { $0.adapter = nil },
            { $0.decision = nil }, { $0.decision?.would = nil }, { $0.decision?.silent = nil }, { $0.decision?.transforms = nil },
            { $0.attempt = nil }, { $0.reason = nil }, { $0.detail = nil }, { $0.config_revision = nil }, { $0.subject_sha256 = nil },
            { $0.body_sha256 = nil }, { $0.subject = nil }, { $0.body = nil }, { $0.received_at = nil }, { $0.recovered = nil },
            { $0.count = nil }, { $0.redecided = nil }, { $0.held = nil }, { $0.held_rules = nil }, { $0.operator = nil },
            { $0.redacted = nil }, { $0.redacted = [] }, { $0.annotated = nil }, { $0.journal = nil }, { $0.content_sha256 = nil },
            { $0.public_key = nil }, { $0.key_id = nil }, { $0.verifier_key = nil }, { $0.previous_key_id = nil },
        ]
        let encoder = Self.encoder()
        for _ in 0..<2000 {
            var event = full
            for clear in clears where Bool.random(using: &generator) { clear(&event) }
            var bytes: [UInt8] = []
            event.canonicalJSON(into: &bytes)
            #expect(bytes == Array(try encoder.encode(event)))
        }
    }
}

extension AuditProofTests {
    @Test("cutting the tail of the log and of checkpoints.jsonl is caught by the checkpoints published off the box")
    func publishedCatchTailCut() async throws {
        let directory = self.temporaryDirectory()
        let share = self.temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(at: directory)
            try? FileManager.default.removeItem(at: share)
        }
        let log = try AuditLog(
            directory: directory, signingKey: self.key, settings: self.settings(), publishDirectory: share, logger: Logger(label: "test")
        )
        for index in 1...25 {
            var event = AuditEvent(.accepted)
            event.envelope = "env-\(index)"
            try await log.append([event])
        }
        try await log.close()
        let published = try AuditVerifier.publishedCheckpoints(in: share)
        #expect(published.map(\.seq) == [10, 20, 25])
        #expect(try AuditVerifier(directory: directory, publicKeys: [self.key.publicKey], published: published).verify().records == 25)

        // Whoever can write the audit directory cuts records 13-25 and every checkpoint after 10.
        let segment = AuditSegments(directory: directory).segmentURL(1)
        try (try self.lines(segment).prefix(12).joined(separator: "\n") + "\n").write(to: segment, atomically: true, encoding: .utf8)
        let checkpoints = AuditSegments(directory: directory).checkpointsURL
        try (try self.lines(checkpoints).prefix(1).joined(separator: "\n") + "\n").write(to: checkpoints, atomically: true, encoding: .utf8)
        #expect(try AuditVerifier(directory: directory, publicKey: self.key.publicKey).verify().records == 12, "undetectable on the box alone")
        do {
            _ = try AuditVerifier(directory: directory, publicKeys: [self.key.publicKey], published: published).verify()
            Issue.record("the cut tail went unnoticed with the published checkpoints")
        } catch {
            #expect(error.message.contains("a signed checkpoint covers 25 records but the log ends at record 12"), "\(error)")
            #expect(error.file.contains("checkpoint-000000000025.txt"), "\(error)")
        }
    }

    @Test("a checkpoint that cannot be published is retried until the share takes it")
    func publishRetried() async throws {
        let directory = self.temporaryDirectory()
        let share = self.temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(at: directory)
            try? FileManager.default.removeItem(at: share)
        }
        // A file where the share's directory should be: every publish fails.
        try Data("not a directory".utf8).write(to: share)
        var settings = self.settings(checkpointEvery: 5)
        settings.checkpointSeconds = 1
        let log = try AuditLog(directory: directory, signingKey: self.key, settings: settings, publishDirectory: share, logger: Logger(label: "test"))
        for index in 1...5 {
            var event = AuditEvent(.accepted)
            event.envelope = "env-\(index)"
            try await log.append([event])
        }
        #expect(await log.unpublished?.seq == 5)
        #expect(await log.publishFailing)
        try FileManager.default.removeItem(at: share)
        try await log.checkpointIfDue()
        #expect(await log.unpublished == nil)
        #expect(try AuditVerifier.publishedCheckpoints(in: share).map(\.seq) == [5])
        try await log.close()
    }
}
