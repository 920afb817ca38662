import PolicyGate
import Adapters
@_spi(DeliveryWorker) import BridgeModel
import Foundation
import Logging

/// Drains one adapter's outbox: delivers the head of each conversation, audits the outcome, and retries
/// failures with exponential backoff and jitter until they succeed or are dead-lettered.
///
/// This is the only code that builds a ``Delivery``, and it builds one only from a clearance the gate in
/// force has just given: before every attempt (first tries, retries and replays alike) the row's stored
/// clearance is confirmed by the current gate, or, when the policy revision changed since, the item is
/// decided again. An item the current policy no longer allows is dead-lettered `policy-changed`, audited,
/// and its sender is told.
struct DeliveryWorker: Sendable {
    let adapter: any Adapter
    let store: any GatewayStore
    let audit: AuditLog
    let runtime: RuntimeConfig
    let settings: DeliverySettings
    let metrics: GatewayMetrics
    let bell: Doorbell
    /// Rung when notices were put into the inbox.
    let inboxBell: Doorbell
    let logger: Logger
    /// Adapters that can deliver, and those that carry presence: what the planner needs to decide again.
    var deliverable: Set<String> = []
    var presenceCarriers: Set<String> = []
    /// The destination's outage state across batches.
    var health = AdapterHealth()
    /// Due items read per pass: several windows.
    var batchSize: Int { max(32, 4 * self.window) }

    /// How many deliveries go to the adapter together (``Adapter/deliver(all:)``), and how many at most are
    /// delivered before their outcomes are audited and settled: after a crash, at most this many per
    /// adapter can be delivered a second time (`delivery.window`).
    var window: Int { max(1, self.settings.window) }

    /// What one window's outcomes become: audit records, settlements and notices, written together.
    struct Outcomes {
        var events: [AuditEvent] = []
        var settlements: [Settlement] = []
        var notices: [Envelope] = []
        var delivered = 0
        var failed = 0
        var lastFailure: String?

        var isEmpty: Bool { self.events.isEmpty && self.settlements.isEmpty && self.notices.isEmpty }
    }

    /// An item cleared for this attempt and handed to the adapter in the next window.
    struct Prepared {
        var item: OutboxItem
        var delivery: Delivery
        var clearance: Clearance
        var event: AuditEvent
    }

    /// Delivers one batch of due items, a window at a time. - Returns: how many were attempted.
    func deliverBatch(now: Date = Date()) async throws -> Int {
        let items = try await self.store.dueDeliveries(adapter: self.adapter.name, now: now, limit: self.batchSize)
        guard !items.isEmpty else { return 0 }
        let indexed = try await self.store.indexedEvents(envelopes: items.map(\.envelope.id))
        let routing = await self.runtime.routing
        var outcomes = Outcomes()
        var window: [Prepared] = []
        var blocked: Set<String> = []
        for item in items where !blocked.contains(item.conversation) {
            let alreadyDelivered = (indexed[item.envelope.id] ?? []).contains {
                $0.event == .delivered && $0.adapter == item.adapter
            }
            if alreadyDelivered {
                // Delivered and audited before a crash, but not yet settled: settle without delivering again.
                outcomes.settlements.append(.delivered(id: item.id))
                continue
            }
            let attempt = item.attempts + 1
            guard let clearance = self.clearance(
                for: item, routing: routing, events: &outcomes.events, settlements: &outcomes.settlements, notices: &outcomes.notices
            ) else {
                continue
            }
            var event = AuditEvent(.delivered)
            event.envelope = item.envelope.id.rawValue
            event.adapter = item.adapter
            event.attempt = attempt
            if case .direct(let recipients) = clearance.target { event.to = recipients.map(\.description) }
            if case .room(let room, _) = clearance.target { event.room = room }
            do {
                let audience = try await self.roomAudience(for: clearance.target, item: item, routing: routing, events: &outcomes.events)
                // The clearance's envelope: as the gate redacted and annotated it.
                let delivery = Delivery(
                    id: item.id, envelope: clearance.envelope, adapter: item.adapter, target: clearance.target, attempt: attempt,
                    audience: audience
                )
                window.append(Prepared(item: item, delivery: delivery, clearance: clearance, event: event))
            } catch {
                self.record(.failed(error), of: item, clearance: clearance, event: event, routing: routing, into: &outcomes, blocked: &blocked)
            }
            if window.count >= self.window {
                try await self.deliver(&window, routing: routing, into: &outcomes, blocked: &blocked)
            }
        }
        try await self.deliver(&window, routing: routing, into: &outcomes, blocked: &blocked)
        return items.count
    }

