import PolicyGate
import Logging
import BridgeModel
import Crypto
import Foundation

/// `bridged audit verify`: walks every segment and checkpoint and names the first record that is not as
/// it was written.
///
/// - an edited record no longer hashes to its stored hash (or, if the editor re-hashed the chain, no longer
///   matches the signed checkpoint after it);
/// - a deleted or reordered record breaks the sequence numbers and the `prev` links;
/// - a tail cut after a checkpoint leaves the checkpoint pointing past the end of the log;
/// - a forged checkpoint fails its Ed25519 signature.
struct AuditVerifier {
    struct Report: Sendable, Hashable {
        var records: Int64
        var segments: Int
        var checkpoints: Int
        var lastHash: String
        /// Records written after the last checkpoint: intact as far as the chain shows, not yet signed.
        var unsignedTail: Int64
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
    let publicKey: Curve25519.Signing.PublicKey

    init(directory: URL, publicKey: Curve25519.Signing.PublicKey) {
        self.segments = AuditSegments(directory: directory)
        self.publicKey = publicKey
    }

    func verify() throws(Problem) -> Report {
        let checkpoints = try self.loadCheckpoints()
        let signed = Dictionary(checkpoints.map { ($0.seq, $0.hash) }, uniquingKeysWith: { first, _ in first })
        var expected: Int64 = 1
        var previous = AuditSegments.genesisHash
        let numbers: [Int]
        do { numbers = try self.segments.segmentNumbers() } catch {
            throw Problem(file: self.segments.directory.path, line: 0, message: "cannot list the audit directory")
        }
        for number in numbers {
            let url = self.segments.segmentURL(number)
            let file = url.lastPathComponent
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw Problem(file: file, line: 0, message: "cannot read the segment")
            }
            if let last = data.last, last != 0x0A {
                throw Problem(file: file, line: 0, message: "the segment does not end with a complete record")
            }
            for (offset, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
                .dropLast().enumerated()
            {
                let lineNumber = offset + 1
                guard let (body, hash) = AuditSegments.split(line),
                    let link = try? JSONDecoder().decode(AuditSegments.Link.self, from: Data(body.utf8))
                else {
                    throw Problem(file: file, line: lineNumber, sequence: expected, message: "not a well-formed audit record")
                }
                guard link.seq == expected else {
                    let what = link.seq > expected ? "deleted or reordered" : "reordered or duplicated"
                    throw Problem(
                        file: file, line: lineNumber, sequence: link.seq,
                        message: "expected record \(expected) here, found record \(link.seq): records were \(what)"
                    )
                }
                guard link.prev == previous else {
                    throw Problem(
                        file: file, line: lineNumber, sequence: link.seq,
                        message: "its prev hash does not match the record before it: the chain is broken here"
                    )
                }
                let computed = SHA256.hash(data: Array(previous.utf8) + [0x0A] + Array(body.utf8)).hexString
                guard computed == hash else {
                    throw Problem(
                        file: file, line: lineNumber, sequence: link.seq,
                        message: "its contents do not match its hash: the record was edited"
                    )
                }
                if let signedHash = signed[link.seq], signedHash != hash {
                    throw Problem(
                        file: file, line: lineNumber, sequence: link.seq,
                        message: "it does not match the signed checkpoint for it: the log was rewritten up to here"
                    )
                }
                previous = hash
                expected += 1
            }
        }
        let last = expected - 1
        if let highest = checkpoints.map(\.seq).max(), highest > last {
            throw Problem(
                file: AuditSegments.checkpointsFile, line: 0, sequence: last + 1,
                message: "a signed checkpoint covers \(highest) records but the log ends at record \(last): records were cut from the end"
            )
        }
        return Report(
            records: last, segments: numbers.count, checkpoints: checkpoints.count, lastHash: previous,
            unsignedTail: last - (checkpoints.map(\.seq).max() ?? 0)
        )
    }

    private func loadCheckpoints() throws(Problem) -> [AuditCheckpoint] {
        let file = AuditSegments.checkpointsFile
        guard let data = FileManager.default.contents(atPath: self.segments.checkpointsURL.path) else { return [] }
        var result: [AuditCheckpoint] = []
        for (offset, line) in String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated() {
            guard let checkpoint = try? JSONDecoder().decode(AuditCheckpoint.self, from: Data(line.utf8)) else {
                throw Problem(file: file, line: offset + 1, message: "not a well-formed checkpoint")
            }
            guard checkpoint.isValid(for: self.publicKey) else {
                throw Problem(
                    file: file, line: offset + 1, sequence: checkpoint.seq,
                    message: "the checkpoint's signature is not valid for this key (key id \(AuditCheckpoint.keyID(self.publicKey)))"
                )
            }
            if let previous = result.last, checkpoint.seq < previous.seq {
                throw Problem(file: file, line: offset + 1, sequence: checkpoint.seq, message: "checkpoints go backwards")
            }
            result.append(checkpoint)
        }
        return result
    }
}
