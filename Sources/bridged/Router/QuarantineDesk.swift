import BridgeModel
import Foundation
import Logging
import PolicyGate

/// Where a reviewer releases or rejects a held delivery (`bridged quarantine`, through the admin listener).
///
/// A release is decided again by the gate in force, overriding only the quarantine rules that held the item:
/// a deny or a barrier still stops it, and a quarantine rule that did not hold it (a newer one) holds it
/// again. Every action is an audit record naming the operator, written before the store changes; actions
/// run one at a time, so one held item is never released twice.
actor QuarantineDesk {
    struct Outcome: Sendable {
        var id: Int64
        /// Recipients (or the room) the release cleared.
        var delivering: [String] = []
        /// Rules that hold (part of) it again under the policy in force; the item stays in the quarantine.
        var heldAgainBy: [String] = []
        /// Decisions that now deny it, as "recipient: rules".
        var denied: [String] = []
    }

    enum Failure: Error, CustomStringConvertible {
        case notFound(Int64)

        var description: String {
            switch self {
            case .notFound(let id): "no held item \(id)"
            }
        }
    }

    let store: any GatewayStore
    let audit: AuditLog
    let runtime: RuntimeConfig
    let deliverable: Set<String>
    let presenceCarriers: Set<String>
    let metrics: GatewayMetrics
    let inboxBell: Doorbell
    let outboxBells: [String: Doorbell]

    init(
        store: any GatewayStore, audit: AuditLog, runtime: RuntimeConfig, deliverable: Set<String>, presenceCarriers: Set<String>,
        metrics: GatewayMetrics, inboxBell: Doorbell, outboxBells: [String: Doorbell]
    ) {
        self.store = store
        self.audit = audit
        self.runtime = runtime
        self.deliverable = deliverable
        self.presenceCarriers = presenceCarriers
        self.metrics = metrics
        self.inboxBell = inboxBell
        self.outboxBells = outboxBells
    }

    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    /// Runs `body` after every action before it has finished (an actor alone would interleave at awaits).
    private func serially<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        if self.busy {
            await withCheckedContinuation { self.waiting.append($0) }
        }
        self.busy = true
        defer {
            if self.waiting.isEmpty { self.busy = false } else { self.waiting.removeFirst().resume() }
        }
        return try await body()
    }

    func release(_ id: Int64, operator name: String, reason: String?) async throws -> Outcome {
        try await self.serially {
            guard let item = try await self.store.heldItem(id: id) else { throw Failure.notFound(id) }
            while true {
                let routing = await self.runtime.routing
                var planner = RoutingPlanner(
                    routing: routing, deliverable: self.deliverable, recovered: false, presenceCarriers: self.presenceCarriers
                )
                planner.releasing = Set(item.entry.rules)
                let queued = OutboxItem(
                    id: item.id, envelope: item.entry.envelope, adapter: item.entry.adapter, target: item.entry.target,
                    conversation: item.entry.conversation, attempts: 0, createdAt: item.heldAt
                )
                let redecision = planner.redecide(queued, deniedReason: .denied, discriminator: "release-\(id)")
                var outcome = Outcome(id: id)
                var remaining: HeldEntry? = nil
                if var again = redecision.held {
                    outcome.heldAgainBy = again.rules.filter { !item.entry.rules.contains($0) }
                    // The row keeps every rule a reviewer has now seen, so the next release overrides them too.
                    again.rules = item.entry.rules + outcome.heldAgainBy
                    remaining = again
                }
                for event in redecision.events where event.decision?.effect == PolicyDecision.Effect.deny.rawValue {
                    outcome.denied.append("\((event.to ?? [event.room ?? "room"]).joined(separator: ", ")): \(event.decision?.rules.joined(separator: ", ") ?? "")")
                }
                let entry = redecision.clearance.map {
                    OutboxEntry(clearance: $0, conversation: item.entry.conversation, released: item.entry.rules)
                }
                // (`redecide` already recorded a `transformed` record for a release whose content the gate changed.)
                if let clearance = redecision.clearance {
                    outcome.delivering = switch clearance.target {
                    case .direct(let recipients): recipients.map(\.description)
                    case .room(let room, _): ["room \(room)"]
                    }
                }
                var event = self.record(.quarantineReleased, item, operator: name, reason: reason)
                event.detail = (reason.map { "\($0); " } ?? "")
                    + (outcome.delivering.isEmpty ? "nothing cleared" : "cleared for \(outcome.delivering.joined(separator: ", "))")
                    + (outcome.heldAgainBy.isEmpty ? "" : "; held again by \(outcome.heldAgainBy.joined(separator: ", "))")
                let index: [AuditIndexEntry]
                do {
                    index = try await self.audit.append([event] + redecision.events, decidedUnder: routing.configRevision)
                } catch is AuditLog.StaleRevision {
                    // A reload recorded a newer revision after this decision read the old one: decide again.
                    try await Task.sleep(for: .milliseconds(1))
                    continue
                }
                let resolved = try await self.resolve(
                    id, release: entry, remaining: remaining, notices: redecision.notices, index: index
                )
                guard resolved else { throw Failure.notFound(id) }
                for _ in 0..<redecision.denied { self.metrics.denied(item.entry.envelope.origin.adapter) }
                if entry != nil { await self.outboxBells[item.entry.adapter]?.ring() }
                if !redecision.notices.isEmpty { await self.inboxBell.ring() }
                return outcome
            }
        }
    }

    func reject(_ id: Int64, operator name: String, reason: String?) async throws -> Outcome {
        try await self.serially {
            guard let item = try await self.store.heldItem(id: id) else { throw Failure.notFound(id) }
            let routing = await self.runtime.routing
            let planner = RoutingPlanner(
                routing: routing, deliverable: self.deliverable, recovered: false, presenceCarriers: self.presenceCarriers
            )
            var notices: [Envelope] = []
            if case .direct(let recipients) = item.entry.target, item.entry.notice != .silent {
                let explanation: String? = if case .text(let text) = item.entry.notice { text } else { nil }
                // The reviewer's reason is for the audit log; the sender reads the rule's own words, if any.
                if let notice = planner.notice(about: item.entry.envelope, recipients, .rejected, "reject-\(id)", explanation: explanation) {
                    notices.append(notice)
                }
            }
            var event = self.record(.quarantineRejected, item, operator: name, reason: reason)
            event.detail = reason
            let index = try await self.audit.append([event])
            let resolved = try await self.resolve(id, release: nil, remaining: nil, notices: notices, index: index)
            guard resolved else { throw Failure.notFound(id) }
            if !notices.isEmpty { await self.inboxBell.ring() }
            return Outcome(id: id)
        }
    }

    /// The store change after its audit records; if it fails, the records are indexed on their own.
    private func resolve(
        _ id: Int64, release: OutboxEntry?, remaining: HeldEntry?, notices: [Envelope], index: [AuditIndexEntry]
    ) async throws -> Bool {
        do {
            return try await self.store.resolveHold(id, release: release, remaining: remaining, notices: notices, index: index)
        } catch {
            try? await self.store.insertIndex(index)
            throw error
        }
    }

    private func record(_ type: AuditEventType, _ item: HeldItem, operator name: String, reason: String?) -> AuditEvent {
        var event = AuditEvent(type)
        event.envelope = item.entry.envelope.id.rawValue
        event.adapter = item.entry.adapter
        switch item.entry.target {
        case .direct(let recipients): event.to = recipients.map(\.description)
        case .room(let room, _): event.room = room
        }
        event.held = item.id
        event.held_rules = item.entry.rules
        event.operator = name
        return event
    }
}
