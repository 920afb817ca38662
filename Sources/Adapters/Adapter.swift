public import BridgeModel
import Synchronization

/// One configured adapter instance.
///
/// An adapter sees two things only: the ``InboundSink`` it hands received items to, and the ``Delivery``
/// values the delivery workers give it. It never holds a reference to another adapter, the router or the
/// store, so nothing it receives can reach another protocol except through the inbox and the policy gate.
public protocol Adapter: Sendable {
    var name: String { get }
    /// The org this adapter speaks for; inbound senders must belong to it.
    var org: String { get }
    /// Whether ``deliver(_:)`` can be called (an inbound-only webhook cannot deliver).
    var canDeliver: Bool { get }
    /// Whether the protocol has presence and subscriptions; envelopes of those kinds go only to such adapters.
    var carriesPresence: Bool { get }

    /// Runs the adapter's own inbound loop until the task is cancelled. Adapters fed by the shared public
    /// listener (webhooks) or with no inbound side (spool) return immediately.
    func run(sink: any InboundSink) async throws

    /// Delivers one routed item. Envelopes of kind ``EnvelopeKind/notice`` are the gateway's answers to a
    /// sender of this adapter about their own item; each protocol renders them in its own terms (an
    /// adapter that cannot answer a sender throws a permanent failure).
    /// - Throws: ``DeliveryFailure``: transient ones are retried with backoff, permanent ones dead-lettered.
    func deliver(_ delivery: Delivery) async throws(DeliveryFailure) -> DeliveryReceipt

    /// Delivers a window of items in the order given, with one outcome per item, in the same order.
    /// Items of one conversation reach the destination in that order. A protocol that can confirm several
    /// items at once does so (the XMPP component writes them all, then one acknowledgement barrier); the
    /// default delivers one after another and stops at the first transient failure, answering
    /// ``DeliveryOutcome/notAttempted`` for the rest, which stay queued.
    func deliver(all deliveries: [Delivery]) async -> [DeliveryOutcome]

    /// Who a line delivered into `channel` would reach right now, so the delivery worker can have each
    /// person decided before the line goes in. A read-only question: it never sends anything.
    func roomAudience(channel: String) async -> RoomAudience

    /// What keeps the adapter's own inbound side from working now (wrong credentials, say), for `/healthz`
    /// and the `bridged_adapter_failing` gauge; nil while it works.
    func failing() async -> String?
}

extension Adapter {
    public var carriesPresence: Bool { false }

    /// Protocols that do not say who is in a channel: the audience routes.toml declares is decided.
    public func roomAudience(channel: String) async -> RoomAudience { .undisclosed }

    public func failing() async -> String? { nil }

    public func deliver(all deliveries: [Delivery]) async -> [DeliveryOutcome] {
        var outcomes: [DeliveryOutcome] = []
        outcomes.reserveCapacity(deliveries.count)
        var stopped = false
        for delivery in deliveries {
            if stopped {
                outcomes.append(.notAttempted)
                continue
            }
            do {
                outcomes.append(.delivered(try await self.deliver(delivery)))
            } catch {
                outcomes.append(.failed(error))
                stopped = !error.isPermanent
            }
        }
        return outcomes
    }
}

/// What became of one item of a window given to ``Adapter/deliver(all:)``.
public enum DeliveryOutcome: Sendable {
    case delivered(DeliveryReceipt)
    case failed(DeliveryFailure)
    /// Not tried (an earlier item failed transiently); the item stays queued as it was.
    case notAttempted
}

/// A failure of an adapter's own side that needs an operator, with when it started; shared between the
/// adapter's loop and whoever asks.
public final class AdapterFailure: Sendable {
    private let state = Mutex<String?>(nil)

    public init() {}

    public var current: String? { self.state.withLock { $0 } }

    public func set(_ description: String?) { self.state.withLock { $0 = description } }
}

/// Who is in a bridged channel, as the adapter's protocol tells it.
public enum RoomAudience: Hashable, Sendable {
    /// The protocol does not name the people in a channel (chat webhooks, spools).
    case undisclosed
    /// These people would receive a line now (their real addresses), plus occupants whose real address
    /// the room hides (named by their nick), who can be decided only as unknown parties.
    case people([Address], hidden: [String])
    /// The adapter cannot tell yet (the room's roster has not arrived): ask again later.
    case unknown(String)
}
