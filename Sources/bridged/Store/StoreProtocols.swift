import Logging
import BridgeModel
import Foundation
import PolicyGate

/// The durable inbox: what adapters accepted and the router has not yet decided.
protocol InboxStore: Sendable {
    /// Commits the envelope (idempotent on its origin) before anything is acknowledged to the source.
    func accept(_ envelope: Envelope) async throws -> AcceptOutcome
    /// The oldest undecided envelopes, in arrival order.
    func pendingInbox(limit: Int) async throws -> [Envelope]
    func inboxDepth() async throws -> Int
    /// The envelope an adapter's native id belongs to (the id map: inbound and delivered ids).
    func envelopeID(adapter: String, nativeID: String) async throws -> EnvelopeID?
    /// Where an accepted envelope came from.
    func origin(of envelope: EnvelopeID) async throws -> Origin?
    /// The canonical address of an accepted envelope's sender.
    func author(of envelope: EnvelopeID) async throws -> String?
    /// The adapters each envelope was delivered through.
    func deliveredAdapters(of envelopes: [EnvelopeID]) async throws -> [EnvelopeID: Set<String>]
}

/// The per-destination outbox with retries and dead letters.
protocol OutboxStore: Sendable {
    /// In one transaction: removes decided envelopes from the inbox, enqueues their cleared deliveries with
    /// their clearances, puts the notices to their senders into the inbox and records the audit index rows.
    func commitRouting(_ commits: [RoutingCommit]) async throws
    /// Deliveries due for one adapter in sequence order, leaving out every item queued behind an earlier item
    /// of its conversation that waits for a retry: the caller delivers them in order and stops a conversation
    /// at its first failure, so order holds per conversation.
    func dueDeliveries(adapter: String, now: Date, limit: Int) async throws -> [OutboxItem]
    /// The earliest time anything queued for the adapter becomes due.
    func nextDue(adapter: String) async throws -> Date?
    /// Makes every item of the adapter waiting for a retry due now (the adapter delivers again after an
    /// outage, as Postfix flushes its deferred queue). - Returns: how many were brought forward.
    func bringForward(adapter: String, now: Date) async throws -> Int
    /// In one transaction: applies delivery outcomes, puts the notices about given-up or newly denied
    /// deliveries into the inbox, and records their audit index rows.
    func settle(_ settlements: [Settlement], notices: [Envelope], index: [AuditIndexEntry]) async throws
    func outboxDepth(adapter: String) async throws -> Int
}

/// Dead letters an operator can inspect and replay.
protocol DeadLetterStore: Sendable {
    func deadLetters(limit: Int) async throws -> [DeadLetter]
    func deadLetter(id: Int64) async throws -> DeadLetter?
    /// Moves a dead letter back into the outbox, due now and undecided: the worker asks the gate in force
    /// before delivering it. Returns false when no such dead letter exists.
    func replayDeadLetter(_ id: Int64, now: Date) async throws -> Bool
}

/// The rebuildable query index over the audit log (the log files are the system of record).
protocol AuditIndexStore: Sendable {
    /// The indexed events of these envelopes.
    func indexedEvents(envelopes: [EnvelopeID]) async throws -> [EnvelopeID: [AuditIndexEntry]]
    func lastIndexedSequence() async throws -> Int64
    func insertIndex(_ entries: [AuditIndexEntry]) async throws
}

/// All the store seams the daemon needs; SQLite implements them today, PostgreSQL can later.
typealias GatewayStore = InboxStore & OutboxStore & DeadLetterStore & QuarantineStore & AuditIndexStore & AdapterStateStore

extension AuditIndexStore {
    /// Runs a transaction that carries the index rows of records already appended to the audit log. If it
    /// fails, the rows are indexed on their own, so a retry sees that the records exist and writes no
    /// duplicate `accepted` and delivers nothing twice.
    func indexingOnFailure(_ index: [AuditIndexEntry], _ transaction: () async throws -> Void) async throws {
        do {
            try await transaction()
        } catch {
            try? await self.insertIndex(index)
            throw error
        }
    }
}

/// One cleared delivery to enqueue. It can only be made from a ``Clearance``, which only the policy gate
/// issues: there is no way to put anything into the outbox that the gate did not allow.
///
/// The envelope enqueued is the clearance's own: as the gate redacted and annotated it. There is no way to
/// enqueue the original of a transformed item.
struct OutboxEntry: Sendable {
    let clearance: Clearance
    /// Ordering key: deliveries with the same adapter and conversation leave in enqueue order.
    let conversation: String

