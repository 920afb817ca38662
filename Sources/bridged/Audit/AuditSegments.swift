#if canImport(Glibc)
import Glibc
#endif
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

    /// Calls `body` with each complete line of a segment (without its newline), in order.
    static func forEachLine<E: Error>(in data: Data, _ body: (UnsafeRawBufferPointer) throws(E) -> Void) throws(E) {
        var failure: E?
        data.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            var offset = 0
            while offset < raw.count {
                guard let newline = memchr(base + offset, 0x0A, raw.count - offset) else { return }
                let end = base.distance(to: UnsafeRawPointer(newline))
                do throws(E) {
                    try body(UnsafeRawBufferPointer(rebasing: raw[offset..<end]))
                } catch {
                    failure = error
                    return
                }
                offset = end + 1
            }
        }
        if let failure { throw failure }
    }

    /// The sequence number of a segment's first record, read from its first line only.
    func firstSequence(of number: Int) -> Int64? {
        guard let handle = FileHandle(forReadingAtPath: self.segmentURL(number).path) else { return nil }
        defer { try? handle.close() }
        var head = Data()
        while head.firstIndex(of: 0x0A) == nil {
            guard let chunk = try? handle.read(upToCount: 64 * 1024), !chunk.isEmpty else { return nil }
            head.append(chunk)
        }
        let line = head.prefix(upTo: head.firstIndex(of: 0x0A)!)
        guard let (body, _) = Self.split(Substring(decoding: line, as: UTF8.self)),
            let link = try? JSONDecoder().decode(Link.self, from: Data(body.utf8))
        else { return nil }
        return link.seq
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
