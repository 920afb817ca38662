#if canImport(Glibc)
import PolicyGate
import Glibc
#endif
import BridgeModel
import Foundation
import Logging

extension AuditLog {
    struct Tail {
        var segment: Int
        var sequence: Int64
        var hash: String
        /// The type of the last record (`stopped` after a graceful shutdown), nil for a new log.
        var lastEvent: String? = nil
        /// Bytes of an incomplete last record cut at start-up.
        var cutBytes = 0
    }

    private struct LastEvent: Decodable {
        var event: String
    }

    /// Finds the head of the chain at start-up.
    ///
    /// A last line without its newline is a write that never completed (its `append` never returned, so no
    /// one acted on it): it is cut off, and said so in the log. Anything else unreadable stops start-up, so
    /// the chain is never extended from a broken end.
    static func recoverTail(_ segments: AuditSegments, logger: Logger) throws -> Tail {
        let numbers = try segments.segmentNumbers()
        guard let lastNumber = numbers.last else { return Tail(segment: 1, sequence: 0, hash: AuditSegments.genesisHash) }
        var cutBytes = 0
        for number in numbers.reversed() {
            let url = segments.segmentURL(number)
            var data = try Data(contentsOf: url)
            if let last = data.last, last != 0x0A {
                let cut = (data.lastIndex(of: 0x0A).map { $0 + 1 }) ?? 0
                cutBytes += data.count - cut
                logger.warning(
                    "cutting an incomplete last audit record (a write interrupted by a crash)",
                    metadata: ["file": "\(url.lastPathComponent)", "bytes": "\(data.count - cut)"]
                )
                guard truncate(url.path, off_t(cut)) == 0 else {
                    throw Failure(description: "cannot truncate \(url.path): errno \(errno)")
                }
                data = data.prefix(cut)
            }
            guard let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last else { continue }
            guard let (body, hash) = AuditSegments.split(line),
                let link = try? JSONDecoder().decode(AuditSegments.Link.self, from: Data(body.utf8))
            else {
                throw Failure(
                    description: "the last record of \(url.lastPathComponent) is unreadable; run `bridged audit verify`"
                )
            }
            let event = (try? JSONDecoder().decode(LastEvent.self, from: Data(body.utf8)))?.event
            return Tail(segment: lastNumber, sequence: link.seq, hash: hash, lastEvent: event, cutBytes: cutBytes)
        }
        return Tail(segment: lastNumber, sequence: 0, hash: AuditSegments.genesisHash)
    }

    /// Index rows for every record after `sequence`, read back from the log files (used at start-up to
    /// bring the SQLite index up to the log after a crash between a log write and an index write).
    func indexEntries(after sequence: Int64) throws -> [AuditIndexEntry] {
        guard sequence < self.lastSequence else { return [] }
        var entries: [AuditIndexEntry] = []
        for number in try self.segments.segmentNumbers().reversed() {
            let text = try String(contentsOf: self.segments.segmentURL(number), encoding: .utf8)
            var reachedOlder = false
            for line in text.split(separator: "\n").reversed() {
                guard let (body, _) = AuditSegments.split(line),
                    let link = try? JSONDecoder().decode(AuditSegments.Link.self, from: Data(body.utf8))
                else { continue }
                if link.seq <= sequence {
                    reachedOlder = true
                    break
                }
                guard let event = AuditEventType(rawValue: link.event) else { continue }
                entries.append(
                    AuditIndexEntry(
                        sequence: link.seq, envelopeID: link.envelope.map(EnvelopeID.init(rawValue:)), event: event,
                        adapter: link.adapter, at: Timestamp.parse(link.at) ?? Date()
                    )
                )
            }
            if reachedOlder { break }
        }
        return entries.reversed()
    }
}

extension AuditLog {
    /// Appends records that no store transaction carries (lifecycle, config, rejections) and indexes them
    /// at once, so the index only ever lags the log after a crash.
    func appendIndexed(_ events: [AuditEvent], into store: any AuditIndexStore) async throws {
        let index = try self.append(events)
        try await store.insertIndex(index)
    }
}
