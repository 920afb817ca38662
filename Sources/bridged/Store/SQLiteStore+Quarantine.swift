import BridgeModel
import Foundation
import GRDB
import PolicyGate

extension SQLiteStore: QuarantineStore {
    /// A held entry encoded outside the write transaction.
    struct EncodedHeld {
        var entry: HeldEntry
        var envelope: Data
        var target: Data
        var rules: String
    }

    static func encodeHeld(_ entry: HeldEntry) throws -> EncodedHeld {
        EncodedHeld(
            entry: entry, envelope: try EnvelopeCoding.encode(entry.envelope), target: try Self.encodeTarget(entry.target),
            rules: String(decoding: try JSONEncoder().encode(entry.rules), as: UTF8.self)
        )
    }

    static func insertHeld(_ held: EncodedHeld, now: Double, db: Database) throws {
        let entry = held.entry
        let text: String? = if case .text(let text) = entry.notice { text } else { nil }
        try db.executeCached(
            sql: """
                INSERT INTO quarantine (envelope_id, adapter, conversation, target, envelope, rules, revision, reason,
                                        notice_text, silent, held_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                entry.envelope.id.rawValue, entry.adapter, entry.conversation, held.target, held.envelope, held.rules,
                entry.revision, entry.reason, text, entry.notice == .silent, now,
            ]
        )
    }

    static let heldColumns = """
        SELECT seq, adapter, conversation, target, envelope, rules, revision, reason, notice_text, silent, held_at
        FROM quarantine
        """

    static func heldItem(_ row: Row) throws -> HeldItem {
        let rules = try JSONDecoder().decode([String].self, from: Data((row["rules"] as String).utf8))
        let text: String? = row["notice_text"]
        let silent: Bool = row["silent"]
        let notice: PolicyDocument.DenyNotice = silent ? .silent : (text.map { .text($0) } ?? .standard)
        let entry = HeldEntry(
            envelope: try EnvelopeCoding.decode(row["envelope"]), adapter: row["adapter"], target: try Self.decodeTarget(row["target"]),
            conversation: row["conversation"], rules: rules, revision: row["revision"], reason: row["reason"], notice: notice
        )
        return HeldItem(id: row["seq"], entry: entry, heldAt: Date(timeIntervalSince1970: row["held_at"]))
    }

    func heldItems(limit: Int) async throws -> [HeldItem] {
        try await self.pool.read { db in
            try Row.fetchAll(db, sql: "\(Self.heldColumns) ORDER BY seq LIMIT ?", arguments: [limit]).map(Self.heldItem)
        }
    }

    func heldItem(id: Int64) async throws -> HeldItem? {
        try await self.pool.read { db in
            try Row.fetchOne(db, sql: "\(Self.heldColumns) WHERE seq = ?", arguments: [id]).map(Self.heldItem)
        }
    }

    func resolveHold(
        _ id: Int64, release: OutboxEntry?, remaining: HeldEntry?, notices: [Envelope], index: [AuditIndexEntry]
    ) async throws -> Bool {
        let released = try release.map {
            ($0, try EnvelopeCoding.encode($0.envelope), try Self.encodeTarget($0.clearance.target), try Self.encodeClearance($0.storedClearance))
        }
        let narrowed = try remaining.map(Self.encodeHeld)
        let now = Date().timeIntervalSince1970
        return try await self.pool.write { db in
            if let narrowed {
                try db.executeCached(
                    sql: "UPDATE quarantine SET target = ?, rules = ?, revision = ?, reason = ? WHERE seq = ?",
                    arguments: [narrowed.target, narrowed.rules, narrowed.entry.revision, narrowed.entry.reason, id]
                )
            } else {
                try db.executeCached(sql: "DELETE FROM quarantine WHERE seq = ?", arguments: [id])
            }
            guard db.changesCount == 1 else { return false }
            if let (entry, envelope, target, clearance) = released {
                try Self.insertOutbox(entry, envelope: envelope, target: target, clearance: clearance, now: now, db: db)
            }
            try Self.insertNotices(notices, db: db)
            try Self.insertIndex(index, db: db)
            return true
        }
    }
}
