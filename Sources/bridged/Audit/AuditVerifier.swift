#if canImport(Glibc)
import Glibc
#endif
import BridgeModel
import Crypto
import Foundation

/// `bridged audit verify`: walks every segment and checkpoint and names the first record that is not as
/// it was written.
///
/// - an edited record no longer hashes to its stored hash (or, if the editor re-hashed the chain, the tree
///   no longer has the root of the signed checkpoint after it);
/// - a deleted or reordered record breaks the sequence numbers and the chain;
/// - a tail cut after a checkpoint leaves the checkpoint covering more records than the log holds;
/// - a forged checkpoint fails its Ed25519 signature, and one signed by a key other than the one the log
///   says is in force for its period (an `audit-key` record) is refused.
///
/// Each record is read once: its chain hash and its leaf hash are computed from the bytes in place, and
/// only a record that fails is parsed as JSON, to say what is wrong with it.
struct AuditVerifier {
    struct Report: Sendable, Hashable {
        var records: Int64
        var segments: Int
        var checkpoints: Int
        /// Checkpoints in the version 1 format (before the Merkle tree).
        var legacyCheckpoints: Int
        var lastHash: String
        /// The Merkle tree root over every record.
        var root: TreeHash
        /// Records written after the last checkpoint: intact as far as the chain shows, not yet signed.
        var unsignedTail: Int64
        /// The key ids that signed checkpoints, in the order they came into force.
        var keyIDs: [String]
    }

    struct Problem: Error, Sendable, Hashable, CustomStringConvertible {
        var file: String
        var line: Int
        var sequence: Int64?
        var message: String

        var description: String {
            let record = self.sequence.map { "record \($0) " } ?? ""
            return "\(record)(\(self.file) line \(self.line)): \(self.message)"
        }
    }

    let segments: AuditSegments
    let publicKeys: [Curve25519.Signing.PublicKey]
    /// Keys given with their C2SP names (`name+id+key`); raw keys are tried under each note's own origin.
    let noteKeys: [NoteKey]

    /// Checkpoints published off the box, checked like those in `checkpoints.jsonl`.
    let published: [AuditCheckpoint]

    init(
        directory: URL, publicKeys: [Curve25519.Signing.PublicKey], noteKeys: [NoteKey] = [], published: [AuditCheckpoint] = []
    ) {
        self.segments = AuditSegments(directory: directory)
        self.published = published
        self.publicKeys = publicKeys + noteKeys.map(\.publicKey)
        self.noteKeys = noteKeys
    }

    init(directory: URL, publicKey: Curve25519.Signing.PublicKey) {
        self.init(directory: directory, publicKeys: [publicKey])
    }

    /// A checkpoint as read from `checkpoints.jsonl`, its signature already checked.
    struct Signed: Sendable {
        var checkpoint: AuditCheckpoint
        var file: String
        var line: Int
        var head: TreeHead?
        var signer: Data
    }

    func verify() throws(Problem) -> Report {
        let checkpoints = try self.loadCheckpoints()
        let numbers: [Int]
        do { numbers = try self.segments.segmentNumbers() } catch {
            throw Problem(file: self.segments.directory.path, line: 0, message: "cannot list the audit directory")
        }
        var files: [Segment] = []
        for number in numbers {
            let url = self.segments.segmentURL(number)
            guard let data = try? Data(contentsOf: url, options: .alwaysMapped) else {
                throw Problem(file: url.lastPathComponent, line: 0, message: "cannot read the segment")
            }
            if let last = data.last, last != 0x0A {
                throw Problem(file: url.lastPathComponent, line: 0, message: "the segment does not end with a complete record")
            }
            files.append(Segment(name: url.lastPathComponent, data: data))
        }
        // Two walks over the same bytes, one per core: the chain (sequence numbers, chain hashes) and the tree
        // (leaf hashes, the root at each checkpoint, the key in force). The first problem in record order wins.
        let legacy = Set(checkpoints.filter { $0.head == nil }.map(\.checkpoint.seq))
        let walks = Walks()
        let segmentFiles = files
        DispatchQueue.concurrentPerform(iterations: 2) { which in
            if which == 0 {
                walks.chain = Result { () throws(Problem) in try ChainWalk.run(segmentFiles, keeping: legacy) }
            } else {
                walks.tree = Result { () throws(Problem) in try TreeWalk.run(segmentFiles, checkpoints: checkpoints) }
            }
        }
        guard let chainResult = walks.chain, let treeResult = walks.tree else {
            throw Problem(file: self.segments.directory.path, line: 0, message: "the verification did not run")
        }
        var problems: [Problem] = []
        if case .failure(let problem) = chainResult { problems.append(problem) }
        if case .failure(let problem) = treeResult { problems.append(problem) }
        if case .success(let chain) = chainResult {
            for signed in checkpoints where signed.head == nil {
                guard let (hash, file, line) = chain.kept[signed.checkpoint.seq], hash != signed.checkpoint.hash else { continue }
                problems.append(Problem(file: file, line: line, sequence: signed.checkpoint.seq, message: TreeWalk.rewritten))
            }
        }
        if let first = problems.min(by: { ($0.sequence ?? .max) < ($1.sequence ?? .max) }) { throw first }
        guard case .success(let chain) = chainResult, case .success(let tree) = treeResult else {
            throw Problem(file: self.segments.directory.path, line: 0, message: "the verification did not finish")
        }
        let last = chain.records
        if let latest = checkpoints.last, latest.checkpoint.seq > last {
            let highest = latest.checkpoint.seq
            throw Problem(
                file: latest.file, line: 0, sequence: last + 1,
                message: "a signed checkpoint covers \(highest) records but the log ends at record \(last): records were cut from the end"
            )
        }
        return Report(
            records: last, segments: numbers.count, checkpoints: checkpoints.count, legacyCheckpoints: legacy.isEmpty ? 0 : checkpoints.filter { $0.head == nil }.count,
            lastHash: chain.head, root: tree.root, unsignedTail: last - (checkpoints.last?.checkpoint.seq ?? 0), keyIDs: tree.keyIDs
        )
    }

