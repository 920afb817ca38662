public import BridgeModel

/// The commands this client sends (RFC 3501 §6, RFC 2177 IDLE, RFC 6851 MOVE, RFC 4315 UID EXPUNGE).
public enum IMAPCommand: Sendable, CustomStringConvertible {
    case capability
    case noop
    case logout
    case startTLS
    /// `LOGIN user pass`: only over TLS unless the connection is explicitly plaintext.
    case login(username: String, password: Secret)
    /// `AUTHENTICATE PLAIN` (RFC 4616), with the initial response inline when the server offers SASL-IR.
    case authenticatePlain(username: String, password: Secret)
    /// Mailbox names are given in Unicode and sent in modified UTF-7.
    case select(mailbox: String)
    case create(mailbox: String)
    case uidSearch([IMAPSearchKey])
    case uidFetch(IMAPUIDSet, [IMAPFetchItem])
    /// `UID STORE set +FLAGS.SILENT (flags)` (or `-FLAGS.SILENT` when `add` is false).
    case uidStore(IMAPUIDSet, add: Bool, flags: [String])
    case uidCopy(IMAPUIDSet, mailbox: String)
    case uidMove(IMAPUIDSet, mailbox: String)
    case uidExpunge(IMAPUIDSet)
    case idle

    /// The command's name, for logs and errors; arguments (and so credentials) are never shown.
    public var description: String {
        switch self {
        case .capability: "CAPABILITY"
        case .noop: "NOOP"
        case .logout: "LOGOUT"
        case .startTLS: "STARTTLS"
        case .login: "LOGIN"
        case .authenticatePlain: "AUTHENTICATE PLAIN"
        case .select: "SELECT"
        case .create: "CREATE"
        case .uidSearch: "UID SEARCH"
        case .uidFetch: "UID FETCH"
        case .uidStore: "UID STORE"
        case .uidCopy: "UID COPY"
        case .uidMove: "UID MOVE"
        case .uidExpunge: "UID EXPUNGE"
        case .idle: "IDLE"
        }
    }
}

/// A UID range: `7`, `5:9`, or `5:*` (`upper == nil`).
public struct IMAPUIDRange: Hashable, Sendable, CustomStringConvertible {
    public var lower: UInt32
    public var upper: UInt32?

    public init(_ lower: UInt32, _ upper: UInt32?) {
        self.lower = lower
        self.upper = upper
    }

    public static func single(_ uid: UInt32) -> IMAPUIDRange { IMAPUIDRange(uid, uid) }

    public var description: String {
        switch self.upper {
        case nil: "\(self.lower):*"
        case self.lower?: "\(self.lower)"
        case let upper?: "\(self.lower):\(upper)"
        }
    }
}

/// A sequence-set of UIDs, e.g. `3,5:9,12:*`.
public struct IMAPUIDSet: Hashable, Sendable, CustomStringConvertible {
    public var ranges: [IMAPUIDRange]

    public init(_ ranges: [IMAPUIDRange]) { self.ranges = ranges }
    public init(uid: UInt32) { self.ranges = [.single(uid)] }

    public var description: String { self.ranges.map(\.description).joined(separator: ",") }
}

/// Search keys the follower uses (RFC 3501 §6.4.4).
public enum IMAPSearchKey: Hashable, Sendable {
    case all
    case uid(IMAPUIDSet)
    case keyword(String)
    case notKeyword(String)
    case undeleted
}

/// FETCH data items (RFC 3501 §6.4.5).
public enum IMAPFetchItem: Hashable, Sendable {
    case uid
    case rfc822Size
    case flags
    /// `BODY.PEEK[]`: the whole message, without setting `\Seen`.
    case bodyPeek
}
