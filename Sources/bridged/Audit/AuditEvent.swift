import Logging
import BridgeModel
import Crypto
import Foundation
import PolicyGate

enum AuditEventType: String, Sendable, Hashable, Codable {
    case started
    case stopped
    case configLoaded = "config-loaded"
    case configRejected = "config-rejected"
    case rejected
    case accepted
    case decided
    case delivered
    case retried
    case deadLettered = "dead-lettered"
    case replayed
    /// A reviewer released a held delivery (`bridged quarantine release`).
    case quarantineReleased = "quarantine-released"
    /// A reviewer rejected a held delivery (`bridged quarantine reject`).
    case quarantineRejected = "quarantine-rejected"
    /// A cleared delivery's content was changed by redact or annotate rules before it was enqueued.
    case transformed
    /// The key that signs checkpoints from this record on (written for a new log and when the key changed).
    case auditKey = "audit-key"
}

/// One audit record's content. The log adds `seq`, `at` and `prev` and chains it; nil fields are omitted.
/// Key names are the documented record format (docs/audit.md): do not rename them.
struct AuditEvent: Encodable, Sendable, Hashable {
    struct Decision: Encodable, Sendable, Hashable {
        /// What rules in audit-only mode would have decided instead.
        struct Would: Encodable, Sendable, Hashable {
            var effect: String
            var rules: [String]
        }

        var effect: String
        var rules: [String]
        var revision: String
        var reason: String
        var would: Would?
        /// True when the deciding rule is silent: the sender is told nothing.
        var silent: Bool? = nil
        /// The redact and annotate rules that apply to what goes through.
        var transforms: [String]? = nil
    }

    var event: AuditEventType
    var seq: Int64?
    var at: String?
    var prev: String?
    var envelope: String?
    var origin_adapter: String?
    var native_id: String?
    var kind: String?
    var from: String?
    var to: [String]?
    var room: String?
    var adapter: String?
    var decision: Decision?
    var attempt: Int?
    var reason: String?
    var detail: String?
    var config_revision: String?
    var subject_sha256: String?
    var body_sha256: String?
    var subject: String?
    var body: String?
    var received_at: String?
    var recovered: Bool?
    /// For an aggregated `rejected` record: how many refusals of that kind it stands for.
    var count: Int?
    /// A decision made again at delivery because the policy changed since the item was cleared (or it was
    /// replayed from the dead letters).
    var redecided: Bool?
    /// For a reviewer's action: the held delivery's id (`bridged quarantine list`), the quarantine rules that
    /// held it, and who acted.
    var held: Int64?
    var held_rules: [String]?
    var `operator`: String?
    /// On a `transformed` record: each masked span (by rule, field, what found it and the SHA-256 of what it
    /// covered, never the text), the annotate rules applied, and the digest of the content enqueued.
    var redacted: [Redacted]?
    var annotated: [String]?
    /// On the `decided` record of a journal copy (`to` is the journal destination).
    var journal: Bool?
    var content_sha256: String?
    /// On an `audit-key` record: the checkpoint key in force from here on (base64 raw Ed25519 public key,
    /// its key id, its C2SP verifier key), and the key id it replaces.
    var public_key: String?
    var key_id: String?
    var verifier_key: String?
    var previous_key_id: String?

    struct Redacted: Encodable, Sendable, Hashable {
        var rule: String
        var field: String
        var found: String
        var sha256: String
    }

    init(_ event: AuditEventType) { self.event = event }

    /// The envelope's metadata, plus content as far as the configured mode keeps it.
    init(_ event: AuditEventType, envelope: Envelope, content: AuditContent) {
        self.event = event
        self.envelope = envelope.id.rawValue
        self.origin_adapter = envelope.origin.adapter
        self.native_id = envelope.origin.nativeID
        self.kind = envelope.kind.rawValue
        self.from = envelope.sender.address.description
        self.to = envelope.recipients.isEmpty ? nil : envelope.recipients.map(\.description)
        self.room = envelope.conversation.map { "\($0.adapter):\($0.channel)" }
        self.received_at = Timestamp.format(envelope.receivedAt)
        switch content {
        case .metadata:
            break
        case .hashes:
            self.subject_sha256 = envelope.subject.map(Self.sha256)
            self.body_sha256 = Self.sha256(envelope.body)
        case .full:
            self.subject = envelope.subject
            self.body = envelope.body
        }
    }

    /// A decision record for one destination: the decision, its rules and the policy revision.
    static func decided(
        _ envelope: Envelope,
        to: [String]?,
        room: String?,
        adapter: String?,
        decision: PolicyDecision,
        recovered: Bool
    ) -> AuditEvent {
        var event = AuditEvent(.decided)
        event.envelope = envelope.id.rawValue
        event.kind = envelope.kind.rawValue
        event.from = envelope.sender.address.description
        event.to = to
        event.room = room
        event.adapter = adapter
        event.decision = Decision(
            effect: decision.effect.rawValue, rules: decision.ruleIDs, revision: decision.revision,
            reason: decision.reason,
            would: decision.wouldBe.map { Decision.Would(effect: $0.effect.rawValue, rules: $0.ruleIDs) },
            silent: decision.notice == .silent ? true : nil,
            transforms: decision.transforms.isEmpty ? nil : decision.transforms
        )
        if recovered { event.recovered = true }
        return event
    }

    static func sha256(_ text: String) -> String {
        SHA256.hash(data: Array(text.utf8)).hexString
    }
}

extension Digest {
    var hexString: String { HexText.lowercase(self) }
}
