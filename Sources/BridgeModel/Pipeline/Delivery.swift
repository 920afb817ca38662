/// One routed item handed to an outbound adapter: an envelope the policy gate allowed, and where to.
///
/// Only the delivery worker builds deliveries, from an outbox row whose clearance the gate in force has
/// just confirmed. The initializer is in the `DeliveryWorker` SPI: a module can call it only by writing
/// `@_spi(DeliveryWorker) import BridgeModel`, which the executable's delivery worker does and a test
/// forbids everywhere else under `Sources/`. The envelope carries only what was cleared for this
/// destination: its recipients are the cleared ones (none for a room).
public struct Delivery: Hashable, Sendable {
    public enum Target: Hashable, Sendable, Codable {
        /// Direct delivery to these addresses (all reached through this adapter).
        case direct([Address])
        /// Into a bridged room, as this adapter names it.
        case room(room: String, channel: String)
    }

    /// The outbox sequence number: stable across retries and restarts.
    public let id: Int64
    public let envelope: Envelope
    public let adapter: String
    public let target: Target
    /// 1 for the first try.
    public let attempt: Int
    /// For a room whose protocol names its occupants: the people the gate allowed this line to reach. The
    /// adapter sends only while everyone in the room is one of them.
    public let audience: Set<Address>?

    @_spi(DeliveryWorker)
    public init(id: Int64, envelope: Envelope, adapter: String, target: Target, attempt: Int, audience: Set<Address>? = nil) {
        self.id = id
        var envelope = envelope
        switch target {
        case .direct(let recipients): envelope.recipients = recipients
        case .room: envelope.recipients = []
        }
        self.envelope = envelope
        self.adapter = adapter
        self.target = target
        self.attempt = attempt
        self.audience = audience
    }

    /// A stable id for this delivery that a destination can deduplicate on (a journal copy has its own).
    public var deliveryKey: String {
        "\(self.envelope.id.rawValue).\(self.adapter)" + (self.envelope.labels.contains(EnvelopeLabel.journalCopy) ? ".journal" : "")
    }
}

/// Why a delivery failed. Transient failures are retried with backoff; permanent ones are dead-lettered.
public struct DeliveryFailure: Error, Hashable, Sendable, CustomStringConvertible {
    public var isPermanent: Bool
    /// Payload-free code for metrics and audit, for example `http-503` or `connect-failed`.
    public var code: String
    /// Operator-facing detail; never message content or secrets.
    public var detail: String
    /// The adapter's own account is failing (a rotated password, say): nothing is wrong with the item,
    /// which waits for an operator's fix instead of using up its attempts.
    public var waitsForOperator = false

    public static func transient(_ code: String, _ detail: String) -> DeliveryFailure {
        DeliveryFailure(isPermanent: false, code: code, detail: detail)
    }

    /// The adapter cannot deliver anything until an operator fixes its account; retried slowly, and the
    /// attempts do not count towards `max_attempts` (`max_age_seconds` still applies).
    public static func accountFailing(_ code: String, _ detail: String) -> DeliveryFailure {
        DeliveryFailure(isPermanent: false, code: code, detail: detail, waitsForOperator: true)
    }

    public static func permanent(_ code: String, _ detail: String) -> DeliveryFailure {
        DeliveryFailure(isPermanent: true, code: code, detail: detail)
    }

    public var description: String { "\(self.isPermanent ? "permanent" : "transient") \(self.code): \(self.detail)" }
}

/// What an adapter reports after a successful delivery.
public struct DeliveryReceipt: Hashable, Sendable {
    /// The id the destination gave the item (for the id map), when it gave one.
    public var nativeID: String?

    public init(nativeID: String? = nil) { self.nativeID = nativeID }
}
