public import NIOCore

/// What SELECT reported (RFC 3501 §6.3.1).
public struct IMAPMailboxStatus: Hashable, Sendable {
    public var uidValidity: UInt32
    public var uidNext: UInt32?
    public var exists: UInt32
}

/// Why ``IMAPConnection/idle(renewAfter:)`` returned.
public enum IMAPIdleOutcome: Hashable, Sendable {
    /// The server announced new messages (`* n EXISTS`).
    case newMessages
    /// The renewal time passed without news (RFC 2177: re-issue IDLE at least every 29 minutes).
    case renewalDue
}

extension IMAPConnection {
    /// `SELECT mailbox`.
    /// - Throws: ``IMAPError`` `mailbox-unavailable` on NO (not transient), or when the server gives no UIDVALIDITY.
    public func select(_ mailbox: String) async throws -> IMAPMailboxStatus {
        var uidValidity: UInt32?
        var uidNext: UInt32?
        var exists: UInt32 = 0
        let reply = try await self.execute(.select(mailbox: mailbox)) { untagged in
            switch untagged {
            case .status(.ok, let text):
                switch text.code {
                case .uidValidity(let value)?: uidValidity = value
                case .uidNext(let value)?: uidNext = value
                default: break
                }
            case .exists(let count):
                exists = count
            default:
                break
            }
        }
        guard reply.status == .ok else {
            throw IMAPError(.mailboxUnavailable, "cannot select \(mailbox): \(IMAPError.serverText(reply.text.text))")
        }
        guard let uidValidity else { throw IMAPError(.mailboxUnavailable, "SELECT \(mailbox) gave no UIDVALIDITY") }
        return IMAPMailboxStatus(uidValidity: uidValidity, uidNext: uidNext, exists: exists)
    }

    /// `CREATE mailbox`. - Returns: false when it already existed (`[ALREADYEXISTS]`).
    @discardableResult
    public func create(_ mailbox: String) async throws -> Bool {
        let reply = try await self.execute(.create(mailbox: mailbox))
        switch (reply.status, reply.text.code) {
        case (.ok, _): return true
        case (.no, .alreadyExists?): return false
        default: throw IMAPError(.commandRejected, "CREATE \(mailbox): \(IMAPError.serverText(reply.text.text))")
        }
    }

    /// `UID SEARCH keys`. - Returns: the UIDs, ascending.
    public func uidSearch(_ keys: [IMAPSearchKey]) async throws -> [UInt32] {
        var uids: [UInt32] = []
        let reply = try await self.execute(.uidSearch(keys)) { untagged in
            if case .search(let found) = untagged { uids.append(contentsOf: found) }
        }
        try Self.requireOK(reply, "UID SEARCH")
        return uids.sorted()
    }

    /// `UID FETCH uid (UID RFC822.SIZE)`. - Returns: nil when no such message exists (any more).
    public func fetchSize(uid: UInt32) async throws -> Int? {
        var size: Int?
        let reply = try await self.execute(.uidFetch(IMAPUIDSet(uid: uid), [.uid, .rfc822Size])) { untagged in
            if case .fetch(_, let attributes) = untagged, attributes.uid == uid, let found = attributes.rfc822Size {
                size = found
            }
        }
        try Self.requireOK(reply, "UID FETCH")
        return size
    }

    /// `UID FETCH uid (UID BODY.PEEK[])`: the whole message without setting `\Seen`.
    /// - Returns: nil when no such message exists (any more).
    public func fetchMessage(uid: UInt32) async throws -> ByteBuffer? {
        var body: ByteBuffer?
        let reply = try await self.execute(.uidFetch(IMAPUIDSet(uid: uid), [.uid, .bodyPeek])) { untagged in
            if case .fetch(_, let attributes) = untagged, attributes.uid == uid, let found = attributes.body {
                body = found
            }
        }
        try Self.requireOK(reply, "UID FETCH")
        return body
    }

    /// `UID STORE uid +FLAGS.SILENT (flags)`.
    public func addFlags(_ flags: [String], uid: UInt32) async throws {
        try Self.requireOK(
            try await self.execute(.uidStore(IMAPUIDSet(uid: uid), add: true, flags: flags)), "UID STORE")
    }

