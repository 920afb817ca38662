import BridgeModel
import Foundation
import PolicyGate
import Testing

@testable import bridged

@Suite("SQLite store: inbox idempotency and outbox order")
struct OutboxStoreTests {
    let orgs = OrgDirectory([Organization(id: "acme", domains: ["acme.test"]), Organization(id: "globex", domains: ["globex.test"])])

    func withStore(_ body: (SQLiteStore) async throws -> Void) async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)/b.sqlite").path
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path) }
        try await body(try SQLiteStore(path: path))
    }

    func envelope(_ native: String, from: String = "bob@globex.test") throws -> Envelope {
        Envelope(
            origin: Origin(adapter: "globex-chat", nativeID: native),
            sender: Participant(address: try Address(parsing: from)), recipients: [try Address(parsing: "alice@acme.test")],
            body: native
        )
    }

    func entry(_ envelope: Envelope, conversation: String) throws -> OutboxEntry {
        let gate = PolicyGate(
            policy: PolicyDocument(rules: [.init(id: "g2a", action: .allow, from: ["org:globex"], to: ["org:acme"])]),
            orgs: self.orgs, revision: "r"
        )
        let decision = gate.decide(
            PolicyRequest(kind: .message, from: gate.party(envelope.sender.address), to: gate.party(envelope.recipients[0]))
        )
        let clearance = try #require(
            gate.clear(envelope, adapter: "acme-archive", target: .direct(envelope.recipients), decisions: [decision])
        )
        return OutboxEntry(clearance: clearance, conversation: conversation)
    }

    @Test("the writer connection runs at synchronous = FULL, so a commit survives a power loss, not only a crash")
    func synchronousFullOnTheWriter() async throws {
        try await self.withStore { store in
            #expect(try await store.writerSynchronous() == 2)
            // Still FULL after transactions that went through the pool's writer.
            _ = try await store.accept(try self.envelope("sync-1"))
            #expect(try await store.writerSynchronous() == 2)
        }
    }

    @Test("a native id with a window is a duplicate inside it and a new item after it; the id map then names the newest")
    func boundedIdempotency() async throws {
        try await self.withStore { store in
            let start = Date(timeIntervalSince1970: 1_800_000_000)
            func envelope(at offset: Double) throws -> Envelope {
                Envelope(
                    origin: Origin(adapter: "acme-xmpp", nativeID: "alice@acme.test/laptop\treused", freshForSeconds: 60),
                    sender: Participant(address: try Address(parsing: "alice@acme.test")), recipients: [try Address(parsing: "bob@globex.test")],
                    body: "at \(offset)", receivedAt: start.addingTimeInterval(offset)
                )
            }
            let first = try envelope(at: 0)
            #expect(try await store.accept(first) == .accepted(first.id))
            #expect(try await store.accept(try envelope(at: 30)) == .duplicate(first.id))
            let later = try envelope(at: 61)
            #expect(try await store.accept(later) == .accepted(later.id))
            #expect(try await store.envelopeID(adapter: "acme-xmpp", nativeID: "alice@acme.test/laptop\treused") == later.id)
            // Without a window the key holds for good.
            let webhook = Envelope(
                origin: Origin(adapter: "globex-chat", nativeID: "evt-1"), sender: Participant(address: try Address(parsing: "bob@globex.test")),
                recipients: [try Address(parsing: "alice@acme.test")], body: "x", receivedAt: start
            )
            _ = try await store.accept(webhook)
            var again = webhook
            again.id = .generate()
            again.receivedAt = start.addingTimeInterval(10 * 365 * 86400)
            #expect(try await store.accept(again) == .duplicate(webhook.id))
        }
    }

    @Test("the same origin accepted twice is stored once")
    func idempotent() async throws {
        try await self.withStore { store in
            let first = try self.envelope("evt-1")
            var again = try self.envelope("evt-1")
            again.body = "different"
            #expect(try await store.accept(first) == .accepted(first.id))
            #expect(try await store.accept(again) == .duplicate(first.id))
            #expect(try await store.pendingInbox(limit: 10).map(\.body) == ["evt-1"])
        }
    }

    @Test("a conversation waiting for a retry holds back its later items, other conversations go on")
    func orderPerConversation() async throws {
        try await self.withStore { store in
            let envelopes = try (1...4).map { try self.envelope("e\($0)") }
            for envelope in envelopes { _ = try await store.accept(envelope) }
            try await store.commitRouting(
                try envelopes.enumerated().map { index, envelope in
                    RoutingCommit(envelopeID: envelope.id, entries: [try self.entry(envelope, conversation: index < 3 ? "A" : "B")], index: [])
                }
            )
            #expect(try await store.inboxDepth() == 0)
            let now = Date()
            let due = try await store.dueDeliveries(adapter: "acme-archive", now: now, limit: 10)
            #expect(due.map(\.envelope.body) == ["e1", "e2", "e3", "e4"])
            try await store.settle(
                [.retry(id: due[0].id, attempts: 1, nextAttempt: now.addingTimeInterval(60), error: "x")], index: []
            )
            let blocked = try await store.dueDeliveries(adapter: "acme-archive", now: now, limit: 10)
            #expect(blocked.map(\.envelope.body) == ["e4"])
            let later = try await store.dueDeliveries(adapter: "acme-archive", now: now.addingTimeInterval(61), limit: 10)
            #expect(later.map(\.envelope.body) == ["e1", "e2", "e3", "e4"])
            #expect(later[0].attempts == 1)
        }
    }

    @Test("a dead letter leaves the queue, and a replay puts it back due, keeping its place")
    func deadLetterReplay() async throws {
        try await self.withStore { store in
            let envelope = try self.envelope("e1")
            _ = try await store.accept(envelope)
            try await store.commitRouting([RoutingCommit(envelopeID: envelope.id, entries: [try self.entry(envelope, conversation: "A")], index: [])])
            let item = try #require(try await store.dueDeliveries(adapter: "acme-archive", now: Date(), limit: 1).first)
            try await store.settle([.deadLetter(id: item.id, attempts: 3, reason: "http-400: no", at: Date())], index: [])
            #expect(try await store.outboxDepth(adapter: "acme-archive") == 0)
            let letter = try #require(try await store.deadLetters(limit: 10).first)
            #expect(letter.id == item.id && letter.attempts == 3)
            #expect(try await store.replayDeadLetter(letter.id, now: Date()))
            #expect(try await store.replayDeadLetter(letter.id, now: Date()) == false)
            let replayed = try #require(try await store.dueDeliveries(adapter: "acme-archive", now: Date(), limit: 1).first)
            #expect(replayed.id == item.id && replayed.attempts == 0)
            try await store.settle([.delivered(id: replayed.id, nativeID: "msg-42@acme")], index: [])
            #expect(try await store.outboxDepth(adapter: "acme-archive") == 0)
            // Both sides of the crossing are in the id map: the inbound event id and the delivered message id.
            #expect(try await store.envelopeID(adapter: "acme-archive", nativeID: "msg-42@acme") == envelope.id)
            #expect(try await store.envelopeID(adapter: "globex-chat", nativeID: "e1") == envelope.id)
        }
    }
}

