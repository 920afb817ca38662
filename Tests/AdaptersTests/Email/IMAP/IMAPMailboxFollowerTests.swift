import Adapters
import BridgeModel
import Foundation
import Logging
import NIOPosix
import PeerHarness
import Testing

@Suite("IMAP mailbox follower against a real Dovecot", .serialized)
struct IMAPMailboxFollowerTests {
    typealias Support = IMAPTestSupport
    static let account = "gateway-inbox"
    static let gateway = DovecotFixture.gateway.user

    static func configuration(
        _ dovecot: DovecotFixture,
        marking: IMAPFollowerConfiguration.Marking = .keyword("$Bridged"),
        maxMessageBytes: Int = 1024 * 1024,
        password: String = DovecotFixture.gateway.password,
        idleRenewal: Duration = .seconds(25 * 60)
    ) -> IMAPFollowerConfiguration {
        IMAPFollowerConfiguration(
            host: "127.0.0.1", port: dovecot.imapPort, security: .startTLS,
            username: Self.gateway, password: Secret(bytes: Array(password.utf8)), auth: .plain,
            marking: marking, maxMessageBytes: maxMessageBytes, idleRenewal: idleRenewal,
            pollInterval: .milliseconds(100),
            reconnectBackoff: .init(initial: .milliseconds(50), maximum: .milliseconds(400)),
            trustRootsPEMFile: dovecot.certificatePath, serverHostname: DovecotFixture.serverHostname,
            commandTimeout: .seconds(30)
        )
    }

    static func follower(
        _ configuration: IMAPFollowerConfiguration,
        _ store: Support.MemoryCursorStore,
        logger: Logger = Logger(label: "imap-follower-test")
    ) -> IMAPMailboxFollower {
        IMAPMailboxFollower(
            configuration: configuration, account: Self.account, cursorStore: store,
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger
        )
    }

    static func logins(_ dovecot: DovecotFixture) -> Int {
        dovecot.log.components(separatedBy: "Login: user=<gateway@acme.test>").count - 1
    }

    /// Runs a follower that records every message and accepts it.
    static func start(_ follower: IMAPMailboxFollower, _ recorder: Support.Recorder) -> Task<Void, any Error> {
        Task { try await follower.run { fetched in await recorder.record(fetched) } }
    }

    static func flags(_ dovecot: DovecotFixture, mailbox: String = "INBOX") async throws -> [UInt32: [String]] {
        Dictionary(
            uniqueKeysWithValues: try await dovecot.messages(of: Self.gateway, in: mailbox).map { ($0.uid, $0.flags) })
    }

    static func text(_ fetched: IMAPFetched?) -> String {
        if case .message(_, let bytes)? = fetched { return String(decoding: bytes, as: UTF8.self) }
        return ""
    }

    @Test("a message delivered by LMTP while the follower idles is handed over, then carries $Bridged")
    func idleDelivery() async throws {
        let dovecot = try DovecotFixture()
        try await dovecot.waitReady()
        let store = Support.MemoryCursorStore()
        let recorder = Support.Recorder()
        let task = Self.start(Self.follower(Self.configuration(dovecot), store), recorder)
        let outcome = await Support.capture {
            // The follower has selected INBOX and saved a fresh cursor: from here on it scans, then idles.
            try await Support.eventually("the first cursor") { await store.cursor(Self.account) != nil }
            try await dovecot.deliver(to: Self.gateway, raw: Support.message(subject: "idle-1"))
            try await Support.eventually("the message handed over") { await recorder.uids == [1] }
            try await Support.eventually("$Bridged on it") {
                try await Self.flags(dovecot)[1]?.contains("$Bridged") == true
            }
            try await Support.eventually("the cursor at UID 1") { await store.cursor(Self.account)?.lastUID == 1 }
            #expect(Self.text(await recorder.offered.first).contains("Subject: idle-1\r\n"))
        }
        task.cancel()
        try await task.value
        let logins = Self.logins(dovecot)
        await dovecot.stop()
        try outcome.get()
        #expect(logins == 1)
    }

