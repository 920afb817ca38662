/// How far a mailbox has been processed: every message with a UID up to `lastUID` under this
/// `uidValidity` has been handed over and marked.
public struct IMAPCursor: Hashable, Sendable, Codable {
    public var uidValidity: UInt32
    public var lastUID: UInt32

    public init(uidValidity: UInt32, lastUID: UInt32) {
        self.uidValidity = uidValidity
        self.lastUID = lastUID
    }
}

/// Durable storage of cursors, one per account (the follower's `account` name).
public protocol IMAPCursorStore: Sendable {
    func loadCursor(account: String) async throws -> IMAPCursor?
    func saveCursor(_ cursor: IMAPCursor, account: String) async throws
}

/// A message the follower hands over.
public enum IMAPFetched: Sendable, Hashable {
    /// The whole message (RFC 5322 bytes as stored on the server).
    case message(uid: UInt32, bytes: [UInt8])
    /// A message larger than the configured maximum; its body was not fetched.
    case oversized(uid: UInt32, size: Int)

    public var uid: UInt32 {
        switch self {
        case .message(let uid, _), .oversized(let uid, _): uid
        }
    }
}
