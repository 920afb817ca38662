import PolicyGate
import Logging
import BridgeModel
import Foundation
import GRDB

/// The embedded default store: one SQLite file in WAL mode with `synchronous = FULL`, so a committed
/// transaction survives a crash or power loss before anything is acknowledged.
final class SQLiteStore: Sendable {
    let pool: DatabasePool
    /// Concurrent accepts share one transaction (and one fsync); each is answered after that commit.
    let accepts: GroupCommit<Envelope, AcceptOutcome>

    init(path: String) throws {
        try FileManager.default.createDirectory(
            at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true
        )
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        self.pool = pool
        self.accepts = GroupCommit(maxBatch: Self.acceptBatch) { envelopes in try await Self.commitAccepts(envelopes, pool: pool) }
        // GRDB sets `synchronous = NORMAL` on the writer when it turns WAL on, after prepareDatabase ran: a
        // commit would then survive a process crash but not a power loss. Set FULL on the writer connection
        // itself, now that it exists (the one connection that commits; readers do not write).
        try self.pool.barrierWriteWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        try Self.migrator.migrate(self.pool)
    }

    /// The writer connection's `synchronous` setting (2 = FULL), as SQLite reports it.
    func writerSynchronous() async throws -> Int {
        try await self.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE inbox (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        envelope_id TEXT NOT NULL UNIQUE,
                        envelope BLOB NOT NULL,
                        received_at REAL NOT NULL
                    );
                    CREATE TABLE idempotency (
                        origin_adapter TEXT NOT NULL,
                        native_id TEXT NOT NULL,
                        envelope_id TEXT NOT NULL,
                        accepted_at REAL NOT NULL,
                        PRIMARY KEY (origin_adapter, native_id)
                    ) WITHOUT ROWID;
                    CREATE TABLE outbox (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        envelope_id TEXT NOT NULL,
                        adapter TEXT NOT NULL,
                        conversation TEXT NOT NULL,
                        target BLOB NOT NULL,
                        envelope BLOB NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        next_attempt_at REAL NOT NULL,
                        created_at REAL NOT NULL,
                        last_error TEXT
                    );
                    CREATE INDEX outbox_due ON outbox(adapter, next_attempt_at);
                    CREATE INDEX outbox_conversation ON outbox(adapter, conversation, seq);
                    CREATE TABLE dead_letters (
                        seq INTEGER PRIMARY KEY,
                        envelope_id TEXT NOT NULL,
                        adapter TEXT NOT NULL,
                        conversation TEXT NOT NULL,
                        target BLOB NOT NULL,
                        envelope BLOB NOT NULL,
                        attempts INTEGER NOT NULL,
                        created_at REAL NOT NULL,
                        dead_at REAL NOT NULL,
                        reason TEXT NOT NULL
                    );
                    CREATE TABLE id_map (
                        adapter TEXT NOT NULL,
                        native_id TEXT NOT NULL,
                        envelope_id TEXT NOT NULL,
                        conversation TEXT,
                        PRIMARY KEY (adapter, native_id)
                    ) WITHOUT ROWID;
                    CREATE INDEX id_map_envelope ON id_map(envelope_id);
                    CREATE TABLE audit_index (
                        seq INTEGER PRIMARY KEY,
                        envelope_id TEXT,
                        event TEXT NOT NULL,
                        adapter TEXT,
                        at REAL NOT NULL
                    );
                    CREATE INDEX audit_index_envelope ON audit_index(envelope_id, event);
                    """
            )
        }
        migrator.registerMigration("v2-adapter-state") { db in
            try db.execute(
                sql: """
                    CREATE TABLE adapter_state (
                        adapter TEXT NOT NULL,
                        key TEXT NOT NULL,
                        value BLOB NOT NULL,
                        updated_at TEXT NOT NULL,
                        PRIMARY KEY (adapter, key)
                    ) WITHOUT ROWID;
                    """
            )
        }
        migrator.registerMigration("v3-idempotency-by-envelope") { db in
            try db.execute(sql: "CREATE INDEX idempotency_envelope ON idempotency(envelope_id)")
        }
        migrator.registerMigration("v4-clearances-and-authors") { db in
            // A queued row keeps the clearance it was enqueued with (NULL: decide again before any attempt);
            // an accepted envelope keeps its sender's canonical address, so edits are checked for authorship.
            try db.execute(
                sql: """
                    ALTER TABLE outbox ADD COLUMN clearance BLOB;
                    ALTER TABLE dead_letters ADD COLUMN clearance BLOB;
                    ALTER TABLE idempotency ADD COLUMN sender TEXT;
                    """
            )
        }
        migrator.registerMigration("v5-idempotency-by-age") { db in
            // Pruning keys older than the retention walks this index, never the table.
            try db.execute(sql: "CREATE INDEX idempotency_accepted ON idempotency(accepted_at)")
        }
        migrator.registerMigration("v6-quarantine") { db in
            // Deliveries a quarantine rule holds for review; a release moves one to the outbox.
            try db.execute(
                sql: """
                    CREATE TABLE quarantine (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        envelope_id TEXT NOT NULL,
                        adapter TEXT NOT NULL,
                        conversation TEXT NOT NULL,
                        target BLOB NOT NULL,
                        envelope BLOB NOT NULL,
                        rules TEXT NOT NULL,
                        revision TEXT NOT NULL,
                        reason TEXT NOT NULL,
                        notice_text TEXT,
                        silent INTEGER NOT NULL,
                        held_at REAL NOT NULL
                    );
                    """
            )
        }
        return migrator
    }

    static func encodeClearance(_ clearance: StoredClearance) throws -> Data { try JSONEncoder().encode(clearance) }
    static func decodeClearance(_ data: Data?) -> StoredClearance {
        // A row without a readable clearance is decided again, never delivered on trust.
        data.flatMap { try? JSONDecoder().decode(StoredClearance.self, from: $0) } ?? .undecided
    }

    static func encodeTarget(_ target: Delivery.Target) throws -> Data { try JSONEncoder().encode(target) }
    static func decodeTarget(_ data: Data) throws -> Delivery.Target {
        try JSONDecoder().decode(Delivery.Target.self, from: data)
    }
}

extension Database {
    /// Runs a statement prepared once per connection and kept in its cache: the per-item statements of
    /// accept, routing and settlement are parsed and planned once, not for every row.
    func executeCached(sql: String, arguments: StatementArguments) throws {
        try self.cachedStatement(sql: sql).execute(arguments: arguments)
    }
}