    /// Moves a message: `UID MOVE` (RFC 6851) when offered, else `UID COPY`, `\Deleted`, and `UID EXPUNGE`
    /// (RFC 4315 UIDPLUS; plain `EXPUNGE` is never used, it would remove other clients' deleted messages).
    /// - Throws: ``IMAPError`` `capability-missing` when the server has neither MOVE nor UIDPLUS.
    public func move(uid: UInt32, to mailbox: String) async throws {
        let set = IMAPUIDSet(uid: uid)
        if self.supports("MOVE") {
            try Self.requireOK(try await self.execute(.uidMove(set, mailbox: mailbox)), "UID MOVE")
            return
        }
        guard self.supports("UIDPLUS") else {
            throw IMAPError(.capabilityMissing, "the server offers neither MOVE nor UIDPLUS")
        }
        try Self.requireOK(try await self.execute(.uidCopy(set, mailbox: mailbox)), "UID COPY")
        try Self.requireOK(try await self.execute(.uidStore(set, add: true, flags: ["\\Deleted"])), "UID STORE")
        try Self.requireOK(try await self.execute(.uidExpunge(set)), "UID EXPUNGE")
    }

    public func noop() async throws {
        try Self.requireOK(try await self.execute(.noop), "NOOP")
    }

    /// `LOGOUT`; the server answers `* BYE` and the tagged OK.
    public func logout() async throws {
        try await self.execute(.logout)
    }

    /// IDLE (RFC 2177) until the server announces new messages or `renewAfter` passes, then DONE.
    /// Other untagged responses while idling (EXPUNGE, FETCH flag changes, RECENT) are read and dropped.
    public func idle(renewAfter: Duration) async throws -> IMAPIdleOutcome {
        guard self.supports("IDLE") else { throw IMAPError(.capabilityMissing, "the server does not offer IDLE") }
        try await self.perform(self.machine.send(.idle))
        try await self.armTimer(self.configuration.commandTimeout)
        var outcome: IMAPIdleOutcome?
        var idling = false
        while true {
            let event = try await self.nextEvent()
            let action: IMAPClientStateMachine.Action
            switch event {
            case .timer where idling && outcome == nil:
                outcome = .renewalDue
                action = self.machine.endIdle()
                try await self.armTimer(self.configuration.commandTimeout)
            case .timer:
                throw IMAPError(.timeout, "no answer to IDLE or DONE in time")
            case .action(let next):
                action = next
            }
            switch action {
            case .idleStarted:
                idling = true
                try await self.armTimer(renewAfter)
            case .untagged(.exists) where outcome == nil:
                outcome = .newMessages
                try await self.perform(self.machine.endIdle())
                try await self.armTimer(self.configuration.commandTimeout)
            case .write(let bytes):
                try await self.perform(.write(bytes))
            case .completed(let reply):
                try await self.cancelTimer()
                guard reply.status == .ok else {
                    throw IMAPError(.commandRejected, "IDLE: \(IMAPError.serverText(reply.text.text))")
                }
                // A server may end IDLE on its own; then look for news as if it had announced some.
                return outcome ?? .newMessages
            case .fail(let error):
                throw error
            case .untagged, .greeting, .writeAndStartTLS, .none:
                continue
            }
        }
    }

    /// Waits `duration` without a command running (polling for servers without IDLE), reading and dropping
    /// unsolicited responses; the state machine bounds how many it accepts.
    public func pause(for duration: Duration) async throws {
        try await self.armTimer(duration)
        while true {
            switch try await self.nextEvent() {
            case .timer: return
            case .action(.fail(let error)): throw error
            case .action: continue
            }
        }
    }

    static func requireOK(_ reply: IMAPTaggedResponse, _ command: String) throws(IMAPError) {
        guard reply.status == .ok else {
            throw IMAPError(
                .commandRejected,
                "\(command) answered \(reply.status.rawValue): \(IMAPError.serverText(reply.text.text))")
        }
    }
}
