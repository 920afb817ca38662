public import BridgeModel
import Foundation

/// bridged's own webhook format (`dialect = "generic"`), documented in docs/webhooks.md.
///
/// Inbound (chat system -> bridged), `POST /hooks/<adapter>`:
///
///     {"event_id": "evt-1", "from": "bob@globex.test", "from_name": "Bob",
///      "to": ["alice@acme.test"], "text": "hello"}
///
/// or, into a bridged room, `"channel": "partners"` instead of `"to"`. Optional: `kind` (`message`, the
/// default), `thread`, `in_reply_to`, `subject`, `html`, `hops`. Outbound (bridged -> chat system) posts
/// the same shape with `event_id` set to the delivery key and `envelope_id`, `room`, `sent_at` added.
public struct GenericDialect: WebhookDialect {
    struct Inbound: Decodable {
        var event_id: String
        var kind: String?
        var from: String
        var from_name: String?
        var to: [String]?
        var channel: String?
        var thread: String?
        var in_reply_to: String?
        var subject: String?
        var text: String
        var html: String?
        var hops: [String]?
    }

    struct Outbound: Encodable {
        var event_id: String
        var envelope_id: String
        var kind: String
        var from: String
        var from_name: String?
        var to: [String]?
        var room: String?
        var channel: String?
        var thread: String?
        var in_reply_to: String?
        var subject: String?
        var text: String
        var html: String?
        var hops: [String]
        var sent_at: String
    }

    /// Kinds a chat system may post through this dialect today.
    static let inboundKinds: Set<EnvelopeKind> = [.message, .edit, .retraction]

    public init() {}

    public func decode(body: [UInt8], adapter: String, receivedAt: Date) throws(WebhookError) -> Envelope {
        let inbound: Inbound
        do {
            inbound = try JSONDecoder().decode(Inbound.self, from: Data(body))
        } catch let DecodingError.keyNotFound(key, _) {
            throw WebhookError(.malformedJSON, detail: "required field \(key.stringValue) is missing")
        } catch let DecodingError.typeMismatch(_, context) {
            throw WebhookError(.malformedJSON, detail: "field \(context.codingPath.map(\.stringValue).joined(separator: ".")) has the wrong type")
        } catch {
            throw WebhookError(.malformedJSON)
        }
        guard let eventID = try FieldCheck.singleLine(inbound.event_id, field: "event_id", maxBytes: 200), !eventID.isEmpty
        else {
            throw WebhookError(.invalidField("event_id"), detail: "must not be empty")
        }
        let kind = EnvelopeKind(rawValue: inbound.kind ?? "message")
        guard let kind, Self.inboundKinds.contains(kind) else { throw WebhookError(.unsupportedKind(inbound.kind ?? "")) }
        let sender: Address
        do {
            sender = try Address(parsing: inbound.from)
        } catch {
            throw WebhookError(.invalidField("from"), detail: error.description)
        }
        var recipients: [Address] = []
        for (index, text) in (inbound.to ?? []).enumerated() {
            do {
                recipients.append(try Address(parsing: text))
            } catch {
                throw WebhookError(.invalidField("to[\(index)]"), detail: error.description)
            }
        }
        let channel = try FieldCheck.singleLine(inbound.channel, field: "channel", maxBytes: 200)
        switch (recipients.isEmpty, channel) {
        case (true, nil): throw WebhookError(.invalidField("to"), detail: "give recipients in to, or a channel")
        case (false, .some): throw WebhookError(.invalidField("channel"), detail: "give either to or channel, not both")
        default: break
        }
        if recipients.count > 100 { throw WebhookError(.invalidField("to"), detail: "at most 100 recipients") }
        let hops = try (inbound.hops ?? []).enumerated().map { (index, hop) throws(WebhookError) in
            try FieldCheck.singleLine(hop, field: "hops[\(index)]", maxBytes: 200) ?? ""
        }
        return Envelope(
            origin: Origin(adapter: adapter, nativeID: eventID),
            kind: kind,
            sender: Participant(address: sender, displayName: try FieldCheck.singleLine(inbound.from_name, field: "from_name", maxBytes: 200)),
            recipients: recipients,
            conversation: channel.map { ConversationRef(adapter: adapter, channel: $0) },
            thread: try FieldCheck.singleLine(inbound.thread, field: "thread", maxBytes: 200),
            inReplyTo: try FieldCheck.singleLine(inbound.in_reply_to, field: "in_reply_to", maxBytes: 200),
            subject: try FieldCheck.singleLine(inbound.subject, field: "subject"),
            body: try FieldCheck.body(inbound.text, field: "text"),
            rich: try inbound.html.map { (html) throws(WebhookError) in RichBody(format: .html, text: try FieldCheck.body(html, field: "html")) },
            hops: hops + [adapter],
            receivedAt: receivedAt
        )
    }

    public func encode(_ delivery: Delivery) throws(DeliveryFailure) -> [UInt8] {
        let envelope = delivery.envelope
        var outbound = Outbound(
            event_id: delivery.deliveryKey,
            envelope_id: envelope.id.rawValue,
            kind: envelope.kind.rawValue,
            from: envelope.sender.address.description,
            from_name: envelope.sender.displayName,
            thread: envelope.thread,
            // The id this chat system knows the referenced item by (its own event id, or the one we posted it with).
            in_reply_to: envelope.reference?.nativeID(at: delivery.adapter) ?? envelope.inReplyTo,
            subject: envelope.subject,
            text: envelope.body,
            html: envelope.rich?.format == .html ? envelope.rich?.text : nil,
            hops: envelope.hops + [delivery.adapter],
            sent_at: Timestamp.format(Date())
        )
        switch delivery.target {
        case .direct(let recipients): outbound.to = recipients.map(\.description)
        case .room(let room, let channel):
            outbound.room = room
            outbound.channel = channel
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(outbound))
        } catch {
            throw .permanent("encode-failed", "the delivery could not be encoded as JSON")
        }
    }
}
