public import BridgeModel
import Foundation
import Logging

extension WebhookAdapter {
    /// Tells the chat user who sent `envelope` that it will not reach `recipients`: a signed `notice` post
    /// (kind `notice`, to the sender, `in_reply_to` the original event) to this adapter's `deliver_url`, so
    /// the chat system can show it in the user's conversation. Inbound-only adapters cannot answer.
    ///
    /// The notice stays inside the sender's own org and is about their own message, so it does not pass the
    /// gate again. It is sent once; if the chat system is down at that moment, the audit record is the trace.
    public func notDelivered(_ envelope: Envelope, to recipients: [Address], because: NonDelivery) async {
        guard self.canDeliver, envelope.kind != .notice, let about = recipients.first else { return }
        let why = switch because {
        case .denied(let reason): "the gateway's policy does not allow it: \(reason)"
        case .failed(let reason): "delivery was given up: \(reason)"
        }
        let notice = Envelope(
            origin: Origin(adapter: self.name, nativeID: "notice:\(envelope.id.rawValue)"),
            kind: .notice,
            sender: Participant(address: about, displayName: "bridged"),
            recipients: [envelope.sender.address],
            thread: envelope.thread,
            inReplyTo: envelope.origin.nativeID,
            body: "Your message to \(recipients.map(\.description).joined(separator: ", ")) was not delivered: \(why).",
            hops: [self.name]
        )
        do {
            _ = try await self.deliver(
                Delivery(id: 0, envelope: notice, adapter: self.name, target: .direct([envelope.sender.address]), attempt: 1)
            )
        } catch {
            self.logger.notice("could not post a non-delivery notice", metadata: ["error": "\(error)"])
        }
    }
}
