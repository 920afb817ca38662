import BridgeModel
import Foundation
import GRDB

extension SQLiteStore: AdapterStateStore {
    func loadState(adapter: String, key: String) async throws -> Data? {
        try await self.pool.read { db in
            try Data.fetchOne(db, sql: "SELECT value FROM adapter_state WHERE adapter = ? AND key = ?", arguments: [adapter, key])
        }
    }

    func saveState(adapter: String, key: String, value: Data) async throws {
        try await self.pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO adapter_state (adapter, key, value, updated_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (adapter, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                    """,
                arguments: [adapter, key, value, Timestamp.format(Date())]
            )
        }
    }
}