    @Test("a handler that throws leaves the message unmarked; it is offered again before anything after it")
    func handlerThrows() async throws {
        let dovecot = try DovecotFixture()
        try await dovecot.waitReady()
        try await dovecot.deliver(to: Self.gateway, raw: Support.message(subject: "first"))
        try await dovecot.deliver(to: Self.gateway, raw: Support.message(subject: "second"))
        let store = Support.MemoryCursorStore()
        let recorder = Support.Recorder()
        let unmarkedOnRetry = Support.Recorder()
        let follower = Self.follower(Self.configuration(dovecot), store)
        let task = Task {
            try await follower.run { fetched in
                await recorder.record(fetched)
                let attempts = await recorder.uids.filter { $0 == fetched.uid }.count
                if fetched.uid == 1, attempts == 1 { throw HandlerRefusal() }
                if fetched.uid == 1 {
                    let marked = try await Self.flags(dovecot)[1]?.contains("$Bridged") ?? true
                    if !marked { await unmarkedOnRetry.record(fetched) }
                }
            }
        }
        let outcome = await Support.capture {
            try await Support.eventually("both handled") { await recorder.uids.count == 3 }
            try await Support.eventually("both marked") {
                let flags = try await Self.flags(dovecot)
                return flags[1]?.contains("$Bridged") == true && flags[2]?.contains("$Bridged") == true
            }
            // The cursor is saved after the server has the flag: wait for it, not for the flag alone.
            try await Support.eventually("the cursor at UID 2") { await store.cursor(Self.account)?.lastUID == 2 }
        }
        task.cancel()
        try await task.value
        await dovecot.stop()
        try outcome.get()
        #expect(await recorder.uids == [1, 1, 2])
        #expect(await unmarkedOnRetry.uids == [1])
        #expect(await store.cursor(Self.account)?.lastUID == 2)
    }

    struct HandlerRefusal: Error {}

    @Test("a follower restarted with the saved cursor does not offer marked messages again")
    func restartWithCursor() async throws {
        let dovecot = try DovecotFixture()
        try await dovecot.waitReady()
        try await dovecot.deliver(to: Self.gateway, raw: Support.message(subject: "one"))
        try await dovecot.deliver(to: Self.gateway, raw: Support.message(subject: "two"))
        let store = Support.MemoryCursorStore()
        let first = Support.Recorder()
        let second = Support.Recorder()
        var followers: [Task<Void, any Error>] = []
        let outcome = await Support.capture {
            followers.append(Self.start(Self.follower(Self.configuration(dovecot), store), first))
            try await Support.eventually("both marked") { await store.cursor(Self.account)?.lastUID == 2 }
            followers[0].cancel()
            try await followers[0].value
            try await dovecot.deliver(to: Self.gateway, raw: Support.message(subject: "three"))
            followers.append(Self.start(Self.follower(Self.configuration(dovecot), store), second))
            try await Support.eventually("the new message") { await second.uids.contains(3) }
            try await Support.eventually("the cursor at 3") { await store.cursor(Self.account)?.lastUID == 3 }
        }
        for follower in followers {
            follower.cancel()
            try await follower.value
        }
        await dovecot.stop()
        try outcome.get()
        #expect(await first.uids == [1, 2])
        #expect(await second.uids == [3])
    }

    @Test("a message handed over but not marked (stopped inside the handler) is offered again after a restart")
    func crashWindow() async throws {
        let dovecot = try DovecotFixture()
        try await dovecot.waitReady()
        try await dovecot.deliver(to: Self.gateway, raw: Support.message(subject: "crash"))
        let store = Support.MemoryCursorStore()
        let first = Support.Recorder()
        let second = Support.Recorder()
        let follower = Self.follower(Self.configuration(dovecot), store)
        var restarted: Task<Void, any Error>?
        let outcome = await Support.capture {
            // The handler stores the message, then the process "dies": the follower's own task is cancelled
            // before the handler returns, exactly the window between durable storage and marking.
            let crashed = Task {
                try await follower.run { fetched in
                    await first.record(fetched)
                    withUnsafeCurrentTask { $0?.cancel() }
                }
            }
            try await crashed.value
            #expect(await first.uids == [1])
            #expect(try await Self.flags(dovecot)[1]?.contains("$Bridged") == false)
            #expect(await store.cursor(Self.account)?.lastUID == 0)

            restarted = Self.start(Self.follower(Self.configuration(dovecot), store), second)
            try await Support.eventually("offered again and marked") {
                try await Self.flags(dovecot)[1]?.contains("$Bridged") == true
            }
        }
        restarted?.cancel()
        try await restarted?.value
        await dovecot.stop()
        try outcome.get()
        #expect(await second.uids == [1])
        #expect(Self.text(await second.offered.first).contains("Subject: crash\r\n"))
    }