    private func loadCheckpoints() throws(Problem) -> [Signed] {
        let file = AuditSegments.checkpointsFile
        var result: [Signed] = []
        if let data = FileManager.default.contents(atPath: self.segments.checkpointsURL.path) {
            for (offset, line) in data.split(separator: 0x0A).enumerated() {
                guard let checkpoint = try? JSONDecoder().decode(AuditCheckpoint.self, from: Data(line)) else {
                    throw Problem(file: file, line: offset + 1, message: "not a well-formed checkpoint")
                }
                let signed = try self.signed(checkpoint, file: file, line: offset + 1)
                if let previous = result.last, checkpoint.seq < previous.checkpoint.seq {
                    throw Problem(file: file, line: offset + 1, sequence: checkpoint.seq, message: "checkpoints go backwards")
                }
                result.append(signed)
            }
        }
        for checkpoint in self.published {
            let name = AuditLog.publishedName(size: checkpoint.seq)
            guard checkpoint.seq >= 0 else {
                throw Problem(file: name, line: 2, message: "a published checkpoint without a tree size")
            }
            result.append(try self.signed(checkpoint, file: "published \(name)", line: 1))
        }
        // Stable: for one size, the local checkpoints come before the published ones.
        return result.enumerated().sorted { ($0.element.checkpoint.seq, $0.offset) < ($1.element.checkpoint.seq, $1.offset) }
            .map(\.element)
    }

    /// Checks a checkpoint's signature (any trusted key) and shape; the key in force is checked on the walk.
    private func signed(_ checkpoint: AuditCheckpoint, file: String, line: Int) throws(Problem) -> Signed {
        let ids = self.publicKeys.map { AuditCheckpoint.keyID($0) }.joined(separator: ", ")
        let invalid = Problem(
            file: file, line: line, sequence: checkpoint.seq,
            message: "the checkpoint's signature is not valid for the key(s) given (key id \(ids))"
        )
        guard let note = checkpoint.note else {
            guard let key = self.publicKeys.first(where: { checkpoint.isValidLegacy(for: $0) }) else { throw invalid }
            return Signed(checkpoint: checkpoint, file: file, line: line, head: nil, signer: key.rawRepresentation)
        }
        let origin = String(note.prefix { $0 != "\n" })
        let keys = self.noteKeys + self.publicKeys.map { NoteKey(name: origin, publicKey: $0) }
        guard let opened = try? SignedNote.open(note, keys: keys) else { throw invalid }
        guard let head = TreeHead(text: opened.text), head.origin == opened.signer.name else {
            throw Problem(file: file, line: line, sequence: checkpoint.seq, message: "the signed note is not a checkpoint")
        }
        guard head.size == UInt64(max(checkpoint.seq, 0)) else {
            throw Problem(
                file: file, line: line, sequence: checkpoint.seq,
                message: "the checkpoint says \(checkpoint.seq) records, its signature covers \(head.size): the checkpoint was altered"
            )
        }
        return Signed(checkpoint: checkpoint, file: file, line: line, head: head, signer: opened.signer.publicKey.rawRepresentation)
    }
}
