import BridgeModel

/// One SMTP submission session as a state machine: no channel, no I/O, no clock. The connection feeds it
/// replies and events, and carries out the ``Action`` each returns.
///
///     S: 220 mx.acme.test ESMTP                 greeting
///     C: EHLO gw.acme.test          S: 250-…    (STARTTLS offered, or nothing else is sent)
///     C: STARTTLS                   S: 220 …    TLS handler added in the same tick; nothing may follow the 220
///     C: EHLO gw.acme.test          S: 250-…    capabilities from before TLS are forgotten (RFC 3207 §4.2)
///     C: AUTH PLAIN <base64>        S: 235 …    (RFC 4954; LOGIN if PLAIN is not offered)
///     C: MAIL FROM:<a@b> SIZE=n     S: 250 …    (RFC 1870 SIZE, RFC 6152 BODY=8BITMIME, RFC 6531 SMTPUTF8)
///     C: RCPT TO:<x@y>              S: 250/4yz/5yz, one outcome per recipient
///     C: DATA                       S: 354 …    only if a recipient was accepted, else RSET
///     C: <dot-stuffed message> .    S: 250 …    applies to every accepted recipient
///     C: QUIT                       S: 221 …
///
/// Commands are sent one at a time (no PIPELINING), so every reply answers exactly one command.
public struct SMTPClientStateMachine: Sendable {
    public enum State: Hashable, Sendable {
        case awaitingGreeting
        case awaitingEHLO(secured: Bool)
        case awaitingStartTLS
        case upgradingToTLS
        case authenticating(AuthStep)
        case awaitingMail
        case awaitingRecipient(Int)
        case awaitingDataGoAhead
        case sendingBody
        case awaitingDataResult
        case awaitingReset
        case quitting
        case closed
    }

    public enum AuthStep: Hashable, Sendable {
        case plain
        case loginUsername
        case loginPassword
        case loginResult
    }

    public enum Action: Hashable, Sendable {
        /// Write this command.
        case send(SMTPCommand)
        /// Add the TLS handler now, in this event-loop tick, then call ``tlsStarted()``.
        case upgradeToTLS
        /// Stream the message (``SMTPDataEncoder``), then call ``bodySent()``.
        case sendBody
        /// Report `outcome` to the caller, send QUIT and close once it is answered.
        case quit(Result<SMTPSubmissionResult, SMTPError>)
        /// Close the connection now; report `outcome` if there is one.
        case close(Result<SMTPSubmissionResult, SMTPError>?)
        case none
    }

    public private(set) var state: State = .awaitingGreeting
    /// The capabilities from the latest EHLO (after TLS, when TLS is used).
    public private(set) var capabilities: SMTPCapabilities?

    private let security: SMTPClientConfiguration.Security
    private let credentials: SMTPCredentials?
    private let heloName: String
    private let envelope: SMTPEnvelope
    private let recipients: [Address]
    private let message: SMTPDataEncoder.Inspection
    private var outcomes: [Address: SMTPRecipientOutcome] = [:]

    public init(
        security: SMTPClientConfiguration.Security,
        credentials: SMTPCredentials?,
        heloName: String,
        envelope: SMTPEnvelope,
        message: SMTPDataEncoder.Inspection
    ) {
        self.security = security
        self.credentials = credentials
        self.heloName = heloName
        self.envelope = envelope
        self.recipients = envelope.uniqueRecipients
        self.message = message
    }

    // MARK: Events

