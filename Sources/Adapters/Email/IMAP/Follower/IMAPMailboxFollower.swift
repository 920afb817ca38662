public import Logging
public import NIOCore
import NIOSSL

/// Follows one mailbox: every new message is handed to the caller, then marked, then the cursor is saved.
///
/// On connect it SELECTs the mailbox and compares UIDVALIDITY with the stored cursor (a change means the
/// UIDs were renumbered: it starts over from UID 1 and logs it; the caller dedupes by Message-ID). It
/// searches for unprocessed messages in windows of UIDs (keyword mode: `UID n:m NOT KEYWORD $Bridged`;
/// move mode: every undeleted message above the cursor), fetches each (`RFC822.SIZE` first, the body only
/// within the size limit), hands it over, marks it, saves the cursor. Then it waits: IDLE until `EXISTS`
/// (re-issued every `idleRenewal`), or polling when the server has no IDLE. A lost connection is
/// re-established with exponential backoff and jitter.
public struct IMAPMailboxFollower: Sendable {
    public let configuration: IMAPFollowerConfiguration
    public let account: String
    let cursorStore: any IMAPCursorStore
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    /// Immediate rescans (EXISTS seen while scanning) before waiting anyway: a server that announces news
    /// with every answer cannot keep the follower spinning.
    static let maxImmediateRescans = 8

    public init(
        configuration: IMAPFollowerConfiguration,
        account: String,
        cursorStore: any IMAPCursorStore,
        eventLoopGroup: any EventLoopGroup,
        logger: Logger
    ) {
        self.configuration = configuration
        self.account = account
        self.cursorStore = cursorStore
        self.eventLoopGroup = eventLoopGroup
        var logger = logger
        logger[metadataKey: "imap_account"] = "\(account)"
        self.logger = logger
    }

    /// Runs until cancelled. For each new message calls `handle`; marks the message only after `handle`
    /// returns normally (the caller returns only once the envelope is durably stored or the rejection is
    /// durably recorded). If `handle` throws, the message is not marked and is offered again later, after a
    /// backoff; nothing after it is processed first. If the task is cancelled while `handle` runs, the message
    /// is left unmarked too (it is offered again on the next run).
    ///
    /// A failure that needs an operator (wrong credentials, no STARTTLS, a missing mailbox) does not end the
    /// follower: `onFailure` is told (so it can be audited and shown as degraded), and the follower tries
    /// again after ``IMAPFollowerConfiguration/operatorBackoff``; `onRecovered` is told when a session is
    /// established again. Transient failures are logged and retried; cancellation returns normally.
    public func run(
        onFailure: @Sendable (IMAPError) async -> Void = { _ in },
        onRecovered: @Sendable () async -> Void = {},
        handle: @Sendable (IMAPFetched) async throws -> Void
    ) async throws {
        let connection = self.configuration.connection
        let tlsContext: NIOSSLContext? = connection.security == .plaintext ? nil : try connection.makeTLSContext()
        var backoff = self.configuration.reconnectBackoff.initial
        var failing = false
        while !Task.isCancelled {
            var step = backoff
            do {
                try await self.session(tlsContext: tlsContext, handle: handle) {
                    backoff = self.configuration.reconnectBackoff.initial
                    if failing {
                        failing = false
                        await onRecovered()
                    }
                }
            } catch is CancellationError {
                return
            } catch let error as IMAPError where !error.isTransient {
                self.logger.error("IMAP follower failing; retrying slowly until an operator fixes it", metadata: ["error": "\(error)"])
                if !failing { step = self.configuration.operatorBackoff.initial }
                failing = true
                await onFailure(error)
            } catch let failure as HandlerFailure {
                self.logger.warning(
                    "message handler failed; the message stays unmarked and is offered again",
                    metadata: ["uid": "\(failure.uid)", "error": "\(failure.underlying)", "retry_in": "\(backoff)"]
                )
            } catch {
                self.logger.warning("IMAP session ended", metadata: ["error": "\(error)", "retry_in": "\(backoff)"])
            }
            guard !Task.isCancelled else { return }
            if failing { step = max(step, self.configuration.operatorBackoff.initial) }
            do {
                try await Task.sleep(for: Self.jittered(step))
            } catch {
                return  // cancelled while waiting
            }
            let ceiling = failing ? self.configuration.operatorBackoff.maximum : self.configuration.reconnectBackoff.maximum
            backoff = min(step * 2, ceiling)
        }
    }

    /// The handler threw for this message.
    struct HandlerFailure: Error {
        let uid: UInt32
        let underlying: any Error
    }

    /// Between half and all of `step`.
    static func jittered(_ step: Duration) -> Duration {
        step / 2 + step / 2 * Double.random(in: 0...1)
    }

