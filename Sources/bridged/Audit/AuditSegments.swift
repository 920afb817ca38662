import PolicyGate
import Logging
import Foundation

/// The files of an audit directory: `audit-000001.jsonl`, `audit-000002.jsonl`, ... and `checkpoints.jsonl`.
struct AuditSegments {
    static let checkpointsFile = "checkpoints.jsonl"
    static let genesisHash = String(repeating: "0", count: 64)

    let directory: URL

    func segmentURL(_ number: Int) -> URL {
        self.directory.appendingPathComponent(String(format: "audit-%06d.jsonl", number))
    }

    var checkpointsURL: URL { self.directory.appendingPathComponent(Self.checkpointsFile) }

    /// Segment numbers present, ascending.
    func segmentNumbers() throws -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: self.directory.path)) ?? []
        return names.compactMap { name -> Int? in
            guard name.hasPrefix("audit-"), name.hasSuffix(".jsonl") else { return nil }
            return Int(name.dropFirst(6).dropLast(6))
        }.sorted()
    }

    /// Splits a record line into the chained body and its hash.
    ///
    /// A line is the body's canonical JSON with `,"hash":"<64 hex>"` inserted before the closing brace, so
    /// the hash covers the body bytes exactly as written: `hash = SHA-256(prev + "\n" + body)` in hex.
    static func split(_ line: Substring) -> (body: String, hash: String)? {
        let suffixLength = #","hash":""#.count + 64 + 2
        guard line.count > suffixLength, line.hasSuffix("\"}") else { return nil }
        let hashStart = line.index(line.endIndex, offsetBy: -suffixLength)
        let tail = line[hashStart...]
        guard tail.hasPrefix(#","hash":""#) else { return nil }
        let hash = String(tail.dropFirst(#","hash":""#.count).dropLast(2))
        guard hash.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else { return nil }
        return (String(line[..<hashStart]) + "}", hash)
    }

    /// The fields the chain needs from a record body.
    struct Link: Decodable {
        var seq: Int64
        var prev: String
        var event: String
        var envelope: String?
        var adapter: String?
        var at: String
    }
}