    /// A complete reply arrived. `bufferedBytes` is how many bytes the framer still holds after it: after
    /// the STARTTLS go-ahead it must be 0, or someone injected plaintext that would be read as if it came
    /// over TLS (RFC 3207 §6, CVE-2011-0411 and the "NO STARTTLS" findings).
    public mutating func received(_ reply: SMTPReply, bufferedBytes: Int = 0) -> Action {
        if reply.code == 421, self.state != .quitting, self.state != .closed {
            return self.close(SMTPError(.serviceClosing, "the server is closing the connection", reply: reply))
        }
        switch self.state {
        case .awaitingGreeting:
            guard reply.code == 220 else {
                return self.quit(SMTPError(.greetingRefused, "the server refused the session", reply: reply))
            }
            return self.sendEHLO(secured: self.security == .implicitTLS)

        case .awaitingEHLO(let secured):
            guard reply.isPositiveCompletion else {
                return self.quit(SMTPError(.ehloRefused, "the server refused EHLO", reply: reply))
            }
            let capabilities = SMTPCapabilities(ehloReply: reply)
            self.capabilities = capabilities
            return self.afterEHLO(capabilities, secured: secured)

        case .awaitingStartTLS:
            guard reply.code == 220 else {
                return self.quit(SMTPError(.startTLSRefused, "the server refused STARTTLS", reply: reply))
            }
            guard bufferedBytes == 0 else {
                return self.close(
                    SMTPError(.plaintextAfterStartTLS, "\(bufferedBytes) plaintext bytes followed the STARTTLS go-ahead")
                )
            }
            self.state = .upgradingToTLS
            return .upgradeToTLS

        case .authenticating(let step):
            return self.authenticationReply(reply, step: step)

        case .awaitingMail:
            guard reply.isPositiveCompletion else {
                return self.quit(SMTPError(.senderRejected, "the server refused the sender", reply: reply))
            }
            return self.sendRecipient(0)

        case .awaitingRecipient(let index):
            guard !reply.isPositiveIntermediate else { return self.unexpected(reply) }
            let recipient = self.recipients[index]
            self.outcomes[recipient] = reply.isPositiveCompletion ? .accepted : SMTPRecipientOutcome(refusal: reply)
            if index + 1 < self.recipients.count { return self.sendRecipient(index + 1) }
            if self.outcomes.values.contains(.accepted) {
                self.state = .awaitingDataGoAhead
                return .send(.data)
            }
            self.state = .awaitingReset
            return .send(.reset)

        case .awaitingDataGoAhead:
            if reply.code == 354 {
                self.state = .sendingBody
                return .sendBody
            }
            guard !reply.isPositiveCompletion, !reply.isPositiveIntermediate else { return self.unexpected(reply) }
            return self.finish(with: reply)

        case .awaitingDataResult:
            guard !reply.isPositiveIntermediate else { return self.unexpected(reply) }
            return self.finish(with: reply)

        case .awaitingReset:
            return self.quit(nil)

        case .quitting:
            self.state = .closed
            return .close(nil)

        case .sendingBody:
            // The server gave up on the message while it was still being sent (552 "too big", 451, ...):
            // that is every accepted recipient's outcome, and the connection is no longer usable.
            guard reply.isTransientNegative || reply.isPermanentNegative else { return self.unexpected(reply) }
            self.applyToAccepted(reply)
            self.state = .closed
            return .close(.success(SMTPSubmissionResult(outcomes: self.outcomes, finalReply: reply)))

        case .upgradingToTLS:
            return self.unexpected(reply)

        case .closed:
            return .none
        }
    }

    /// The TLS handler was added after the STARTTLS go-ahead. Writes wait for the handshake, so EHLO can
    /// be sent at once; a failed handshake arrives as an error.
    public mutating func tlsStarted() -> Action {
        guard self.state == .upgradingToTLS else { return .none }
        self.capabilities = nil
        return self.sendEHLO(secured: true)
    }

    /// The whole message, with its final `.`, was written.
    public mutating func bodySent() -> Action {
        guard self.state == .sendingBody else { return .none }
        self.state = .awaitingDataResult
        return .none
    }

    /// The connection failed (`error`), timed out, or was closed by the peer.
    public mutating func failed(_ error: SMTPError) -> Action {
        switch self.state {
        case .closed: return .none
        case .quitting:
            self.state = .closed
            return .close(nil)
        default: return self.close(error)
        }
    }

    /// The connection is gone.
    public mutating func connectionClosed() -> Action {
        self.failed(SMTPError(.connectionLost, "the server closed the connection while \(self.state)"))
    }

    // MARK: Steps

    private mutating func sendEHLO(secured: Bool) -> Action {
        do throws(SMTPError) {
            let command = try SMTPCommand.ehlo(self.heloName)
            self.state = .awaitingEHLO(secured: secured)
            return .send(command)
        } catch {
            return self.quit(error)
        }
    }

    private mutating func afterEHLO(_ capabilities: SMTPCapabilities, secured: Bool) -> Action {
        if !secured, self.security == .startTLS {
            guard capabilities.startTLS else {
                return self.quit(SMTPError(.startTLSNotOffered, "STARTTLS is required but the server does not offer it"))
            }
            self.state = .awaitingStartTLS
            return .send(.startTLS)
        }
        guard let credentials = self.credentials else { return self.startMail(capabilities) }
        guard secured else {
            return self.quit(SMTPError(.authenticationRequiresTLS, "credentials are never sent over a plaintext connection"))
        }
        let mechanisms = capabilities.authMechanisms
        do throws(SMTPError) {
            if mechanisms.contains("PLAIN") {
                let command = try SMTPCommand.authPlain(credentials)
                self.state = .authenticating(.plain)
                return .send(command)
            }
            if mechanisms.contains("LOGIN") {
                self.state = .authenticating(.loginUsername)
                return .send(.authLogin)
            }
        } catch {
            return self.quit(error)
        }
        let offered = mechanisms.isEmpty ? "none" : mechanisms.sorted().joined(separator: " ")
        return self.quit(SMTPError(.authenticationUnsupported, "neither AUTH PLAIN nor LOGIN is offered (offered: \(offered))"))
    }

