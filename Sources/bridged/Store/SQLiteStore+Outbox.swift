import Logging
import BridgeModel
import Foundation
import GRDB
import PolicyGate

extension SQLiteStore: OutboxStore {
    func commitRouting(_ commits: [RoutingCommit]) async throws {
        // An entry that carries the envelope as accepted takes the inbox row's bytes (copied in SQL); only
        // an envelope the gate changed (redacted, annotated) is encoded again.
        let rows = try commits.map { commit in
            try commit.entries.map { entry in
                (
                    entry, entry.envelope == commit.accepted ? nil : try EnvelopeCoding.encode(entry.envelope),
                    try Self.encodeTarget(entry.clearance.target), try Self.encodeClearance(entry.storedClearance)
                )
            }
        }
        let held = try commits.map { commit in try commit.held.map(Self.encodeHeld) }
        let now = Date().timeIntervalSince1970
        try await self.pool.write { db in
            for ((commit, entries), held) in zip(zip(commits, rows), held) {
                for (entry, envelope, target, clearance) in entries {
                    if envelope == nil, try Self.insertOutboxFromInbox(entry, target: target, clearance: clearance, now: now, db: db) {
                        continue
                    }
                    let envelope = try envelope ?? EnvelopeCoding.encode(entry.envelope)
                    try Self.insertOutbox(entry, envelope: envelope, target: target, clearance: clearance, now: now, db: db)
                }
                try db.executeCached(sql: "DELETE FROM inbox WHERE envelope_id = ?", arguments: [commit.envelopeID.rawValue])
                for row in held { try Self.insertHeld(row, now: now, db: db) }
                try Self.insertNotices(commit.notices, db: db)
                try Self.insertIndex(commit.index, db: db)
            }
        }
    }

    /// Enqueues an entry with the envelope bytes of its inbox row. - Returns: false when there is no such
    /// row (the caller encodes the envelope instead).
    private static func insertOutboxFromInbox(
        _ entry: OutboxEntry, target: Data, clearance: Data, now: Double, db: Database
    ) throws -> Bool {
        try db.executeCached(
            sql: """
                INSERT INTO outbox (envelope_id, adapter, conversation, target, envelope, attempts,
                                    next_attempt_at, created_at, clearance)
                SELECT envelope_id, ?, ?, ?, envelope, 0, ?, ?, ? FROM inbox WHERE envelope_id = ?
                """,
            arguments: [entry.clearance.adapter, entry.conversation, target, now, now, clearance, entry.envelope.id.rawValue]
        )
        return db.changesCount == 1
    }

    static func insertOutbox(
        _ entry: OutboxEntry, envelope: Data, target: Data, clearance: Data, now: Double, db: Database
    ) throws {
        try db.executeCached(
            sql: """
                INSERT INTO outbox (envelope_id, adapter, conversation, target, envelope, attempts,
                                    next_attempt_at, created_at, clearance)
                VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)
                """,
            arguments: [
                entry.envelope.id.rawValue, entry.clearance.adapter, entry.conversation, target, envelope, now, now, clearance,
            ]
        )
    }

    /// `waiting`: per conversation, the first item held back for a retry (found through the next_attempt_at
    /// index, so it costs the number of waiting items, not the queue's depth). Due items behind it in its
    /// conversation stay queued; everything else goes in seq order.
    private static let dueDeliveriesSQL = """
        WITH waiting AS (
            SELECT conversation, MIN(seq) AS first_seq FROM outbox
            WHERE adapter = ? AND next_attempt_at > ?
            GROUP BY conversation
        )
        SELECT o.seq, o.envelope, o.adapter, o.target, o.conversation, o.attempts, o.created_at, o.clearance
        FROM outbox o LEFT JOIN waiting w ON w.conversation = o.conversation
        WHERE o.adapter = ? AND o.next_attempt_at <= ? AND (w.first_seq IS NULL OR o.seq < w.first_seq)
        ORDER BY o.seq LIMIT ?
        """

