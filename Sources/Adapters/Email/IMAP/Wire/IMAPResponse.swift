public import NIOCore

/// A server response, as far as this client needs to understand it (RFC 3501 §7, RFC 9051 §7).
public enum IMAPResponse: Hashable, Sendable {
    /// `* ...`: data or a status the server sends on its own or for the running command.
    case untagged(IMAPUntaggedResponse)
    /// `A7 OK [UIDVALIDITY 3] done`: the completion of the command tagged `A7`.
    case tagged(IMAPTaggedResponse)
    /// `+ idling`: the server is ready for the rest of a command (literal, SASL response, IDLE).
    case continuation(String)
}

/// The state a status response reports (RFC 3501 §7.1).
public enum IMAPStatus: String, Hashable, Sendable {
    case ok = "OK"
    case no = "NO"
    case bad = "BAD"
    case preauth = "PREAUTH"
    case bye = "BYE"
}

/// `[CODE args] human text` after a status.
public struct IMAPResponseText: Hashable, Sendable {
    public var code: IMAPResponseCode?
    public var text: String

    public init(code: IMAPResponseCode? = nil, text: String) {
        self.code = code
        self.text = text
    }
}

/// The bracketed response codes the client acts on (RFC 3501 §7.1, RFC 5530); others keep their name.
public enum IMAPResponseCode: Hashable, Sendable {
    /// `[CAPABILITY IMAP4rev1 IDLE ...]`, in a greeting or after authentication.
    case capability([String])
    /// `[UIDVALIDITY 1700000000]`
    case uidValidity(UInt32)
    /// `[UIDNEXT 42]`
    case uidNext(UInt32)
    /// `[ALREADYEXISTS]` (RFC 5530): CREATE of a mailbox that exists.
    case alreadyExists
    /// `[TRYCREATE]`: COPY/MOVE to a mailbox that does not exist.
    case tryCreate
    /// `[AUTHENTICATIONFAILED]` (RFC 5530).
    case authenticationFailed
    /// Any other code, by its upper-cased name.
    case other(String)
}

public struct IMAPTaggedResponse: Hashable, Sendable {
    public var tag: String
    public var status: IMAPStatus
    public var text: IMAPResponseText

    public init(tag: String, status: IMAPStatus, text: IMAPResponseText) {
        self.tag = tag
        self.status = status
        self.text = text
    }
}

public enum IMAPUntaggedResponse: Hashable, Sendable {
    /// `* OK ...`, `* NO ...`, `* BAD ...`, `* PREAUTH ...`, `* BYE ...`
    case status(IMAPStatus, IMAPResponseText)
    /// `* CAPABILITY IMAP4rev1 IDLE ...` (atoms as sent).
    case capability([String])
    /// `* 23 EXISTS`
    case exists(UInt32)
    /// `* 5 RECENT`
    case recent(UInt32)
    /// `* 3 EXPUNGE`
    case expunge(UInt32)
    /// `* FLAGS (\Answered \Seen $Bridged)`
    case flags([String])
    /// `* SEARCH 2 84 882` (UIDs for UID SEARCH).
    case search([UInt32])
    /// `* 12 FETCH (UID 7 RFC822.SIZE 1200 FLAGS (\Seen) BODY[] {1200} ...)`
    case fetch(sequence: UInt32, IMAPFetchAttributes)
    /// A response this client does not use (`* LIST`, `* ENABLED`, `* ID`, ...), by its upper-cased name.
    case other(String)
}

/// The FETCH data items the client reads; items it did not ask for are skipped.
public struct IMAPFetchAttributes: Hashable, Sendable {
    public var uid: UInt32?
    public var rfc822Size: Int?
    public var flags: [String]?
    /// `BODY[]` (the whole message); nil when absent or `NIL`.
    public var body: ByteBuffer?

    public init(uid: UInt32? = nil, rfc822Size: Int? = nil, flags: [String]? = nil, body: ByteBuffer? = nil) {
        self.uid = uid
        self.rfc822Size = rfc822Size
        self.flags = flags
        self.body = body
    }
}
