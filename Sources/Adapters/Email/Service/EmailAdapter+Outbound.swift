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
        if envelope.kind == .notice { return try await self.deliverNotice(delivery, smtp: smtp) }
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
            switch try await self.submit(message, from: self.bounceAddress, to: recipient, smtp: smtp) {
            case .accepted:
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
            case .transient(let detail): transient.append(detail)
            case .permanent(let detail): permanent.append(detail)
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
        let body = switch envelope.kind {
        case .edit: "Correction:\n\n\(envelope.body)"
        // Mail cannot be taken back: the recipient is told, in the thread, that the sender withdrew it.
        case .retraction: "\(name) withdrew an earlier message in this conversation."
        default: envelope.body
        }
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

    /// A notice to an email sender about their own message: a short mail from the gateway's postmaster,
    /// threaded under theirs, marked `Auto-Submitted: auto-replied` (RFC 3834) so no responder answers it,
    /// with an empty return path so nothing bounces back. The gate lets notices go only to a sender whose
    /// mail was authenticated.
    func deliverNotice(_ delivery: Delivery, smtp: SMTPClient) async throws(DeliveryFailure) -> DeliveryReceipt {
        guard let notice = delivery.envelope.notice, case .direct(let recipients) = delivery.target,
            let recipient = recipients.first,
            let messageID = OutboundEmail.MessageID("\(delivery.deliveryKey)@\(self.addressing.mailDomain)")
        else { throw .permanent("notice-malformed", "a notice must name its original and one recipient") }
        let original = OutboundEmail.MessageID(notice.original.origin.nativeID)
        let email = OutboundEmail(
            from: .init(displayName: GatewayIdentity.displayName, address: self.postmaster),
            to: [.init(address: recipient)],
            subject: "\(notice.reason == .held ? "Held for review" : "Not delivered"): \(notice.originalSubject ?? "your message")",
            messageID: messageID,
            inReplyTo: original,
            references: [original].compactMap { $0 },
            date: delivery.envelope.receivedAt,
            text: notice.text,
            extraHeaders: [.init(.autoSubmitted, "auto-replied"), .init(.bridgedEnvelope, delivery.envelope.id.rawValue)]
        )
        switch try await self.submit(MIMEComposer.render(email), from: nil, to: recipient, smtp: smtp) {
        case .accepted: return DeliveryReceipt(nativeID: messageID.value)
        case .transient(let detail): throw .transient("smtp-deferred", detail)
        case .permanent(let detail): throw .permanent("smtp-rejected", detail)
        }
    }

    /// One recipient's answer to one submission.
    enum RecipientOutcome {
        case accepted
        /// Worth retrying later; the text names the recipient and the server's answer.
        case transient(String)
        case permanent(String)
    }

    /// Submits `message` to one recipient (one SMTP transaction).
    /// - Throws: ``DeliveryFailure/accountFailing(_:_:)`` when the server refuses the gateway's own
    ///   credentials: nothing can go until an operator fixes them, whatever the recipient.
    func submit(_ message: [UInt8], from mailFrom: Address?, to recipient: Address, smtp: SMTPClient) async throws(DeliveryFailure) -> RecipientOutcome {
        let result: SMTPSubmissionResult
        do {
            result = try await smtp.submit(message, envelope: SMTPEnvelope(mailFrom: mailFrom, recipients: [recipient]))
        } catch {
            if error.isAccountFailure {
                throw .accountFailing(error.shortDescription, "the SMTP server refused the gateway's credentials")
            }
            let detail = "\(recipient): \(error.shortDescription)" + (error.serverReply.map { " (\($0))" } ?? "")
            return error.isTransient ? .transient(detail) : .permanent(detail)
        }
        switch result.outcomes[recipient] {
        case .accepted?: return .accepted
        case .transient(let reply)?: return .transient("\(recipient): \(reply)")
        case .permanent(let reply)?: return .permanent("\(recipient): \(reply)")
        case nil: return .transient("\(recipient): the server gave no answer for this recipient")
        }
    }
}
