public import BridgeModel
import Foundation

extension EmailAdapter {
    /// What one fetched message becomes.
    enum InboundOutcome {
        case envelope(Envelope, threads: [(String, EmailThreadState)])
        case refuse(reason: String, detail: String)
    }

    /// Takes one fetched message: returns once its envelope is committed or its refusal is audited and kept
    /// (then the follower marks it); throws when neither could be made durable (then it is offered again).
    func handle(_ fetched: IMAPFetched, sink: any InboundSink) async throws {
        switch fetched {
        case .oversized(let uid, let size):
            await sink.reject(
                InboundRejection(
                    adapter: self.name, reason: "email-too-large", nativeID: "imap-uid:\(uid)",
                    detail: "\(size) bytes, over max_message_bytes \(self.settings.maxMessageBytes); left in the mailbox"
                )
            )
        case .message(let uid, let bytes):
            let outcome = await self.translate(bytes, receivedAt: Date())
            switch outcome {
            case .refuse(let reason, let detail):
                let kept = try self.keep(bytes, uid: uid)
                await sink.reject(
                    InboundRejection(
                        adapter: self.name, reason: reason, nativeID: "imap-uid:\(uid)",
                        detail: detail + (kept.map { " (kept as \($0))" } ?? "")
                    )
                )
            case .envelope(var envelope, let threads):
                if let inReplyTo = envelope.inReplyTo {
                    envelope.reference = await sink.resolve(inReplyTo, adapter: self.name)
                }
                do {
                    _ = try await sink.accept(envelope)
                } catch let error as AcceptError where error.isRefusal {
                    let kept = try self.keep(bytes, uid: uid)
                    await sink.reject(
                        InboundRejection(
                            adapter: self.name, reason: error.reason.rawValue, nativeID: envelope.origin.nativeID,
                            detail: error.detail + (kept.map { " (kept as \($0))" } ?? "")
                        )
                    )
                    return
                }
                for (thread, state) in threads {
                    try await self.state.save(state, adapter: self.name, key: EmailThreadState.key(thread: thread))
                }
            }
        }
    }

    /// Parses and classifies a raw message, and resolves its recipients on the mail domain.
    func translate(_ bytes: [UInt8], receivedAt: Date) async -> InboundOutcome {
        let email: InboundEmail
        do {
            email = try self.parser.parse(bytes)
        } catch {
            return .refuse(reason: "email-\(error.shortDescription)", detail: error.reason)
        }
        if let automation = email.automation {
            let kind = switch automation {
            case .autoReply: "auto-reply"
            case .bounce: "bounce"
            case .mailingList: "mailing-list"
            }
            return .refuse(reason: "email-\(kind)", detail: "not bridged back into chat (loop guard): \(automation.reason)")
        }
        if email.headers.contains("X-Bridged-Envelope") {
            return .refuse(reason: "email-loop", detail: "the message was written by a bridged gateway")
        }
        let sender = email.from.address
        var recipients: [Address] = []
        var threads: [(String, EmailThreadState)] = []
        var inReplyTo = email.inReplyTo
        for mailbox in email.to + email.cc where mailbox.address.domain == self.addressing.mailDomain {
            let address = mailbox.address
            if self.addressing.isReplyAddress(address) {
                switch self.addressing.replies.thread(from: address, sender: sender) {
                case .failure(let error):
                    return .refuse(
                        reason: "email-\(error.shortDescription)",
                        detail: "\(address) was not issued to \(sender): a reply address only works for the person it was sent to"
                    )
                case .success(let thread):
                    let stored: EmailThreadState?
                    do {
                        stored = try await self.state.load(EmailThreadState.self, adapter: self.name, key: EmailThreadState.key(thread: thread))
                    } catch {
                        return .refuse(reason: "email-thread-unreadable", detail: "the thread \(thread) could not be read: \(error)")
                    }
                    guard var state = stored, let remote = try? Address(parsing: state.remote) else {
                        return .refuse(reason: "email-unknown-thread", detail: "no conversation \(thread) is known")
                    }
                    inReplyTo = inReplyTo ?? state.lastMessageID
                    state.append(messageID: email.messageID)
                    if state.subject == nil { state.subject = email.subject }
                    recipients.append(remote)
                    threads.append((thread, state))
                }
            } else if let remote = self.addressing.remote(for: address) {
                let thread = EmailAddressing.thread(remote: remote, local: sender)
                var state = EmailThreadState(remote: remote, local: sender)
                do {
                    if let existing = try await self.state.load(EmailThreadState.self, adapter: self.name, key: EmailThreadState.key(thread: thread)) {
                        state = existing
                    }
                } catch {
                    return .refuse(reason: "email-thread-unreadable", detail: "the thread \(thread) could not be read: \(error)")
                }
                state.append(messageID: email.messageID)
                state.subject = state.subject ?? email.subject
                recipients.append(remote)
                threads.append((thread, state))
            }
        }
        guard !recipients.isEmpty else {
            return .refuse(
                reason: "email-no-bridged-recipient",
                detail: "no To or Cc address is on the gateway mail domain \(self.addressing.mailDomain)"
            )
        }
        var labels: Set<String> = []
        if case .unverified = email.authentication { labels.insert(EnvelopeLabel.unauthenticated) }
        let envelope = Envelope(
            origin: Origin(adapter: self.name, nativeID: email.messageID),
            kind: .message,
            sender: Participant(address: sender, displayName: email.from.displayName),
            recipients: Array(Set(recipients)).sorted { $0.description < $1.description },
            thread: email.references.first ?? email.messageID,
            inReplyTo: inReplyTo,
            subject: email.subject,
            body: email.chatText.isEmpty ? email.text : email.chatText,
            rich: email.html.map { RichBody(format: .html, text: $0) },
            attachments: email.attachments.enumerated().map { index, attachment in
                Attachment(
                    name: attachment.name, mediaType: attachment.mediaType, size: attachment.size, sha256: attachment.sha256,
                    location: "email:\(email.messageID)#\(index)"
                )
            },
            hops: [self.name],
            labels: labels,
            receivedAt: receivedAt
        )
        return .envelope(envelope, threads: threads)
    }

    /// Writes a refused message to the rejected directory (fsynced) so an operator can look at it.
    func keep(_ bytes: [UInt8], uid: UInt32) throws -> String? {
        guard let directory = self.rejectedDirectory else { return nil }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let stamp = Timestamp.format(Date()).replacingOccurrences(of: ":", with: "")
        let file = directory.appendingPathComponent("\(stamp)-uid\(uid)-\(UUID().uuidString.prefix(8)).eml")
        try DurableFile.write(Data(bytes), to: file)
        return file.path
    }
}

/// What `bridged inspect email` shows: how a raw message was read, and what the adapter makes of it.
public struct EmailInspection: Sendable {
    public var email: InboundEmail?
    public var envelope: Envelope?
    /// Why it is not bridged: a payload-free reason code and an operator-facing explanation.
    public var refusal: (reason: String, detail: String)?
}

extension EmailAdapter {
    /// Translates a raw message exactly as an inbound one would be, without storing anything.
    public func inspect(_ bytes: [UInt8]) async -> EmailInspection {
        let email = try? self.parser.parse(bytes)
        switch await self.translate(bytes, receivedAt: Date()) {
        case .envelope(let envelope, _): return EmailInspection(email: email, envelope: envelope, refusal: nil)
        case .refuse(let reason, let detail): return EmailInspection(email: email, envelope: nil, refusal: (reason, detail))
        }
    }
}