    /// Hands the window to the adapter, then audits and settles what became of each item (and anything
    /// decided before it), so outcomes are on disk a window at a time.
    private func deliver(
        _ window: inout [Prepared], routing: Routing, into outcomes: inout Outcomes, blocked: inout Set<String>
    ) async throws {
        if !window.isEmpty {
            let results = await self.adapter.deliver(all: window.map(\.delivery))
            for (prepared, result) in zip(window, results) {
                self.record(result, of: prepared.item, clearance: prepared.clearance, event: prepared.event, routing: routing, into: &outcomes, blocked: &blocked)
            }
            window = []
        }
        guard !outcomes.isEmpty else { return }
        let written = outcomes
        outcomes = Outcomes()
        let index = try await self.audit.append(written.events)
        try await self.store.indexingOnFailure(index) {
            try await self.store.settle(written.settlements, notices: written.notices, index: index)
        }
        if !written.notices.isEmpty { await self.inboxBell.ring() }
        if self.health.record(delivered: written.delivered, failed: written.failed, lastFailure: written.lastFailure) {
            // The destination delivers again: everything that waited out a backoff during the outage goes now.
            let forward = try await self.store.bringForward(adapter: self.adapter.name, now: Date())
            if forward > 0 {
                self.logger.notice("destination back: retries brought forward", metadata: ["adapter": "\(self.adapter.name)", "items": "\(forward)"])
            }
        }
    }

    /// Turns one item's outcome into its audit record, settlement, metrics and (for a dead letter) the
    /// sender's notice. A transient failure holds the rest of the item's conversation back for this batch.
    private func record(
        _ result: DeliveryOutcome, of item: OutboxItem, clearance: Clearance, event: AuditEvent, routing: Routing,
        into outcomes: inout Outcomes, blocked: inout Set<String>
    ) {
        var event = event
        switch result {
        case .notAttempted:
            // Still queued exactly as it was; the next batch takes it (after its conversation's head).
            blocked.insert(item.conversation)
            return
        case .delivered(let receipt):
            event.detail = receipt.nativeID.map { "native id \($0)" }
            outcomes.settlements.append(.delivered(id: item.id, nativeID: receipt.nativeID))
            outcomes.delivered += 1
            self.metrics.delivered(item.adapter)
        case .failed(let error):
            let attempt = item.attempts + 1
            let settlement = self.settlement(for: error, item: item, attempt: attempt, now: Date())
            switch settlement {
            case .retry(_, _, let next, _):
                event.event = .retried
                event.detail = "\(error.detail); next attempt at \(Timestamp.format(next))"
                outcomes.failed += 1
                outcomes.lastFailure = error.code
                self.metrics.retried(item.adapter)
                blocked.insert(item.conversation)
            default:
                event.event = .deadLettered
                event.detail = error.detail
                self.metrics.deadLettered(item.adapter)
            }
            event.reason = error.code
            outcomes.settlements.append(settlement)
            if case .deadLetter = settlement, case .direct(let recipients) = clearance.target,
                let notice = self.planner(routing).notice(
                    about: item.envelope, recipients, error.isPermanent ? .refused : .gaveUp, "\(item.id)"
                )
            {
                outcomes.notices.append(notice)
            }
            self.logger.notice(
                "delivery failed",
                metadata: ["adapter": "\(item.adapter)", "delivery": "\(item.id)", "error": "\(error.code)", "attempt": "\(attempt)"]
            )
        }
        outcomes.events.append(event)
    }

    /// The clearance for this attempt: the stored one if the gate in force confirms it, else a new decision.
    /// Returns nil (with the dead letter, its audit records and the notice added) when nothing is still
    /// allowed.
    private func clearance(
        for item: OutboxItem, routing: Routing, events: inout [AuditEvent], settlements: inout [Settlement],
        notices: inout [Envelope]
    ) -> Clearance? {
        let gate = routing.gate
        var stored = item.clearance
        if let digest = stored.contentDigest, digest != ContentDigest.of(item.envelope) {
            // The row's content is not what was cleared: it is decided (and transformed) again, never sent on trust.
            self.logger.warning("a queued row's content does not match its clearance; deciding it again", metadata: ["delivery": "\(item.id)"])
            stored = .undecided
        }
        if let confirmed = gate.confirm(stored, envelope: item.envelope, adapter: item.adapter, target: item.target) {
            return confirmed
        }
        var planner = self.planner(routing)
        // A reviewer's release still stands: the rules it overrode do not hold the item again.
        // (Not for a row whose content is not what was cleared: `stored` is then undecided.)
        planner.releasing = Set(stored.released ?? [])
        let redecision = planner.redecide(item)
        events.append(contentsOf: redecision.events)
        notices.append(contentsOf: redecision.notices)
        for _ in 0..<redecision.denied { self.metrics.denied(item.envelope.origin.adapter) }
        if let held = redecision.held {
            // Held under the policy in force: to the quarantine, out of this row (or the row goes with it).
            settlements.append(.held(id: item.id, entry: held, removing: redecision.clearance == nil))
            self.metrics.held(item.adapter)
            if redecision.clearance == nil { return nil }
        }
        if let clearance = redecision.clearance {
            let entry = OutboxEntry(clearance: clearance, conversation: item.conversation, released: stored.released ?? [])
            settlements.append(
                .recleared(
                    id: item.id, clearance: entry.storedClearance, target: clearance.target,
                    envelope: clearance.envelope == item.envelope ? nil : clearance.envelope
                )
            )
            return clearance
        }
        let reason = "policy-changed: the policy in force (\(gate.revision)) no longer allows this delivery"
        settlements.append(.deadLetter(id: item.id, attempts: item.attempts, reason: reason, at: Date()))
        var event = AuditEvent(.deadLettered)
        event.envelope = item.envelope.id.rawValue
        event.adapter = item.adapter
        event.reason = "policy-changed"
        event.detail = "the policy in force (\(gate.revision)) no longer allows this delivery"
        events.append(event)
        self.metrics.deadLettered(item.adapter)
        return nil
    }

