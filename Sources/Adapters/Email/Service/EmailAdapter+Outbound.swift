public import BridgeModel
import Foundation
import Logging

extension EmailAdapter {
    /// Sends one delivery: one SMTP transaction per recipient, each continuing that recipient's thread with
    /// the sender. A recipient the server accepted is remembered under the delivery key, so a retry sends
    /// only to those still missing.
    public func deliver(_ delivery: Delivery) async throws(DeliveryFailure) -> DeliveryReceipt {
        guard let smtp = self.smtp else { throw .permanent("no-outbound", "this email adapter has no [smtp] section") }
        guard case .direct(let recipients) = delivery.target else {
            throw .permanent("rooms-not-supported", "bridged rooms are not carried by email")
        }
        let envelope = delivery.envelope
        var transient: [String] = []
        var permanent: [String] = []
        var sentIDs: [String] = []
        for recipient in recipients {
            let sentKey = "sent:\(delivery.deliveryKey):\(recipient)"
            do {
                if let id = try await self.state.loadState(adapter: self.name, key: sentKey) {
                    sentIDs.append(String(decoding: id, as: UTF8.self))
                    continue
                }
            } catch {
                throw .transient("state-unreadable", "the adapter state store could not be read")
            }
            let thread = EmailAddressing.thread(remote: envelope.sender.address, local: recipient)
            var state: EmailThreadState
            do {
                state = try await self.state.load(EmailThreadState.self, adapter: self.name, key: EmailThreadState.key(thread: thread))
                    ?? EmailThreadState(remote: envelope.sender.address, local: recipient)
            } catch {
                throw .transient("state-unreadable", "the thread state could not be read")
            }
            let email = try self.compose(delivery, to: recipient, thread: thread, state: state)
            let message = MIMEComposer.render(email)
            let result: SMTPSubmissionResult
            do {
                result = try await smtp.submit(message, envelope: SMTPEnvelope(mailFrom: self.bounceAddress, recipients: [recipient]))
            } catch {
                let detail = "\(recipient): \(error.shortDescription)" + (error.serverReply.map { " (\($0))" } ?? "")
                if error.isTransient { transient.append(detail) } else { permanent.append(detail) }
                continue
            }
            switch result.outcomes[recipient] {
            case .accepted?:
                state.append(messageID: email.messageID.value)
                state.subject = state.subject ?? envelope.subject
                do {
                    try await self.state.saveState(adapter: self.name, key: sentKey, value: Data(email.messageID.value.utf8))
                    try await self.state.save(state, adapter: self.name, key: EmailThreadState.key(thread: thread))
                } catch {
                    // The server has it; only the bookkeeping failed. A retry would send it again, so say so.
                    self.logger.error("sent, but could not record it; a retry may send a duplicate", metadata: ["error": "\(error)"])
                }
                sentIDs.append(email.messageID.value)
            case .transient(let reply)?: transient.append("\(recipient): \(reply)")
            case .permanent(let reply)?: permanent.append("\(recipient): \(reply)")
            case nil: transient.append("\(recipient): the server gave no answer for this recipient")
            }
        }
        if !transient.isEmpty { throw .transient("smtp-deferred", transient.joined(separator: "; ")) }
        if !permanent.isEmpty { throw .permanent("smtp-rejected", permanent.joined(separator: "; ")) }
        return DeliveryReceipt(nativeID: sentIDs.first)
    }

    func compose(_ delivery: Delivery, to recipient: Address, thread: String, state: EmailThreadState) throws(DeliveryFailure) -> OutboundEmail {
        let envelope = delivery.envelope
        let from: Address
        let replyTo: Address
        do {
            from = try self.addressing.mailbox(for: envelope.sender.address)
            replyTo = try self.addressing.replies.address(thread: thread, recipient: recipient)
        } catch {
            throw .permanent("address-unrepresentable", "the sender cannot be written as an address on \(self.addressing.mailDomain)")
        }
        guard let messageID = OutboundEmail.MessageID("\(delivery.deliveryKey).\(thread)@\(self.addressing.mailDomain)") else {
            throw .permanent("message-id", "no valid Message-ID for this delivery")
        }
        let name = envelope.sender.labelledName
        let subject = state.subject.map { $0.lowercased().hasPrefix("re:") ? $0 : "Re: \($0)" }
            ?? envelope.subject ?? "Message from \(name)"
        let body = envelope.kind == .edit ? "Correction:\n\n\(envelope.body)" : envelope.body
        return OutboundEmail(
            from: .init(displayName: name, address: from),
            to: [.init(address: recipient)],
            replyTo: .init(displayName: name, address: replyTo),
            subject: subject,
            messageID: messageID,
            inReplyTo: state.lastMessageID.flatMap(OutboundEmail.MessageID.init),
            references: state.references.compactMap(OutboundEmail.MessageID.init),
            date: envelope.receivedAt,
            text: body,
            html: HTMLRendering.document(fromPlainText: body),
            extraHeaders: [.init(.bridgedEnvelope, envelope.id.rawValue)]
        )
    }

    /// Tells an email sender that their message will not reach some recipients: a short mail from the
    /// gateway's postmaster, threaded under theirs, marked `Auto-Submitted` so no responder answers it.
    public func notDelivered(_ envelope: Envelope, to recipients: [Address], because: NonDelivery) async {
        let postmaster = self.postmaster
        guard let smtp = self.smtp, envelope.kind == .message,
            let messageID = OutboundEmail.MessageID("notice.\(envelope.id.rawValue)@\(self.addressing.mailDomain)")
        else { return }
        let why = switch because {
        case .denied(let reason): "the gateway's policy does not allow it: \(reason)"
        case .failed(let reason): "delivery was given up: \(reason)"
        }
        let list = recipients.map(\.description).joined(separator: ", ")
        let notice = OutboundEmail(
            from: .init(displayName: "bridged gateway", address: postmaster),
            to: [.init(address: envelope.sender.address)],
            subject: "Not delivered: \(envelope.subject ?? "your message")",
            messageID: messageID,
            inReplyTo: OutboundEmail.MessageID(envelope.origin.nativeID),
            references: [OutboundEmail.MessageID(envelope.origin.nativeID)].compactMap { $0 },
            date: Date(),
            text: "Your message to \(list) was not delivered: \(why).",
            extraHeaders: [.init(.autoSubmitted, "auto-replied"), .init(.bridgedEnvelope, envelope.id.rawValue)]
        )
        do {
            _ = try await smtp.submit(MIMEComposer.render(notice), envelope: SMTPEnvelope(mailFrom: nil, recipients: [envelope.sender.address]))
        } catch {
            self.logger.notice("could not send a non-delivery notice", metadata: ["error": "\(error.shortDescription)"])
        }
    }
}
