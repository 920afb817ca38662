public import BridgeModel
import Crypto
import Foundation

/// How remote people appear to email users on the gateway's mail domain, and how their replies find the
/// way back.
///
/// - A remote person is `local=domain@MAILDOMAIN` (`bob=globex.test@bridge.acme.test`): the last `=`
///   separates the two halves, so an address with `=` in its local part survives.
/// - A conversation between a remote person and an email user is a thread id derived from the two
///   addresses, so the same pair always continues the same thread, across restarts. The `Reply-To` of
///   mail from the gateway is the signed `r.<thread>.<mac>@MAILDOMAIN` (``ReplyAddress``), valid only
///   for the email user it was sent to.
public struct EmailAddressing: Sendable {
    public let mailDomain: String
    public let replies: ReplyAddress

    public init(mailDomain: String, replyKey: [UInt8]) throws(ReplyAddressError) {
        self.mailDomain = mailDomain.lowercased()
        self.replies = try ReplyAddress(key: SymmetricKey(data: replyKey), domain: mailDomain)
    }

    /// `bob=globex.test@MAILDOMAIN` for bob@globex.test.
    public func mailbox(for remote: Address) throws(AddressError) -> Address {
        try Address(local: "\(remote.local)=\(remote.domain)", domain: self.mailDomain)
    }

    /// The remote person a `local=domain@MAILDOMAIN` address stands for, or nil when it is not one.
    public func remote(for address: Address) -> Address? {
        guard address.domain == self.mailDomain, let equals = address.local.lastIndex(of: "=") else { return nil }
        let local = String(address.local[..<equals])
        let domain = String(address.local[address.local.index(after: equals)...]).lowercased()
        return try? Address(local: local, domain: domain)
    }

    public func isReplyAddress(_ address: Address) -> Bool {
        address.domain == self.mailDomain && address.local.lowercased().hasPrefix("r.")
    }

    /// The thread of `remote` and `local`: 16 lowercase base32 characters of a SHA-256 over both addresses.
    public static func thread(remote: Address, local: Address) -> String {
        let digest = SHA256.hash(data: Array("\(remote.description.lowercased())\u{0}\(local.description.lowercased())".utf8))
        return ReplyAddress.base32(Array(digest.prefix(10)))
    }
}

/// What the adapter remembers about one email conversation (remote person ↔ email user), so a reply
/// from chat continues the mail thread: same subject, `In-Reply-To` the last message, `References` the
/// chain (the first and the last 9, as mail clients do).
public struct EmailThreadState: Codable, Hashable, Sendable {
    public var remote: String
    public var local: String
    public var subject: String?
    public var lastMessageID: String?
    public var references: [String]

    public init(remote: Address, local: Address) {
        self.remote = remote.description
        self.local = local.description
        self.references = []
    }

    public mutating func append(messageID: String) {
        self.lastMessageID = messageID
        if !self.references.contains(messageID) { self.references.append(messageID) }
        if self.references.count > 10 { self.references = [self.references[0]] + self.references.suffix(9) }
    }

    public static func key(thread: String) -> String { "thread:\(thread)" }
}
