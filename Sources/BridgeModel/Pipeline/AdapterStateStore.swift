import Foundation

/// Small durable state an adapter keeps across restarts: an IMAP mailbox's UIDVALIDITY and last UID, the
/// email thread a conversation continues, which recipients of a delivery a server already accepted.
///
/// Values are opaque bytes under (adapter, key). The daemon's store implements it, so this state lives and
/// is backed up with the queue it belongs to.
public protocol AdapterStateStore: Sendable {
    func loadState(adapter: String, key: String) async throws -> Data?
    /// Writes durably (the store's commit) before returning.
    func saveState(adapter: String, key: String, value: Data) async throws
}

extension AdapterStateStore {
    public func load<Value: Decodable>(_ type: Value.Type, adapter: String, key: String) async throws -> Value? {
        guard let data = try await self.loadState(adapter: adapter, key: key) else { return nil }
        return try JSONDecoder().decode(Value.self, from: data)
    }

    public func save<Value: Encodable>(_ value: Value, adapter: String, key: String) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        try await self.saveState(adapter: adapter, key: key, value: try encoder.encode(value))
    }
}
