#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Foundation
import Logging

extension AuditLog {
    /// `<host name>/bridged-audit`, when `audit.origin` is not set.
    static func defaultOrigin() -> String {
        var name = [CChar](repeating: 0, count: 256)
        let host = gethostname(&name, name.count) == 0 ? String(cString: name) : "localhost"
        let safe = host.unicodeScalars.filter { $0 != "+" && !$0.properties.isWhitespace && $0.value >= 0x20 }
        return (safe.isEmpty ? "localhost" : String(String.UnicodeScalarView(safe))) + "/bridged-audit"
    }

    /// Brings the tree files to the log at start-up: cuts leaves a crash left past the last record, appends
    /// the leaves of records the tree lacks (all of them for a log written before the tree existed), and
    /// checks the result against the last signed checkpoint, rebuilding the tree from the segments when its
    /// files do not reproduce that root.
    static func bringUpTree(
        _ tree: AuditTree, segments: AuditSegments, records: UInt64, lastCheckpoint: AuditCheckpoint?, logger: Logger
    ) throws {
        let before = tree.size
        try self.catchUpTree(tree, segments: segments, records: records)
        if tree.size > before + 1000 {
            logger.notice("built the audit tree from the segments", metadata: ["leaves": "\(tree.size - before)"])
        }
        guard let head = lastCheckpoint?.unverifiedHead, head.size <= tree.size else { return }
        guard try tree.root(size: head.size) != head.root else { return }
        logger.warning(
            "the audit tree files do not reproduce the last checkpoint's root; rebuilding them from the segments",
            metadata: ["checkpoint_size": "\(head.size)"]
        )
        try tree.reset()
        try self.catchUpTree(tree, segments: segments, records: records)
        if try tree.root(size: head.size) != head.root {
            logger.critical(
                "the audit log does not match its last signed checkpoint; run `bridged audit verify`",
                metadata: ["checkpoint_size": "\(head.size)"]
            )
        }
    }

    /// Appends to the tree the leaves of records `tree.size + 1 ... records`, read back from the segments.
    static func catchUpTree(_ tree: AuditTree, segments: AuditSegments, records: UInt64) throws {
        guard try tree.reconcile(records: records) > 0 else { return }
        // Start at the last segment whose first record is not after the first missing one.
        let numbers = try segments.segmentNumbers()
        var first = numbers.startIndex
        var firstIndex: UInt64 = 0
        for position in numbers.indices.reversed() {
            guard let sequence = segments.firstSequence(of: numbers[position]) else { continue }
            if UInt64(sequence) <= tree.size + 1 {
                first = position
                firstIndex = UInt64(sequence - 1)
                break
            }
        }
        var index = firstIndex
        var batch: [TreeHash] = []
        batch.reserveCapacity(4096)
        for number in numbers[first...] {
            let data = try Data(contentsOf: segments.segmentURL(number), options: .alwaysMapped)
            try AuditSegments.forEachLine(in: data) { line in
                if index >= tree.size + UInt64(batch.count), index < records {
                    batch.append(Merkle.leafHash(line))
                    if batch.count == 4096 {
                        try tree.append(batch)
                        batch.removeAll(keepingCapacity: true)
                    }
                }
                index += 1
            }
        }
        try tree.append(batch)
        guard tree.size == records else {
            throw Failure(description: "the audit segments hold \(index) records, the log's tail says \(records)")
        }
    }

    /// The `audit-key` record to write at start: for a new log, for a log whose last checkpoint predates the
    /// tree, and whenever the signing key is not the one that signed the last checkpoint, so a verifier knows
    /// which key must sign the checkpoints from here on.
    func keyRecord() -> AuditEvent? {
        let id = AuditCheckpoint.keyID(self.signingKey.publicKey)
        let previous = self.lastCheckpointAtStart?.key_id
        if let last = self.lastCheckpointAtStart, last.key_id == id, last.note != nil { return nil }
        var event = AuditEvent(.auditKey)
        event.key_id = id
        event.public_key = self.signingKey.publicKey.rawRepresentation.base64EncodedString()
        event.verifier_key = NoteKey(name: self.origin, publicKey: self.signingKey.publicKey).verifierKey
        event.previous_key_id = previous
        event.detail = previous == nil
            ? "checkpoints are signed with key \(id)" : "the checkpoint signing key changed from \(previous!) to \(id)"
        return event
    }
}
