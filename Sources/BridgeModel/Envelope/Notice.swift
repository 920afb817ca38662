/// What a ``EnvelopeKind/notice`` envelope tells a sender about their own item.
///
/// Notices are written by the gateway, never by an adapter or a person: the router and the delivery worker
/// create them when the gate denies a recipient or a delivery is given up, and they travel like any other
/// envelope (gate, outbox, retries, audit). Their text is written for the sender: it names who the item
/// will not reach and why in plain words, never a remote server's reply, the list of orgs the gateway
/// federates with, or rule internals.
public struct Notice: Hashable, Sendable, Codable {
    public enum Reason: String, Hashable, Sendable, Codable, CaseIterable {
        /// The gate denied it when it was routed.
        case denied
        /// The policy changed while it was queued (or before a replay) and no longer allows it.
        case policyChanged = "policy-changed"
        /// The destination refused it for good.
        case refused
        /// Delivery was given up after repeated attempts or too long a wait.
        case gaveUp = "gave-up"
        /// The recipient's system cannot carry this kind of item (a subscription to a chat contact).
        case unreachable
        /// A quarantine rule holds it for review: it is delivered only if a reviewer releases it.
        case held
        /// A reviewer rejected the held item: it is never delivered.
        case rejected
    }

    public var reason: Reason
    /// The people the original item will not reach.
    public var about: [Address]
    /// The original item: its envelope, kind and where it came from, so the sender's own adapter can answer
    /// it in its protocol's terms (an XMPP stanza error to the stanza id, an email `In-Reply-To`).
    public var original: MessageReference
    public var originalKind: EnvelopeKind
    public var originalSubject: String?
    /// The operator's words from the rule that denied it (`notice_text`), said in place of the gateway's
    /// own reason.
    public var explanation: String?

    public init(
        reason: Reason, about: [Address], original: MessageReference, originalKind: EnvelopeKind,
        originalSubject: String? = nil, explanation: String? = nil
    ) {
        self.explanation = explanation
        self.reason = reason
        self.about = about
        self.original = original
        self.originalKind = originalKind
        self.originalSubject = originalSubject
    }

    /// The sentence the sender reads.
    public var text: String {
        let what = switch self.originalKind {
        case .subscription: "Your contact request"
        case .presence: "Your presence"
        case .edit: "Your correction"
        case .retraction: "Your retraction"
        default: "Your message"
        }
        let whom = self.about.map(\.description).joined(separator: ", ")
        if self.reason == .held {
            return "\(what) to \(whom) is held for review and is delivered only if a reviewer releases it"
                + (self.explanation.map { ": \($0)" } ?? ".")
        }
        if let explanation = self.explanation {
            return "\(what) to \(whom) was not delivered: \(explanation)"
        }
        let why = switch self.reason {
        case .denied: "the gateway's policy does not allow it"
        case .policyChanged: "the gateway's policy changed before it could be delivered and no longer allows it"
        case .refused: "the recipient's system did not accept it"
        case .gaveUp: "the gateway could not reach the recipient's system and gave up"
        case .unreachable: "the recipient's system cannot receive this kind of item"
        case .held: "it is held for review"
        case .rejected: "a reviewer did not release it"
        }
        return "\(what) to \(whom) was not delivered: \(why)."
    }

    /// The notice envelope for `envelope`'s sender. Its origin is the original's adapter (the only adapter
    /// that may carry it) with a native id unique to the original, the reason and `discriminator`, so
    /// writing the same notice twice after a crash stores it once.
    public static func envelope(
        about envelope: Envelope, recipients: [Address], reason: Reason, discriminator: String, explanation: String? = nil
    ) -> Envelope {
        let notice = Notice(
            reason: reason, about: recipients,
            original: MessageReference(envelope: envelope.id, origin: envelope.origin),
            originalKind: envelope.kind, originalSubject: envelope.subject, explanation: explanation
        )
        var labels: Set<String> = []
        if envelope.labels.contains(EnvelopeLabel.unauthenticated) { labels.insert(EnvelopeLabel.unauthenticated) }
        var result = Envelope(
            origin: Origin(
                adapter: envelope.origin.adapter,
                nativeID: "bridged-notice:\(envelope.id.rawValue):\(reason.rawValue):\(discriminator)"
            ),
            kind: .notice,
            sender: GatewayIdentity.participant,
            recipients: [envelope.sender.address],
            thread: envelope.thread,
            inReplyTo: envelope.origin.nativeID,
            subject: envelope.subject.map { (reason == .held ? "Held for review: " : "Not delivered: ") + $0 },
            body: notice.text,
            labels: labels
        )
        result.reference = notice.original
        result.notice = notice
        return result
    }
}