    /// For a room whose protocol names its occupants, each person in it now is decided (audited as a
    /// `decided` record naming the room and the person); the line goes in only if every one is allowed, and
    /// the adapter sends it only while the room holds no one else. Occupants whose real address the room
    /// hides are unknown parties and are denied. - Returns: the people cleared, or nil where the protocol
    /// does not name them (the audience routes.toml declares was decided at routing).
    private func roomAudience(
        for target: Delivery.Target, item: OutboxItem, routing: Routing, events: inout [AuditEvent]
    ) async throws(DeliveryFailure) -> Set<Address>? {
        guard case .room(let room, let channel) = target else { return nil }
        switch await self.adapter.roomAudience(channel: channel) {
        case .undisclosed:
            return nil
        case .unknown(let why):
            throw .transient("room-roster-unknown", why)
        case .people(let people, let hidden):
            let planner = self.planner(routing)
            var denied: [String] = []
            for person in people {
                let decision = planner.decideDirect(item.envelope, to: person)
                events.append(.decided(item.envelope, to: [person.description], room: room, adapter: item.adapter, decision: decision, recovered: false))
                if !decision.isAllowed { denied.append(person.description) }
            }
            // No policy can apply to someone whose org is unknown: a hidden occupant keeps the line out.
            denied += hidden.map { nick in "\(channel)/\(nick) (the room hides who this is)" }
            guard denied.isEmpty else {
                self.metrics.denied(item.envelope.origin.adapter)
                throw .permanent("room-audience-denied", "the policy does not allow this line to reach \(denied.joined(separator: ", "))")
            }
            return Set(people)
        }
    }

    private func planner(_ routing: Routing) -> RoutingPlanner {
        RoutingPlanner(routing: routing, deliverable: self.deliverable, recovered: false, presenceCarriers: self.presenceCarriers)
    }

    /// Retry with backoff, or dead-letter when the failure is permanent or the item is too old or tried too often.
    func settlement(for error: DeliveryFailure, item: OutboxItem, attempt: Int, now: Date) -> Settlement {
        let tooOld = now.timeIntervalSince(item.createdAt) >= Double(self.settings.maxAgeSeconds)
        if error.waitsForOperator, !tooOld {
            // Not the item's fault: it keeps its attempts and waits the longest backoff for the fix.
            return .retry(
                id: item.id, attempts: item.attempts, nextAttempt: now.addingTimeInterval(Double(self.settings.maxBackoffSeconds)),
                error: "\(error.code): \(error.detail)"
            )
        }
        if error.isPermanent || attempt >= self.settings.maxAttempts || tooOld {
            let why = error.isPermanent ? error.code : (tooOld ? "max-age" : "max-attempts")
            return .deadLetter(id: item.id, attempts: attempt, reason: "\(why): \(error.detail)", at: now)
        }
        return .retry(
            id: item.id, attempts: attempt, nextAttempt: now.addingTimeInterval(Self.backoff(attempt: attempt, self.settings)),
            error: "\(error.code): \(error.detail)"
        )
    }

    /// Exponential backoff with "equal jitter": half the delay fixed, half random, capped.
    static func backoff(attempt: Int, _ settings: DeliverySettings, random: Double = Double.random(in: 0...1)) -> Double {
        let initial = Double(settings.initialBackoffMilliseconds) / 1000
        let exponential = initial * pow(2, Double(min(attempt - 1, 30)))
        let capped = min(exponential, Double(settings.maxBackoffSeconds))
        return capped / 2 + capped / 2 * random
    }

    /// Delivers until stopped (after the batch in progress: in-flight posts finish within their timeout) or
    /// cancelled.
    func run(until stop: StopSignal) async {
        while !Task.isCancelled, !stop.isStopping {
            do {
                if try await self.deliverBatch() > 0 { continue }
                let wait: Duration
                if let next = try await self.store.nextDue(adapter: self.adapter.name) {
                    wait = .milliseconds(Int64(max(10, min(1000, next.timeIntervalSinceNow * 1000))))
                } else {
                    wait = .seconds(1)
                }
                await self.bell.wait(timeout: wait)
            } catch is CancellationError {
                return
            } catch {
                self.logger.error("delivery loop failed; retrying", metadata: ["adapter": "\(self.adapter.name)", "error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