    /// Quarantine rules a reviewer overrode for this delivery (kept with its clearance).
    let released: [String]

    init(clearance: Clearance, conversation: String, released: [String] = []) {
        self.clearance = clearance
        self.conversation = conversation
        self.released = released
    }

    var envelope: Envelope { self.clearance.envelope }

    /// What the row keeps of its clearance, with the digest of the content it holds.
    var storedClearance: StoredClearance {
        var stored = self.clearance.stored
        stored.contentDigest = ContentDigest.of(self.clearance.envelope)
        if !self.released.isEmpty { stored.released = self.released }
        return stored
    }
}

/// A delivery a quarantine rule holds for review: what would have been enqueued, and the rules that held
/// it. It goes anywhere only through a reviewer's release, which the gate decides again.
struct HeldEntry: Sendable, Hashable {
    var envelope: Envelope
    var adapter: String
    var target: Delivery.Target
    /// The outbox ordering key it gets when released.
    var conversation: String
    /// The quarantine rules that held it.
    var rules: [String]
    var revision: String
    var reason: String
    /// What the sender is told when a reviewer rejects it (the holding rules' notice).
    var notice: PolicyDocument.DenyNotice
}

/// A held delivery as read back from the quarantine.
struct HeldItem: Sendable, Hashable {
    var id: Int64
    var entry: HeldEntry
    var heldAt: Date
}

/// Held deliveries a reviewer releases or rejects (`bridged quarantine`).
protocol QuarantineStore: Sendable {
    func heldItems(limit: Int) async throws -> [HeldItem]
    func heldItem(id: Int64) async throws -> HeldItem?
    /// In one transaction: removes the held row (or, with `remaining`, narrows it to what is still held),
    /// enqueues the released delivery, puts notices into the inbox and records the audit index rows.
    /// Returns false (and changes nothing) when no such row exists.
    func resolveHold(
        _ id: Int64, release: OutboxEntry?, remaining: HeldEntry?, notices: [Envelope], index: [AuditIndexEntry]
    ) async throws -> Bool
}

/// The outcome of routing one inbox envelope.
struct RoutingCommit: Sendable {
    var envelopeID: EnvelopeID
    var entries: [OutboxEntry]
    /// The envelope as the inbox holds it, when known: an entry carrying exactly this envelope is enqueued
    /// with the inbox row's bytes instead of being encoded again.
    var accepted: Envelope? = nil
    /// Deliveries held for review instead of enqueued.
    var held: [HeldEntry] = []
    /// Notices to the sender (denied recipients), stored in the same transaction.
    var notices: [Envelope] = []
    var index: [AuditIndexEntry]
}

/// A queued delivery as read back from the outbox.
struct OutboxItem: Sendable, Hashable {
    var id: Int64
    var envelope: Envelope
    var adapter: String
    var target: Delivery.Target
    var conversation: String
    /// Attempts made so far.
    var attempts: Int
    var createdAt: Date
    /// The clearance it was enqueued (or last re-decided) with.
    var clearance: StoredClearance = .undecided
}

enum Settlement: Sendable, Hashable {
    /// `nativeID`: the id the destination gave the item, recorded in the id map for threads and edits.
    case delivered(id: Int64, nativeID: String? = nil)
    case retry(id: Int64, attempts: Int, nextAttempt: Date, error: String)
    case deadLetter(id: Int64, attempts: Int, reason: String, at: Date)
    /// The gate in force decided the row again (the policy changed): its new clearance and the recipients
    /// still cleared. Applied before the row's other settlement in the same transaction.
    /// `envelope`: the content as the gate in force transformed it, when that differs from the row's.
    case recleared(id: Int64, clearance: StoredClearance, target: Delivery.Target, envelope: Envelope? = nil)
    /// The gate in force holds (some of) the row's recipients for review: they go to the quarantine;
    /// `removing` deletes the row when nobody else is still cleared.
    case held(id: Int64, entry: HeldEntry, removing: Bool)
}

struct DeadLetter: Sendable, Hashable {
    var id: Int64
    var envelopeID: EnvelopeID
    var adapter: String
    var attempts: Int
    var reason: String
    var createdAt: Date
    var deadAt: Date
}

/// One row of the audit query index.
struct AuditIndexEntry: Sendable, Hashable {
    var sequence: Int64
    var envelopeID: EnvelopeID?
    var event: AuditEventType
    var adapter: String?
    var at: Date
}
