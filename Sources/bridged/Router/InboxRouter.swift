import Adapters
import BridgeModel
import Foundation
import Logging
import PolicyGate

/// Takes accepted envelopes from the inbox, through the policy gate and the audit log, into the outbox.
///
/// For each batch: decide every envelope, append the `accepted` and `decided` records (fsynced), then in one
/// store transaction remove the envelopes from the inbox and enqueue what the gate cleared. A crash between
/// the two steps is recovered from the audit index: an `accepted` record is never written twice, and an
/// envelope decided again after a crash carries `"recovered": true`.
struct InboxRouter: Sendable {
    let store: any GatewayStore
    let audit: AuditLog
    let runtime: RuntimeConfig
    let deliverable: Set<String>
    /// Adapters that carry presence and subscriptions.
    var presenceCarriers: Set<String> = []
    let metrics: GatewayMetrics
    let inboxBell: Doorbell
    /// Rung per destination adapter when something was enqueued for it.
    let outboxBells: [String: Doorbell]
    let logger: Logger
    var batchSize = 64
    /// The gateway's rate limit buckets (nil: rate_limit rules never deny, as in `bench`).
    var rateLimiter: RateLimiter?

    /// Routes one batch. - Returns: how many envelopes were routed.
    func routeBatch() async throws -> Int {
        let envelopes = try await self.store.pendingInbox(limit: self.batchSize)
        guard !envelopes.isEmpty else { return 0 }
        let routing = await self.runtime.routing
        let content = routing.config.daemon.audit.content
        let indexed = try await self.store.indexedEvents(envelopes: envelopes.map(\.id))
        let originals = envelopes.compactMap { $0.kind == .edit || $0.kind == .retraction ? $0.reference?.envelope : nil }
        let delivered = try await self.store.deliveredAdapters(of: originals)
        var events: [AuditEvent] = []
        var plans: [(Envelope, RoutingPlanner.Plan)] = []
        for envelope in envelopes {
            let seen = Set((indexed[envelope.id] ?? []).map(\.event))
            if !seen.contains(.accepted) {
                events.append(AuditEvent(.accepted, envelope: envelope, content: content))
            }
            var planner = RoutingPlanner(
                routing: routing, deliverable: self.deliverable, recovered: seen.contains(.decided),
                presenceCarriers: self.presenceCarriers
            )
            planner.deliveredOriginals = delivered
            if let rateLimiter = self.rateLimiter { planner.rateLimits = RateLimitUse(rateLimiter) }
            let plan = planner.plan(envelope)
            events.append(contentsOf: plan.events)
            plans.append((envelope, plan))
        }
        let index: [AuditIndexEntry]
        do {
            index = try await self.audit.append(events, decidedUnder: routing.configRevision)
        } catch let stale as AuditLog.StaleRevision {
            // A reload recorded its revision after this batch read the old one; the swap follows at once.
            self.logger.debug("batch decided under a superseded config; deciding again", metadata: ["stale": "\(stale)"])
            await self.runtime.noteStaleBatch()
            try await Task.sleep(for: .milliseconds(1))
            return try await self.routeBatch()
        }
        let byEnvelope = Dictionary(grouping: index, by: { $0.envelopeID })
        try await self.store.indexingOnFailure(index) {
            try await self.store.commitRouting(
                plans.map { envelope, plan in
                    RoutingCommit(
                        envelopeID: envelope.id, entries: plan.entries, accepted: envelope, held: plan.held,
                        notices: plan.notices, index: byEnvelope[envelope.id] ?? []
                    )
                }
            )
        }
        var touched: Set<String> = []
        for (envelope, plan) in plans {
            for _ in 0..<plan.denied { self.metrics.denied(envelope.origin.adapter) }
            for held in plan.held { self.metrics.held(held.adapter) }
            for entry in plan.entries { touched.insert(entry.clearance.adapter) }
        }
        for adapter in touched { await self.outboxBells[adapter]?.ring() }
        // Notices were put into the inbox with the decisions; `run` routes the next batch at once.
        return envelopes.count
    }

    /// Routes until stopped (after the batch in progress) or cancelled, waking on new inbox commits and at
    /// least once a second.
    func run(until stop: StopSignal) async {
        while !Task.isCancelled, !stop.isStopping {
            do {
                let routed = try await self.routeBatch()
                if routed == 0 { await self.inboxBell.wait(timeout: .seconds(1)) }
            } catch is CancellationError {
                return
            } catch {
                // The inbox keeps the envelopes: nothing is lost, the batch is retried.
                self.logger.error("routing failed; retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
