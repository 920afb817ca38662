import PolicyGate
import Logging
import BridgeModel
import Foundation
import GRDB

extension SQLiteStore: InboxStore {
    func accept(_ envelope: Envelope) async throws -> AcceptOutcome {
        try await self.accepts.submit(envelope)
    }

    /// The most accepts one transaction carries.
    static let acceptBatch = 256

    /// Commits a batch of accepts in one transaction, in order. Each has its own savepoint, so one that
    /// fails (its result is the error) takes nothing of the others with it; an envelope repeated within the
    /// batch is a duplicate of its first occurrence, exactly as if they had been committed one by one.
    static func commitAccepts(_ envelopes: [Envelope], pool: DatabasePool) async throws -> [Result<AcceptOutcome, any Error>] {
        let encoded = envelopes.map { envelope in Result { try EnvelopeCoding.encode(envelope) } }
        return try await pool.write { db in
            var results: [Result<AcceptOutcome, any Error>] = []
            results.reserveCapacity(envelopes.count)
            for (envelope, data) in zip(envelopes, encoded) {
                do {
                    let data = try data.get()
                    var outcome = AcceptOutcome.duplicate(envelope.id)
                    try db.inSavepoint {
                        outcome = try Self.accept(envelope, data: data, db: db)
                        return .commit
                    }
                    results.append(.success(outcome))
                } catch {
                    results.append(.failure(error))
                }
            }
            return results
        }
    }

    /// One accept inside the batch's transaction: a duplicate of a fresh key, or a new item.
    private static func accept(_ envelope: Envelope, data: Data, db: Database) throws -> AcceptOutcome {
        if let existing = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT envelope_id, accepted_at FROM idempotency WHERE origin_adapter = ? AND native_id = ?"),
            arguments: [envelope.origin.adapter, envelope.origin.nativeID]
        ) {
            let acceptedAt: Double = existing["accepted_at"]
            guard let window = envelope.origin.freshForSeconds,
                envelope.receivedAt.timeIntervalSince1970 - acceptedAt > Double(window)
            else {
                return .duplicate(EnvelopeID(rawValue: existing["envelope_id"]))
            }
            // The id is older than its window: it names a new item now (a client reusing stanza ids).
            try db.executeCached(
                sql: "DELETE FROM idempotency WHERE origin_adapter = ? AND native_id = ?",
                arguments: [envelope.origin.adapter, envelope.origin.nativeID]
            )
        }
        try Self.insertAccepted(envelope, data: data, db: db)
        return .accepted(envelope.id)
    }

    /// Idempotency key (with the sender's canonical address), inbox row and id map row of a new envelope.
    static func insertAccepted(_ envelope: Envelope, data: Data, db: Database) throws {
        try db.executeCached(
            sql: """
                INSERT INTO idempotency (origin_adapter, native_id, envelope_id, accepted_at, sender)
                VALUES (?, ?, ?, ?, ?)
                """,
            arguments: [
                envelope.origin.adapter, envelope.origin.nativeID, envelope.id.rawValue,
                envelope.receivedAt.timeIntervalSince1970, envelope.sender.address.canonical,
            ]
        )
        try db.executeCached(
            sql: "INSERT INTO inbox (envelope_id, envelope, received_at) VALUES (?, ?, ?)",
            arguments: [envelope.id.rawValue, data, envelope.receivedAt.timeIntervalSince1970]
        )
        // The newest item under a native id is the one a later reply or correction names.
        try db.executeCached(
            sql: "INSERT OR REPLACE INTO id_map (adapter, native_id, envelope_id, conversation) VALUES (?, ?, ?, ?)",
            arguments: [
                envelope.origin.adapter, envelope.origin.nativeID, envelope.id.rawValue, envelope.conversation?.channel,
            ]
        )
    }

    /// Deletes up to `limit` idempotency keys accepted before `cutoff`, oldest first, in one short
    /// transaction, so accepts queue behind it for a moment at most. - Returns: how many were deleted.
    func pruneIdempotency(acceptedBefore cutoff: Date, limit: Int) async throws -> Int {
        try await self.pool.write { db in
            try db.executeCached(
                sql: """
                    DELETE FROM idempotency WHERE (origin_adapter, native_id) IN (
                        SELECT origin_adapter, native_id FROM idempotency WHERE accepted_at < ? ORDER BY accepted_at LIMIT ?
                    )
                    """,
                arguments: [cutoff.timeIntervalSince1970, limit]
            )
            return db.changesCount
        }
    }

    /// Puts the gateway's notices into the inbox inside the caller's transaction, so a notice exists exactly
    /// when the decision or dead letter it reports was committed. Idempotent on the notice's origin.
    static func insertNotices(_ notices: [Envelope], db: Database) throws {
        for notice in notices {
            let known = try String.fetchOne(
                db.cachedStatement(sql: "SELECT envelope_id FROM idempotency WHERE origin_adapter = ? AND native_id = ?"),
                arguments: [notice.origin.adapter, notice.origin.nativeID]
            )
            guard known == nil else { continue }
            try Self.insertAccepted(notice, data: try EnvelopeCoding.encode(notice), db: db)
        }
    }

    func pendingInbox(limit: Int) async throws -> [Envelope] {
        try await self.pool.read { db in
            try Data.fetchAll(db.cachedStatement(sql: "SELECT envelope FROM inbox ORDER BY seq LIMIT ?"), arguments: [limit])
                .map(EnvelopeCoding.decode)
        }
    }

    func inboxDepth() async throws -> Int {
        try await self.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM inbox") ?? 0 }
    }
}

