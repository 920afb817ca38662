import Crypto
import Foundation

/// A proof that one record is in the log, checkable by someone who has nothing else: the record's line,
/// its RFC 6962 audit path, and the signed checkpoint whose root the path leads to.
struct InclusionProof: Codable, Sendable, Hashable {
    var seq: Int64
    /// The leaf index (`seq - 1`).
    var index: UInt64
    var tree_size: UInt64
    /// The record exactly as it is in the log (one line, without its newline).
    var record: String
    /// base64 `SHA-256(0x00 ‖ record)`.
    var leaf_hash: String
    /// base64 node hashes, leaf first.
    var proof: [String]
    /// The C2SP checkpoint (signed note) of tree size `tree_size`.
    var checkpoint: String
}

/// A proof that the log of `size2` records extends the one of `size1`: nothing in the first was changed or
/// removed. With the two checkpoints, an auditor who kept an old checkpoint checks a new one against it.
struct ConsistencyProof: Codable, Sendable, Hashable {
    var size1: UInt64
    var size2: UInt64
    var root1: String
    var root2: String
    var proof: [String]
    var checkpoint1: String?
    var checkpoint2: String?
}

/// Makes and checks proofs over an audit directory (read-only: safe beside a running daemon).
struct AuditProofs {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let segments: AuditSegments

    init(directory: URL) {
        self.segments = AuditSegments(directory: directory)
    }

    /// The signed (version 2) checkpoints, in order.
    func checkpoints() -> [(checkpoint: AuditCheckpoint, head: TreeHead)] {
        guard let data = FileManager.default.contents(atPath: self.segments.checkpointsURL.path) else { return [] }
        return data.split(separator: 0x0A).compactMap { line in
            guard let checkpoint = try? JSONDecoder().decode(AuditCheckpoint.self, from: Data(line)),
                let head = checkpoint.unverifiedHead
            else { return nil }
            return (checkpoint, head)
        }
    }

    /// The inclusion proof of record `seq` against the first checkpoint covering it at `size` or more
    /// (the latest checkpoint when `size` is nil). The proof is checked against the checkpoint's root before
    /// it is returned.
    func inclusion(seq: Int64, size: UInt64? = nil) throws -> InclusionProof {
        let all = self.checkpoints()
        let least = max(UInt64(max(seq, 1)), size ?? 0)
        let candidates = all.filter { $0.head.size >= least }
        guard seq >= 1, let chosen = size == nil ? candidates.last : candidates.first, let note = chosen.checkpoint.note else {
            throw Failure(description: "no signed checkpoint covers record \(seq) yet (checkpoints are written every "
                + "audit.checkpoint_records records or audit.checkpoint_seconds seconds)")
        }
        let tree = try AuditTree(auditDirectory: self.segments.directory, readOnly: true)
        guard tree.size >= chosen.head.size else {
            throw Failure(description: "the audit tree holds \(tree.size) leaves, fewer than the checkpoint's \(chosen.head.size)")
        }
        guard let record = try self.segments.record(seq: seq) else {
            throw Failure(description: "record \(seq) is not in the segments")
        }
        let index = UInt64(seq - 1)
        let leaf = Merkle.leafHash(record)
        let path = try tree.inclusionProof(index: index, size: chosen.head.size)
        guard Merkle.verifyInclusion(index: index, size: chosen.head.size, leaf: leaf, proof: path, root: chosen.head.root) else {
            throw Failure(description: "the audit tree does not lead from record \(seq) to the checkpoint's root: "
                + "run `bridged audit verify` (and `bridged audit reindex` if the log is intact)")
        }
        return InclusionProof(
            seq: seq, index: index, tree_size: chosen.head.size, record: String(decoding: record, as: UTF8.self),
            leaf_hash: leaf.base64, proof: path.map { $0.base64 }, checkpoint: note
        )
    }

    /// The consistency proof between tree sizes `size1` and `size2` (default: the first and the latest checkpoint).
    func consistency(size1: UInt64?, size2: UInt64?) throws -> ConsistencyProof {
        let all = self.checkpoints()
        guard let first = size1 ?? all.first?.head.size, let second = size2 ?? all.last?.head.size else {
            throw Failure(description: "no signed checkpoint yet")
        }
        guard first <= second else { throw Failure(description: "the first size must not be larger than the second") }
        let tree = try AuditTree(auditDirectory: self.segments.directory, readOnly: true)
        guard tree.size >= second else { throw Failure(description: "the log holds \(tree.size) records, fewer than \(second)") }
        let root1 = try tree.root(size: first)
        let root2 = try tree.root(size: second)
        let path = try tree.consistencyProof(size1: first, size2: second)
        guard Merkle.verifyConsistency(size1: first, size2: second, root1: root1, root2: root2, proof: path) else {
            throw Failure(description: "the audit tree's consistency proof does not verify: run `bridged audit reindex`")
        }
        return ConsistencyProof(
            size1: first, size2: second, root1: root1.base64, root2: root2.base64, proof: path.map { $0.base64 },
            checkpoint1: all.first { $0.head.size == first }?.checkpoint.note,
            checkpoint2: all.last { $0.head.size == second }?.checkpoint.note
        )
    }
}

extension InclusionProof {
    /// Checks the proof with nothing but itself and the trusted keys: the note's signature, that the note
    /// is a checkpoint of `tree_size`, that the record hashes to the leaf, and that the path leads to the root.
    func check(keys: [Curve25519.Signing.PublicKey]) throws(AuditProofs.Failure) -> TreeHead {
        let origin = String(self.checkpoint.prefix { $0 != "\n" })
        let opened: (text: String, signer: NoteKey)
        do { opened = try SignedNote.open(self.checkpoint, keys: keys.map { NoteKey(name: origin, publicKey: $0) }) } catch {
            throw AuditProofs.Failure(description: "the checkpoint: \(error)")
        }
        guard let head = TreeHead(text: opened.text), head.size == self.tree_size else {
            throw AuditProofs.Failure(description: "the checkpoint is not one of tree size \(self.tree_size)")
        }
        let leaf = Merkle.leafHash(Array(self.record.utf8))
        guard TreeHash(base64: self.leaf_hash) == leaf else {
            throw AuditProofs.Failure(description: "the record does not hash to the proof's leaf: the record was altered")
        }
        let path = self.proof.compactMap { TreeHash(base64: $0) }
        guard path.count == self.proof.count, UInt64(self.seq) == self.index + 1,
            Merkle.verifyInclusion(index: self.index, size: self.tree_size, leaf: leaf, proof: path, root: head.root)
        else { throw AuditProofs.Failure(description: "the audit path does not lead from the record to the checkpoint's root") }
        return head
    }
}

extension AuditSegments {
    /// The line of record `seq`, found from each segment's first record.
    func record(seq: Int64) throws -> Data? {
        let numbers = try self.segmentNumbers()
        // Each segment's first line is read once, from the newest back to the one holding `seq`.
        guard let (number, first) = numbers.reversed().lazy.compactMap({ number in
            self.firstSequence(of: number).map { (number, $0) }
        }).first(where: { $0.1 <= seq })
        else { return nil }
        let data = try Data(contentsOf: self.segmentURL(number), options: .alwaysMapped)
        var current = first
        var found: Data?
        Self.forEachLine(in: data) { line in
            if current == seq { found = Data(line) }
            current += 1
        }
        return found
    }
}