    @Test("a stored cursor from another UIDVALIDITY is discarded: the follower starts over from UID 1")
    func uidValidityChange() async throws {
        let dovecot = try DovecotFixture()
        try await dovecot.waitReady()
        try await dovecot.deliver(to: Self.gateway, raw: Support.message(subject: "renumbered"))
        let store = Support.MemoryCursorStore([Self.account: IMAPCursor(uidValidity: 1, lastUID: 1000)])
        let recorder = Support.Recorder()
        let task = Self.start(Self.follower(Self.configuration(dovecot), store), recorder)
        let outcome = await Support.capture {
            try await Support.eventually("the cursor at UID 1") { await store.cursor(Self.account)?.lastUID == 1 }
        }
        task.cancel()
        try await task.value
        await dovecot.stop()
        try outcome.get()
        #expect(await recorder.uids == [1])
        let cursor = await store.cursor(Self.account)
        #expect(cursor?.uidValidity != 1 && cursor?.uidValidity != 0)
    }

    @Test("move mode creates the target mailbox and moves each handed-over message into it")
    func moveMode() async throws {
        let dovecot = try DovecotFixture()
        try await dovecot.waitReady()
        try await dovecot.deliver(to: Self.gateway, raw: Support.message(subject: "move-1"))
        try await dovecot.deliver(to: Self.gateway, raw: Support.message(subject: "move-2"))
        let store = Support.MemoryCursorStore()
        let recorder = Support.Recorder()
        let configuration = Self.configuration(dovecot, marking: .move(to: "Überbrückt"))
        let task = Self.start(Self.follower(configuration, store), recorder)
        let outcome = await Support.capture {
            try await Support.eventually("both moved") {
                let inbox = try await Self.flags(dovecot)
                let target = try await Self.flags(dovecot, mailbox: "Überbrückt")
                return inbox.isEmpty && target.count == 2
            }
        }
        task.cancel()
        try await task.value
        let mailboxes = try await dovecot.mailboxes(of: Self.gateway)
        await dovecot.stop()
        try outcome.get()
        #expect(await recorder.uids == [1, 2])
        #expect(mailboxes.contains("Überbrückt"))
    }

    @Test("without IDLE the follower polls; without MOVE it copies, flags \\Deleted and expunges by UID")
    func pollingAndCopyFallback() async throws {
        let dovecot = try DovecotFixture(imapCapability: DovecotFixture.capabilitiesWithoutIdleOrMove)
        try await dovecot.waitReady()
        try await dovecot.deliver(to: Self.gateway, raw: Support.message(subject: "old"))
        let store = Support.MemoryCursorStore()
        let recorder = Support.Recorder()
        let task = Self.start(Self.follower(Self.configuration(dovecot, marking: .move(to: "Done")), store), recorder)
        let outcome = await Support.capture {
            try await Support.eventually("the first message moved") { await store.cursor(Self.account)?.lastUID == 1 }
            // Delivered after the first scan: only a later poll can find it (the server offers no IDLE).
            try await dovecot.deliver(to: Self.gateway, raw: Support.message(subject: "new"))
            try await Support.eventually("the second message moved") {
                let inbox = try await Self.flags(dovecot)
                let target = try await Self.flags(dovecot, mailbox: "Done")
                return inbox.isEmpty && target.count == 2
            }
        }
        task.cancel()
        try await task.value
        let logins = Self.logins(dovecot)
        await dovecot.stop()
        try outcome.get()
        #expect(await recorder.uids == [1, 2])
        #expect(logins == 1)
    }

    @Test("polling with keyword marking when the server hides IDLE")
    func pollingKeyword() async throws {
        let dovecot = try DovecotFixture(imapCapability: DovecotFixture.capabilitiesWithoutIdle)
        try await dovecot.waitReady()
        let store = Support.MemoryCursorStore()
        let recorder = Support.Recorder()
        let task = Self.start(Self.follower(Self.configuration(dovecot), store), recorder)
        let outcome = await Support.capture {
            try await Support.eventually("the first cursor") { await store.cursor(Self.account) != nil }
            try await dovecot.deliver(to: Self.gateway, raw: Support.message(subject: "polled"))
            try await Support.eventually("marked") { try await Self.flags(dovecot)[1]?.contains("$Bridged") == true }
        }
        task.cancel()
        try await task.value
        await dovecot.stop()
        try outcome.get()
        #expect(await recorder.uids == [1])
    }

