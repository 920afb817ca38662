import PolicyGate
import Adapters
import BridgeModel
import Foundation
import Logging

/// Drains one adapter's outbox: delivers the head of each conversation, audits the outcome, and retries
/// failures with exponential backoff and jitter until they succeed or are dead-lettered.
struct DeliveryWorker: Sendable {
    let adapter: any Adapter
    let store: any GatewayStore
    let audit: AuditLog
    let settings: DeliverySettings
    let metrics: GatewayMetrics
    let bell: Doorbell
    let logger: Logger
    /// Tells the origin adapter about a delivery given up, once that is audited and committed.
    var onDeadLettered: @Sendable (Envelope, [Address], NonDelivery) async -> Void = { _, _, _ in }
    var batchSize = 32

    /// Delivers one batch of due items. - Returns: how many were attempted.
    func deliverBatch(now: Date = Date()) async throws -> Int {
        let items = try await self.store.dueDeliveries(adapter: self.adapter.name, now: now, limit: self.batchSize)
        guard !items.isEmpty else { return 0 }
        let indexed = try await self.store.indexedEvents(envelopes: items.map(\.envelope.id))
        var events: [AuditEvent] = []
        var settlements: [Settlement] = []
        var attempted: [OutboxItem] = []
        var blocked: Set<String> = []
        for item in items where !blocked.contains(item.conversation) {
            let alreadyDelivered = (indexed[item.envelope.id] ?? []).contains {
                $0.event == .delivered && $0.adapter == item.adapter
            }
            if alreadyDelivered {
                // Delivered and audited before a crash, but not yet settled: settle without delivering again.
                settlements.append(.delivered(id: item.id))
                attempted.append(item)
                continue
            }
            let attempt = item.attempts + 1
            let delivery = Delivery(
                id: item.id, envelope: item.envelope, adapter: item.adapter, target: item.target, attempt: attempt
            )
            var event = AuditEvent(.delivered)
            event.envelope = item.envelope.id.rawValue
            event.adapter = item.adapter
            event.attempt = attempt
            if case .direct(let recipients) = item.target { event.to = recipients.map(\.description) }
            if case .room(let room, _) = item.target { event.room = room }
            do {
                let receipt = try await self.adapter.deliver(delivery)
                event.detail = receipt.nativeID.map { "native id \($0)" }
                settlements.append(.delivered(id: item.id, nativeID: receipt.nativeID))
                self.metrics.delivered(item.adapter)
            } catch {
                let settlement = self.settlement(for: error, item: item, attempt: attempt, now: Date())
                switch settlement {
                case .retry(_, _, let next, _):
                    event.event = .retried
                    event.detail = "\(error.detail); next attempt at \(Timestamp.format(next))"
                    self.metrics.retried(item.adapter)
                default:
                    event.event = .deadLettered
                    event.detail = error.detail
                    self.metrics.deadLettered(item.adapter)
                }
                event.reason = error.code
                settlements.append(settlement)
                if case .retry = settlement { blocked.insert(item.conversation) }
                self.logger.notice(
                    "delivery failed",
                    metadata: ["adapter": "\(item.adapter)", "delivery": "\(item.id)", "error": "\(error.code)", "attempt": "\(attempt)"]
                )
            }
            events.append(event)
            attempted.append(item)
        }
        let index = try await self.audit.append(events)
        try await self.store.indexingOnFailure(index) { try await self.store.settle(settlements, index: index) }
        for (item, settlement) in zip(attempted, settlements) {
            guard case .deadLetter(_, _, let reason, _) = settlement, case .direct(let recipients) = item.target else { continue }
            await self.onDeadLettered(item.envelope, recipients, .failed(reason))
        }
        return items.count
    }

    /// Retry with backoff, or dead-letter when the failure is permanent or the item is too old or tried too often.
    func settlement(for error: DeliveryFailure, item: OutboxItem, attempt: Int, now: Date) -> Settlement {
        let tooOld = now.timeIntervalSince(item.createdAt) >= Double(self.settings.maxAgeSeconds)
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
