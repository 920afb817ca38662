#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Foundation

extension AuditVerifier {
    struct Segment: @unchecked Sendable {
        // The bytes are mapped read-only and never mutated: safe to read from both walks at once.
        var name: String
        var data: Data
    }

    /// Where the two walks leave their results: each field is written by exactly one of the two
    /// `concurrentPerform` iterations and read only after both have returned.
    final class Walks: @unchecked Sendable {
        var chain: Result<ChainWalk.End, Problem>?
        var tree: Result<TreeWalk.End, Problem>?
    }

    /// Sequence numbers and the hash chain.
    enum ChainWalk {
        struct End {
            var records: Int64
            var head: String
            /// The chain hash, file and line of each record a version 1 checkpoint names.
            var kept: [Int64: (String, String, Int)]
        }

        private static let suffix = Array(#","hash":""#.utf8)
        private static let seqKey = Array(#""seq":"#.utf8)
        private static let hexDigits = Array("0123456789abcdef".utf8)

        static func run(_ files: [Segment], keeping: Set<Int64>) throws(Problem) -> End {
            var expected: Int64 = 1
            var previous = Array(AuditSegments.genesisHash.utf8)
            var kept: [Int64: (String, String, Int)] = [:]
            let suffixLength = Self.suffix.count + 64 + 2
            for file in files {
                var lineNumber = 0
                try AuditSegments.forEachLine(in: file.data) { (line) throws(Problem) in
                    lineNumber += 1
                    let malformed = Problem(file: file.name, line: lineNumber, sequence: expected, message: "not a well-formed audit record")
                    guard line.count > suffixLength, line[line.count - 2] == 0x22, line[line.count - 1] == 0x7D,
                        Bytes.equal(line, at: line.count - suffixLength, Self.suffix)
                    else { throw malformed }
                    let bodyEnd = line.count - suffixLength
                    let body = UnsafeRawBufferPointer(rebasing: line[..<bodyEnd])
                    guard let sequence = Self.sequence(in: body) else { throw malformed }
                    guard sequence == expected else {
                        let what = sequence > expected ? "deleted or reordered" : "reordered or duplicated"
                        throw Problem(
                            file: file.name, line: lineNumber, sequence: sequence,
                            message: "expected record \(expected) here, found record \(sequence): records were \(what)"
                        )
                    }
                    var hasher = SHA256()
                    previous.withUnsafeBytes { hasher.update(bufferPointer: $0) }
                    withUnsafeBytes(of: UInt8(0x0A)) { hasher.update(bufferPointer: $0) }
                    hasher.update(bufferPointer: body)
                    withUnsafeBytes(of: UInt8(0x7D)) { hasher.update(bufferPointer: $0) }
                    let stored = UnsafeRawBufferPointer(rebasing: line[(bodyEnd + Self.suffix.count)..<(line.count - 2)])
                    guard Self.matchesHex(hasher.finalize(), stored) else {
                        let text = String(decoding: body, as: UTF8.self) + "}"
                        let link = try? JSONDecoder().decode(AuditSegments.Link.self, from: Data(text.utf8))
                        let chainBroken = link.map { Array($0.prev.utf8) != previous } ?? false
                        throw Problem(
                            file: file.name, line: lineNumber, sequence: sequence,
                            message: chainBroken
                                ? "its prev hash does not match the record before it: the chain is broken here"
                                : "its contents do not match its hash: the record was edited"
                        )
                    }
                    previous.withUnsafeMutableBytes { $0.copyMemory(from: stored) }
                    if keeping.contains(sequence) {
                        kept[sequence] = (String(decoding: previous, as: UTF8.self), file.name, lineNumber)
                    }
                    expected += 1
                }
            }
            return End(records: expected - 1, head: String(decoding: previous, as: UTF8.self), kept: kept)
        }

        /// The top-level `seq`: the last `"seq":` in the body (keys are sorted and a string cannot hold an
        /// unescaped quote, so no later key or value can contain it).
        private static func sequence(in body: UnsafeRawBufferPointer) -> Int64? {
            var offset = body.count - Self.seqKey.count
            while offset >= 0 {
                if body[offset] == 0x22, Bytes.equal(body, at: offset, Self.seqKey) {
                    var value: Int64 = 0
                    var index = offset + Self.seqKey.count
                    var digits = 0
                    while index < body.count, body[index] >= 0x30, body[index] <= 0x39, digits < 18 {
                        value = value * 10 + Int64(body[index] - 0x30)
                        index += 1
                        digits += 1
                    }
                    return digits > 0 ? value : nil
                }
                offset -= 1
            }
            return nil
        }

        private static func matchesHex(_ digest: SHA256.Digest, _ hex: UnsafeRawBufferPointer) -> Bool {
            guard hex.count == 64 else { return false }
            return digest.withUnsafeBytes { raw in
                for index in 0..<32 {
                    let byte = raw[index]
                    guard hex[2 * index] == Self.hexDigits[Int(byte >> 4)], hex[2 * index + 1] == Self.hexDigits[Int(byte & 0x0F)]
                    else { return false }
                }
                return true
            }
        }
    }

    /// Leaves, the root at each checkpoint, and the signing key in force.
    enum TreeWalk {
        struct End {
            var root: TreeHash
            var keyIDs: [String]
        }

        static let rewritten =
            "the records up to here do not match the signed checkpoint for them: the log was rewritten at or before here"

        private struct KeyRecord: Decodable {
            var public_key: String?
        }

        static func run(_ files: [Segment], checkpoints: [Signed]) throws(Problem) -> End {
            var frontier = MerkleFrontier()
            var keyInForce: (key: Data, since: Int64)?
            var keyIDs: [String] = []
            var pending = checkpoints[...]
            while let next = pending.first, next.checkpoint.seq <= 0 { pending.removeFirst() }
            for file in files {
                var lineNumber = 0
                try AuditSegments.forEachLine(in: file.data) { (line) throws(Problem) in
                    lineNumber += 1
                    frontier.append(Merkle.leafHash(line))
                    let sequence = Int64(frontier.size)
                    if Self.isKeyRecord(line) {
                        let text = String(decoding: line, as: UTF8.self)
                        guard let key = (try? JSONDecoder().decode(KeyRecord.self, from: Data(text.utf8)))?.public_key,
                            let raw = Data(base64Encoded: key), raw.count == 32
                        else {
                            throw Problem(file: file.name, line: lineNumber, sequence: sequence, message: "an audit-key record without a key")
                        }
                        keyInForce = (raw, sequence)
                        keyIDs.append(AuditCheckpoint.keyID(raw))
                    }
                    while let next = pending.first, next.checkpoint.seq == sequence {
                        pending.removeFirst()
                        if let head = next.head, head.root != frontier.root {
                            throw Problem(file: file.name, line: lineNumber, sequence: sequence, message: Self.rewritten)
                        }
                        if let inForce = keyInForce, inForce.key != next.signer {
                            throw Problem(
                                file: next.file, line: next.line, sequence: sequence,
                                message: "the checkpoint is signed by key \(AuditCheckpoint.keyID(next.signer)), but record \(inForce.since) "
                                    + "made key \(AuditCheckpoint.keyID(inForce.key)) the signing key from there on"
                            )
                        }
                    }
                }
            }
            return End(root: frontier.root, keyIDs: keyIDs)
        }

        private static let auditKey = Array(#""event":"audit-key""#.utf8)
        /// Where the `-` is in `"event":"audit-key"`.
        private static let dash = 14

        /// Whether the line is an `audit-key` record, found from the rare `-` rather than from every quote.
        private static func isKeyRecord(_ line: UnsafeRawBufferPointer) -> Bool {
            guard let base = line.baseAddress else { return false }
            var offset = Self.dash
            while offset < line.count {
                guard let hit = memchr(base + offset, 0x2D, line.count - offset) else { return false }
                let position = base.distance(to: UnsafeRawPointer(hit))
                if Bytes.equal(line, at: position - Self.dash, Self.auditKey) { return true }
                offset = position + 1
            }
            return false
        }
    }

    enum Bytes {
        static func equal(_ buffer: UnsafeRawBufferPointer, at offset: Int, _ bytes: [UInt8]) -> Bool {
            guard offset >= 0, offset + bytes.count <= buffer.count else { return false }
            return bytes.withUnsafeBytes { memcmp(buffer.baseAddress! + offset, $0.baseAddress!, bytes.count) == 0 }
        }
    }
}