    func dueDeliveries(adapter: String, now: Date, limit: Int) async throws -> [OutboxItem] {
        try await self.pool.read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: Self.dueDeliveriesSQL),
                arguments: [adapter, now.timeIntervalSince1970, adapter, now.timeIntervalSince1970, limit]
            ).map { row in
                OutboxItem(
                    id: row["seq"],
                    envelope: try EnvelopeCoding.decode(row["envelope"]),
                    adapter: row["adapter"],
                    target: try Self.decodeTarget(row["target"]),
                    conversation: row["conversation"],
                    attempts: row["attempts"],
                    createdAt: Date(timeIntervalSince1970: row["created_at"]),
                    clearance: Self.decodeClearance(row["clearance"])
                )
            }
        }
    }

    func nextDue(adapter: String) async throws -> Date? {
        try await self.pool.read { db in
            try Double.fetchOne(
                db.cachedStatement(sql: "SELECT MIN(next_attempt_at) FROM outbox WHERE adapter = ?"), arguments: [adapter]
            )
                .map(Date.init(timeIntervalSince1970:))
        }
    }

    func bringForward(adapter: String, now: Date) async throws -> Int {
        try await self.pool.write { db in
            try db.executeCached(
                sql: "UPDATE outbox SET next_attempt_at = ? WHERE adapter = ? AND next_attempt_at > ?",
                arguments: [now.timeIntervalSince1970, adapter, now.timeIntervalSince1970]
            )
            return db.changesCount
        }
    }

    func settle(_ settlements: [Settlement], notices: [Envelope] = [], index: [AuditIndexEntry]) async throws {
        let recleared = try settlements.map { settlement -> (Data, Data, Data?)? in
            guard case .recleared(_, let clearance, let target, let envelope) = settlement else { return nil }
            return (try Self.encodeClearance(clearance), try Self.encodeTarget(target), try envelope.map(EnvelopeCoding.encode))
        }
        let held = try settlements.map { settlement -> EncodedHeld? in
            guard case .held(_, let entry, _) = settlement else { return nil }
            return try Self.encodeHeld(entry)
        }
        let now = Date().timeIntervalSince1970
        try await self.pool.write { db in
            for ((settlement, encoded), held) in zip(zip(settlements, recleared), held) {
                switch settlement {
                case .held(let id, _, let removing):
                    if let held { try Self.insertHeld(held, now: now, db: db) }
                    if removing { try db.executeCached(sql: "DELETE FROM outbox WHERE seq = ?", arguments: [id]) }
                case .recleared(let id, _, _, _):
                    guard let (clearance, target, envelope) = encoded else { continue }
                    try db.executeCached(
                        sql: "UPDATE outbox SET clearance = ?, target = ? WHERE seq = ?", arguments: [clearance, target, id]
                    )
                    if let envelope {
                        try db.executeCached(sql: "UPDATE outbox SET envelope = ? WHERE seq = ?", arguments: [envelope, id])
                    }
                case .delivered(let id, let nativeID):
                    if let nativeID {
                        // A journal copy's delivery is not the item's: it is never put in the id map.
                        try db.executeCached(
                            sql: """
                                INSERT OR REPLACE INTO id_map (adapter, native_id, envelope_id, conversation)
                                SELECT adapter, ?, envelope_id, conversation FROM outbox
                                WHERE seq = ? AND substr(conversation, 1, ?) != ?
                                """,
                            arguments: [nativeID, id, PolicyGate.journalPrefix.count, PolicyGate.journalPrefix]
                        )
                    }
                    try db.executeCached(sql: "DELETE FROM outbox WHERE seq = ?", arguments: [id])
                case .retry(let id, let attempts, let next, let error):
                    try db.executeCached(
                        sql: "UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE seq = ?",
                        arguments: [attempts, next.timeIntervalSince1970, error, id]
                    )
                case .deadLetter(let id, let attempts, let reason, let at):
                    try db.executeCached(
                        sql: """
                            INSERT OR REPLACE INTO dead_letters
                                (seq, envelope_id, adapter, conversation, target, envelope, attempts, created_at,
                                 dead_at, reason, clearance)
                            SELECT seq, envelope_id, adapter, conversation, target, envelope, ?, created_at, ?, ?,
                                   clearance
                            FROM outbox WHERE seq = ?
                            """,
                        arguments: [attempts, at.timeIntervalSince1970, reason, id]
                    )
                    try db.executeCached(sql: "DELETE FROM outbox WHERE seq = ?", arguments: [id])
                }
            }
            try Self.insertNotices(notices, db: db)
            try Self.insertIndex(index, db: db)
        }
    }

    func outboxDepth(adapter: String) async throws -> Int {
        try await self.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox WHERE adapter = ?", arguments: [adapter]) ?? 0
        }
    }
}

extension SQLiteStore: DeadLetterStore {
    func deadLetters(limit: Int) async throws -> [DeadLetter] {
        try await self.pool.read { db in
            try Row.fetchAll(db, sql: "\(Self.deadLetterColumns) ORDER BY seq LIMIT ?", arguments: [limit]).map(Self.deadLetter)
        }
    }

    func deadLetter(id: Int64) async throws -> DeadLetter? {
        try await self.pool.read { db in
            try Row.fetchOne(db, sql: "\(Self.deadLetterColumns) WHERE seq = ?", arguments: [id]).map(Self.deadLetter)
        }
    }

    static let deadLetterColumns = "SELECT seq, envelope_id, adapter, attempts, reason, created_at, dead_at FROM dead_letters"

    static func deadLetter(_ row: Row) -> DeadLetter {
        DeadLetter(
            id: row["seq"], envelopeID: EnvelopeID(rawValue: row["envelope_id"]), adapter: row["adapter"],
            attempts: row["attempts"], reason: row["reason"],
            createdAt: Date(timeIntervalSince1970: row["created_at"]), deadAt: Date(timeIntervalSince1970: row["dead_at"])
        )
    }

    func replayDeadLetter(_ id: Int64, now: Date) async throws -> Bool {
        try await self.pool.write { db in
            // The replayed delivery keeps its sequence number, so it stays ordered within its conversation, and
            // loses its clearance: the worker asks the gate in force before it goes anywhere.
            try db.executeCached(
                sql: """
                    INSERT INTO outbox (seq, envelope_id, adapter, conversation, target, envelope, attempts,
                                        next_attempt_at, created_at, last_error)
                    SELECT seq, envelope_id, adapter, conversation, target, envelope, 0, ?, ?, NULL
                    FROM dead_letters WHERE seq = ?
                    """,
                arguments: [now.timeIntervalSince1970, now.timeIntervalSince1970, id]
            )
            guard db.changesCount == 1 else { return false }
            try db.executeCached(sql: "DELETE FROM dead_letters WHERE seq = ?", arguments: [id])
            return true
        }
    }
}