    /// One connection: select, then scan and wait until something fails.
    private func session(
        tlsContext: NIOSSLContext?,
        handle: @Sendable (IMAPFetched) async throws -> Void,
        connected: () async -> Void
    ) async throws {
        try await IMAPConnection.withConnection(
            self.configuration.connection, eventLoopGroup: self.eventLoopGroup, tlsContext: tlsContext,
            logger: self.logger
        ) { connection in
            if case .move(let target) = self.configuration.marking, try await connection.create(target) {
                self.logger.notice("created the mailbox processed messages move to", metadata: ["mailbox": "\(target)"])
            }
            let status = try await connection.select(self.configuration.mailbox)
            var cursor = try await self.startingCursor(uidValidity: status.uidValidity)
            await connected()
            var uidNextHint = status.uidNext
            var immediateRescans = 0
            while true {
                try Task.checkCancellation()
                connection.newMessagesSignalled = false
                try await self.scan(connection, cursor: &cursor, uidNextHint: uidNextHint, handle: handle)
                uidNextHint = nil  // only valid right after SELECT
                if connection.newMessagesSignalled, immediateRescans < Self.maxImmediateRescans {
                    immediateRescans += 1
                    continue
                }
                immediateRescans = 0
                if connection.supports("IDLE") {
                    let outcome = try await connection.idle(renewAfter: self.configuration.idleRenewal)
                    self.logger.trace("IDLE ended", metadata: ["outcome": "\(outcome)"])
                } else {
                    try await connection.pause(for: self.configuration.pollInterval)
                }
            }
        }
    }

    /// The stored cursor, or a fresh one when there is none or UIDVALIDITY changed.
    private func startingCursor(uidValidity: UInt32) async throws -> IMAPCursor {
        let stored = try await self.cursorStore.loadCursor(account: self.account)
        if let stored, stored.uidValidity == uidValidity { return stored }
        if let stored {
            self.logger.warning(
                "UIDVALIDITY changed: the mailbox was renumbered; starting over from UID 1",
                metadata: ["old_uidvalidity": "\(stored.uidValidity)", "new_uidvalidity": "\(uidValidity)"]
            )
        }
        let fresh = IMAPCursor(uidValidity: uidValidity, lastUID: 0)
        try await self.cursorStore.saveCursor(fresh, account: self.account)
        return fresh
    }

    /// Finds and processes every unprocessed message above the cursor, one window of UIDs at a time.
    private func scan(
        _ connection: IMAPConnection,
        cursor: inout IMAPCursor,
        uidNextHint: UInt32?,
        handle: @Sendable (IMAPFetched) async throws -> Void
    ) async throws {
        guard cursor.lastUID < UInt32.max else { return }
        var lower = cursor.lastUID + 1
        while true {
            // Closed windows while below the UIDNEXT that SELECT reported, then one open window `n:*`.
            let window = self.configuration.searchWindow
            var upper: UInt32?
            if let uidNextHint, uidNextHint > 1, lower <= uidNextHint - 1, uidNextHint - 1 - lower >= window {
                upper = lower + (window - 1)
            }
            var keys: [IMAPSearchKey] = [.uid(IMAPUIDSet([IMAPUIDRange(lower, upper)]))]
            switch self.configuration.marking {
            case .keyword(let keyword): keys.append(.notKeyword(keyword))
            case .move: keys.append(.undeleted)
            }
            // `n:*` always includes the highest UID, even below n (RFC 3501 §6.4.8): drop those.
            let found = try await connection.uidSearch(keys).filter { $0 >= lower && $0 <= (upper ?? .max) }
            for uid in found {
                try Task.checkCancellation()
                try await self.process(uid: uid, connection, cursor: &cursor, handle: handle)
            }
            guard let upper, upper < UInt32.max else { return }
            lower = upper + 1
        }
    }

    /// Fetch, hand over, mark, save the cursor: in that order, so a crash at any point loses nothing.
    private func process(
        uid: UInt32,
        _ connection: IMAPConnection,
        cursor: inout IMAPCursor,
        handle: @Sendable (IMAPFetched) async throws -> Void
    ) async throws {
        guard let size = try await connection.fetchSize(uid: uid) else { return }  // expunged meanwhile
        let fetched: IMAPFetched
        if size > self.configuration.maxMessageBytes {
            fetched = .oversized(uid: uid, size: size)
        } else {
            guard let body = try await connection.fetchMessage(uid: uid) else { return }
            fetched = .message(uid: uid, bytes: Array(body.readableBytesView))
        }
        do {
            try await handle(fetched)
        } catch {
            throw HandlerFailure(uid: uid, underlying: error)
        }
        // Shutting down while the handler ran: leave it unmarked; it is offered again next time.
        try Task.checkCancellation()
        switch self.configuration.marking {
        case .keyword(let keyword): try await connection.addFlags([keyword], uid: uid)
        case .move(let target): try await connection.move(uid: uid, to: target)
        }
        cursor.lastUID = max(cursor.lastUID, uid)
        try await self.cursorStore.saveCursor(cursor, account: self.account)
        self.logger.debug("message handed over and marked", metadata: ["uid": "\(uid)"])
    }
}