    private mutating func authenticationReply(_ reply: SMTPReply, step: AuthStep) -> Action {
        let reply = self.scrubbed(reply)
        guard let credentials = self.credentials else { return self.unexpected(reply) }
        do throws(SMTPError) {
            switch (step, reply.code) {
            case (.plain, 235), (.loginResult, 235):
                guard let capabilities = self.capabilities else { return self.unexpected(reply) }
                return self.startMail(capabilities)
            case (.loginUsername, 334):
                self.state = .authenticating(.loginPassword)
                return .send(try .authResponse(Array(credentials.username.utf8)))
            case (.loginPassword, 334):
                self.state = .authenticating(.loginResult)
                return .send(try .authResponse(credentials.password.bytes))
            case (_, 400..<600):
                return self.quit(SMTPError(.authenticationFailed, "the server refused the credentials", reply: reply))
            default:
                return self.unexpected(reply)
            }
        } catch {
            return self.quit(error)
        }
    }

    private mutating func startMail(_ capabilities: SMTPCapabilities) -> Action {
        guard !self.recipients.isEmpty else { return self.quit(SMTPError(.noRecipients, "the envelope has no recipient")) }
        guard !self.message.containsNUL else {
            return self.quit(SMTPError(.invalidMessage, "the message contains NUL bytes"))
        }
        if let limit = capabilities.maximumSize, self.message.size > limit {
            return self.quit(
                SMTPError(.messageTooLarge, "the message has \(self.message.size) bytes, the server accepts at most \(limit)")
            )
        }
        var parameters: [String] = []
        if capabilities.size { parameters.append("SIZE=\(self.message.size)") }
        if self.message.needs8Bit {
            guard capabilities.eightBitMIME else {
                return self.quit(SMTPError(.eightBitNotSupported, "the message has 8-bit content and the server lacks 8BITMIME"))
            }
            parameters.append("BODY=8BITMIME")
        }
        if self.envelope.needsSMTPUTF8 {
            guard capabilities.smtpUTF8 else {
                return self.quit(SMTPError(.smtputf8NotSupported, "an address is not ASCII and the server lacks SMTPUTF8"))
            }
            parameters.append("SMTPUTF8")
        }
        do throws(SMTPError) {
            let command = try SMTPCommand.mail(from: self.envelope.mailFrom, parameters: parameters)
            self.state = .awaitingMail
            return .send(command)
        } catch {
            return self.quit(error)
        }
    }

    private mutating func sendRecipient(_ index: Int) -> Action {
        do throws(SMTPError) {
            let command = try SMTPCommand.recipient(self.recipients[index])
            self.state = .awaitingRecipient(index)
            return .send(command)
        } catch {
            return self.quit(error)
        }
    }

    /// The server answered DATA or the final `.`: that reply is every accepted recipient's outcome.
    private mutating func finish(with reply: SMTPReply) -> Action {
        self.applyToAccepted(reply)
        return self.quit(nil, finalReply: reply)
    }

    private mutating func applyToAccepted(_ reply: SMTPReply) {
        let outcome: SMTPRecipientOutcome = reply.isPositiveCompletion ? .accepted : SMTPRecipientOutcome(refusal: reply)
        for (recipient, current) in self.outcomes where current == .accepted {
            self.outcomes[recipient] = outcome
        }
    }

    // MARK: Endings

    /// Reports an error, or the outcomes so far when `error` is nil, and says goodbye.
    private mutating func quit(_ error: SMTPError?, finalReply: SMTPReply? = nil) -> Action {
        self.state = .quitting
        if let error { return .quit(.failure(error)) }
        return .quit(.success(SMTPSubmissionResult(outcomes: self.outcomes, finalReply: finalReply)))
    }

    private mutating func close(_ error: SMTPError) -> Action {
        self.state = .closed
        return .close(.failure(error))
    }

    private mutating func unexpected(_ reply: SMTPReply) -> Action {
        self.close(SMTPError(.unexpectedReply, "unexpected reply while \(self.state)", reply: reply))
    }

    /// An authentication reply with the password (plain or base64, alone or in the PLAIN blob) cut out, in
    /// case a server echoes what it received.
    private func scrubbed(_ reply: SMTPReply) -> SMTPReply {
        guard let credentials = self.credentials, !credentials.password.bytes.isEmpty else { return reply }
        let password = credentials.password.bytes
        let secrets = [
            String(decoding: password, as: UTF8.self),
            SMTPCommand.base64(password),
            SMTPCommand.base64([0] + Array(credentials.username.utf8) + [0] + password),
        ]
        let lines = reply.lines.map { line in
            secrets.reduce(line) { text, secret in text.replacing(secret, with: "<redacted>") }
        }
        return SMTPReply(code: reply.code, lines: lines)
    }
}