extension OutboxStoreTests {
    func held(_ envelope: Envelope, rules: [String] = ["hold-cards"]) -> HeldEntry {
        HeldEntry(
            envelope: envelope, adapter: "acme-archive", target: .direct(envelope.recipients), conversation: "c", rules: rules,
            revision: "r", reason: "held for review", notice: .text("reviewed first")
        )
    }

    @Test("a held delivery is kept with its rules and notice; a settlement moves a queued row into it; a release moves it to the outbox once")
    func quarantineRows() async throws {
        try await self.withStore { store in
            let routed = try self.envelope("held-at-routing")
            _ = try await store.accept(routed)
            try await store.commitRouting([RoutingCommit(envelopeID: routed.id, entries: [], held: [self.held(routed)], index: [])])
            #expect(try await store.inboxDepth() == 0)
            let first = try #require(try await store.heldItems(limit: 10).first)
            // The envelope round-trips through its stored encoding (time to the millisecond); the rest exactly.
            var expected = self.held(routed)
            expected.envelope = first.entry.envelope
            #expect(first.entry == expected && first.entry.envelope.id == routed.id && first.entry.envelope.body == routed.body)

            let queued = try self.envelope("held-at-delivery")
            _ = try await store.accept(queued)
            try await store.commitRouting([RoutingCommit(envelopeID: queued.id, entries: [try self.entry(queued, conversation: "c")], index: [])])
            let row = try #require(try await store.dueDeliveries(adapter: "acme-archive", now: Date(), limit: 10).first)
            try await store.settle([.held(id: row.id, entry: self.held(queued), removing: true)], notices: [], index: [])
            #expect(try await store.outboxDepth(adapter: "acme-archive") == 0)
            #expect(try await store.heldItems(limit: 10).map(\.entry.envelope.id) == [routed.id, queued.id])

            let release = try self.entry(routed, conversation: "c")
            #expect(try await store.resolveHold(first.id, release: release, remaining: nil, notices: [], index: []))
            #expect(try await store.resolveHold(first.id, release: release, remaining: nil, notices: [], index: []) == false)
            #expect(try await store.outboxDepth(adapter: "acme-archive") == 1, "released once, not twice")
            let second = try #require(try await store.heldItems(limit: 10).first)
            #expect(try await store.resolveHold(second.id, release: nil, remaining: self.held(queued, rules: ["hold-cards", "hold-new"]), notices: [], index: []))
            #expect(try await store.heldItem(id: second.id)?.entry.rules == ["hold-cards", "hold-new"])
        }
    }
}

extension OutboxStoreTests {
    @Test("routing enqueues an unchanged envelope with its inbox row's bytes, a changed one as changed, and one without an inbox row all the same")
    func routingReusesTheInboxBytes() async throws {
        try await self.withStore { store in
            let unchanged = try self.envelope("reuse-unchanged")
            let changed = try self.envelope("reuse-changed")
            _ = try await store.accept(unchanged)
            _ = try await store.accept(changed)
            // As the router has them: decoded from the inbox rows.
            let accepted = try await store.pendingInbox(limit: 10)
            #expect(accepted.map(\.id) == [unchanged.id, changed.id])
            var masked = accepted[1]
            masked.body = "card ****"
            let orphan = try self.envelope("reuse-no-inbox-row")
            try await store.commitRouting([
                RoutingCommit(
                    envelopeID: accepted[0].id, entries: [try self.entry(accepted[0], conversation: "a")], accepted: accepted[0], index: []
                ),
                RoutingCommit(envelopeID: accepted[1].id, entries: [try self.entry(masked, conversation: "b")], accepted: accepted[1], index: []),
                RoutingCommit(envelopeID: orphan.id, entries: [try self.entry(orphan, conversation: "c")], accepted: orphan, index: []),
            ])
            #expect(try await store.inboxDepth() == 0)
            let due = try await store.dueDeliveries(adapter: "acme-archive", now: Date(), limit: 10)
            #expect(due.map(\.envelope.id) == [unchanged.id, changed.id, orphan.id])
            #expect(due[0].envelope == accepted[0])
            #expect(due[1].envelope.body == "card ****", "the changed envelope is stored, not the inbox row")
            #expect(due[2].envelope.body == orphan.body)
        }
    }
}
