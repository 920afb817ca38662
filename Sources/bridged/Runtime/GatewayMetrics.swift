import PolicyGate
import Logging
import Prometheus

/// The daemon's Prometheus metrics. Labels are adapter names and payload-free reason codes only, never
/// addresses, so cardinality stays bounded.
final class GatewayMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()

    func received(_ adapter: String) { self.counter("bridged_messages_in_total", adapter).increment() }
    func duplicate(_ adapter: String) { self.counter("bridged_messages_duplicate_total", adapter).increment() }
    func delivered(_ adapter: String) { self.counter("bridged_messages_out_total", adapter).increment() }
    func denied(_ adapter: String) { self.counter("bridged_messages_denied_total", adapter).increment() }
    func held(_ adapter: String) { self.counter("bridged_deliveries_held_total", adapter).increment() }
    func retried(_ adapter: String) { self.counter("bridged_deliveries_retried_total", adapter).increment() }
    func deadLettered(_ adapter: String) { self.counter("bridged_dead_letters_total", adapter).increment() }

    func rejected(_ adapter: String, reason: String) {
        self.registry.makeCounter(
            name: "bridged_inbound_rejected_total", labels: [("adapter", adapter), ("reason", reason)],
            help: "Inbound items refused at the edge"
        ).increment()
    }

    func queueDepth(_ adapter: String, _ depth: Int) {
        self.registry.makeGauge(
            name: "bridged_queue_depth", labels: [("adapter", adapter)], help: "Deliveries waiting in the outbox"
        ).set(Double(depth))
    }

    /// 1 while the adapter's own side needs an operator or its destination is in an outage, else 0.
    func adapterFailing(_ adapter: String, _ failing: Bool) {
        self.registry.makeGauge(
            name: "bridged_adapter_failing", labels: [("adapter", adapter)],
            help: "1 while the adapter cannot work (its account is refused, or every delivery fails)"
        ).set(Double(failing ? 1 : 0))
    }

    func inboxDepth(_ depth: Int) {
        self.registry.makeGauge(name: "bridged_inbox_depth", help: "Accepted envelopes not yet routed").set(Double(depth))
    }

    func exposition() -> String { self.registry.emitToString() }

    private func counter(_ name: String, _ adapter: String) -> Counter {
        self.registry.makeCounter(name: name, labels: [("adapter", adapter)], help: Self.help[name] ?? name)
    }

    private static let help = [
        "bridged_messages_in_total": "Envelopes durably accepted from an adapter",
        "bridged_messages_duplicate_total": "Redelivered inbound items recognized by their idempotency key",
        "bridged_messages_out_total": "Deliveries completed through an adapter",
        "bridged_messages_denied_total": "Policy denials, by the adapter the envelope came from",
        "bridged_deliveries_held_total": "Deliveries a quarantine rule held for review, by destination adapter",
        "bridged_deliveries_retried_total": "Failed deliveries scheduled for another attempt",
        "bridged_dead_letters_total": "Deliveries given up and moved to the dead-letter list",
    ]
}