extension SQLiteStore: AuditIndexStore {
    func indexedEvents(envelopes: [EnvelopeID]) async throws -> [EnvelopeID: [AuditIndexEntry]] {
        guard !envelopes.isEmpty else { return [:] }
        // The ids go in as one JSON array, so every batch size shares one prepared statement.
        let ids = String(decoding: try JSONEncoder().encode(envelopes.map(\.rawValue)), as: UTF8.self)
        return try await self.pool.read { db in
            var result: [EnvelopeID: [AuditIndexEntry]] = [:]
            let rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT seq, envelope_id, event, adapter, at FROM audit_index
                        WHERE envelope_id IN (SELECT value FROM json_each(?)) ORDER BY seq
                        """
                ),
                arguments: [ids]
            )
            for row in rows {
                guard let event = AuditEventType(rawValue: row["event"]) else { continue }
                let id = EnvelopeID(rawValue: row["envelope_id"])
                result[id, default: []].append(
                    AuditIndexEntry(
                        sequence: row["seq"], envelopeID: id, event: event, adapter: row["adapter"],
                        at: Date(timeIntervalSince1970: row["at"])
                    )
                )
            }
            return result
        }
    }

    func lastIndexedSequence() async throws -> Int64 {
        try await self.pool.read { db in try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM audit_index") ?? 0 }
    }

    func insertIndex(_ entries: [AuditIndexEntry]) async throws {
        guard !entries.isEmpty else { return }
        try await self.pool.write { db in try Self.insertIndex(entries, db: db) }
    }

    static func insertIndex(_ entries: [AuditIndexEntry], db: Database) throws {
        for entry in entries {
            try db.executeCached(
                sql: "INSERT OR IGNORE INTO audit_index (seq, envelope_id, event, adapter, at) VALUES (?, ?, ?, ?, ?)",
                arguments: [
                    entry.sequence, entry.envelopeID?.rawValue, entry.event.rawValue, entry.adapter,
                    entry.at.timeIntervalSince1970,
                ]
            )
        }
    }
}

extension SQLiteStore {
    /// Where an accepted envelope came from.
    func origin(of envelope: EnvelopeID) async throws -> Origin? {
        try await self.pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT origin_adapter, native_id FROM idempotency WHERE envelope_id = ?", arguments: [envelope.rawValue]
            ).map { Origin(adapter: $0["origin_adapter"], nativeID: $0["native_id"]) }
        }
    }

    /// The canonical sender of an accepted envelope (nil for one accepted before senders were kept).
    func author(of envelope: EnvelopeID) async throws -> String? {
        try await self.pool.read { db in
            try String.fetchOne(db, sql: "SELECT sender FROM idempotency WHERE envelope_id = ?", arguments: [envelope.rawValue])
        }
    }

    /// The adapters an envelope was delivered through (each delivery's native id is in the id map).
    func deliveredAdapters(of envelopes: [EnvelopeID]) async throws -> [EnvelopeID: Set<String>] {
        guard !envelopes.isEmpty else { return [:] }
        return try await self.pool.read { db in
            let marks = Array(repeating: "?", count: envelopes.count).joined(separator: ",")
            var result: [EnvelopeID: Set<String>] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT m.envelope_id, m.adapter FROM id_map m JOIN idempotency i ON i.envelope_id = m.envelope_id
                    WHERE m.envelope_id IN (\(marks)) AND m.adapter != i.origin_adapter
                    """,
                arguments: StatementArguments(envelopes.map(\.rawValue))
            ) {
                result[EnvelopeID(rawValue: row["envelope_id"]), default: []].insert(row["adapter"])
            }
            return result
        }
    }

    /// The envelope an adapter's native id belongs to (inbound items and delivered ones alike).
    func envelopeID(adapter: String, nativeID: String) async throws -> EnvelopeID? {
        try await self.pool.read { db in
            try String.fetchOne(
                db, sql: "SELECT envelope_id FROM id_map WHERE adapter = ? AND native_id = ?", arguments: [adapter, nativeID]
            ).map(EnvelopeID.init(rawValue:))
        }
    }
}