    @Test("a message above the size limit is reported as oversized (no body fetched) and marked like any other")
    func oversized() async throws {
        let dovecot = try DovecotFixture()
        try await dovecot.waitReady()
        try await dovecot.deliver(to: Self.gateway, raw: Support.message(subject: "small"))
        try await dovecot.deliver(to: Self.gateway, raw: Support.message(subject: "large", padding: 5_000))
        let store = Support.MemoryCursorStore()
        let recorder = Support.Recorder()
        let task = Self.start(Self.follower(Self.configuration(dovecot, maxMessageBytes: 2_000), store), recorder)
        let outcome = await Support.capture {
            try await Support.eventually("both marked") { await store.cursor(Self.account)?.lastUID == 2 }
        }
        task.cancel()
        try await task.value
        let flags = try await Self.flags(dovecot)
        await dovecot.stop()
        try outcome.get()
        let offered = await recorder.offered
        #expect(offered.count == 2)
        #expect(Self.text(offered.first).contains("Subject: small\r\n"))
        guard case .oversized(uid: 2, let size)? = offered.last else {
            Issue.record(
                "the large message was not reported as oversized: \(offered.last.map { "\($0.uid)" } ?? "nothing")")
            return
        }
        #expect(size > 5_000)
        #expect(flags[2]?.contains("$Bridged") == true)
    }

    actor FailureLog {
        var errors: [IMAPError] = []
        func add(_ error: IMAPError) { self.errors.append(error) }
    }

    @Test("a wrong password is reported, not fatal: the follower keeps trying on its slow backoff and offers nothing")
    func wrongPassword() async throws {
        let dovecot = try DovecotFixture()
        try await dovecot.waitReady()
        let store = Support.MemoryCursorStore()
        var configuration = Self.configuration(dovecot, password: "not-the-password")
        configuration.operatorBackoff = .init(initial: .milliseconds(50), maximum: .milliseconds(200))
        let follower = Self.follower(configuration, store)
        let failures = FailureLog()
        let task = Task {
            try await follower.run(onFailure: { await failures.add($0) }) { _ in Issue.record("offered a message") }
        }
        let outcome = await Support.capture {
            try await Support.eventually("the failure was reported on two attempts") { await failures.errors.count >= 2 }
        }
        task.cancel()
        _ = await task.result
        await dovecot.stop()
        try outcome.get()
        let errors = await failures.errors
        #expect(errors.allSatisfy { $0.isAuthenticationFailure && !$0.isTransient })
        #expect(await store.cursor(Self.account) == nil)
    }

    @Test("IDLE is ended and re-issued at the renewal time on the same connection, and still sees new mail")
    func idleRenewal() async throws {
        let dovecot = try DovecotFixture()
        try await dovecot.waitReady()
        let store = Support.MemoryCursorStore()
        let recorder = Support.Recorder()
        let (logger, log) = Support.RecordingLogHandler.logger()
        let configuration = Self.configuration(dovecot, idleRenewal: .milliseconds(100))
        let task = Self.start(Self.follower(configuration, store, logger: logger), recorder)
        let outcome = await Support.capture {
            try await Support.eventually("three renewals") { log.count(containing: "outcome=renewalDue") >= 3 }
            try await dovecot.deliver(to: Self.gateway, raw: Support.message(subject: "after-renewals"))
            try await Support.eventually("marked") { try await Self.flags(dovecot)[1]?.contains("$Bridged") == true }
        }
        task.cancel()
        try await task.value
        let logins = Self.logins(dovecot)
        await dovecot.stop()
        try outcome.get()
        #expect(await recorder.uids == [1])
        #expect(logins == 1)
    }

    @Test("the follower reconnects after the server restarts and picks up mail delivered meanwhile")
    func reconnect() async throws {
        let dovecot = try DovecotFixture()
        try await dovecot.waitReady()
        let store = Support.MemoryCursorStore()
        let recorder = Support.Recorder()
        let (logger, log) = Support.RecordingLogHandler.logger()
        let task = Self.start(Self.follower(Self.configuration(dovecot), store, logger: logger), recorder)
        let outcome = await Support.capture {
            try await Support.eventually("the first cursor") { await store.cursor(Self.account) != nil }
            await dovecot.stop(keepingData: true)
            try await Support.eventually("the session loss noticed") {
                log.count(containing: "IMAP session ended") >= 1
            }
            try dovecot.start()
            try await dovecot.waitReady()
            try await dovecot.deliver(to: Self.gateway, raw: Support.message(subject: "after-restart"))
            try await Support.eventually("marked") { try await Self.flags(dovecot)[1]?.contains("$Bridged") == true }
        }
        task.cancel()
        try await task.value
        await dovecot.stop()
        try outcome.get()
        #expect(await recorder.uids == [1])
    }
}
