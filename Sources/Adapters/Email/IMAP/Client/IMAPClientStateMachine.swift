public import NIOCore

/// The client side of an IMAP connection as a state machine: no channel, no I/O; the connection carries out
/// the actions it returns. One command runs at a time.
///
///     S: * OK [CAPABILITY IMAP4rev1 SASL-IR IDLE STARTTLS AUTH=PLAIN] Dovecot ready.   -> .greeting
///     C: A1 AUTHENTICATE PLAIN AGdhdGV3YXk...                                          <- send(.authenticatePlain)
///     S: A1 OK [CAPABILITY IMAP4rev1 ... IDLE MOVE] Logged in                           -> .completed
///     C: A2 IDLE                                  S: + idling                           -> .idleStarted
///     S: * 4 EXISTS                                                                     -> .untagged
///     C: DONE                                     S: A2 OK Idle completed.              <- endIdle(), -> .completed
///
/// It owns the tags, the running command (with the rest of a command waiting for `+` after a synchronizing
/// literal, and a SASL response waiting for its challenge), the IDLE phase, the capabilities, and the rule
/// that credentials are never sent in the clear unless plaintext was explicitly allowed.
public struct IMAPClientStateMachine: Sendable {
    public enum State: Hashable, Sendable {
        case awaitingGreeting
        case notAuthenticated
        case authenticated
        case selected
        case loggedOut
    }

    public enum Action: Sendable {
        /// Send these bytes.
        case write(ByteBuffer)
        /// Send this STARTTLS command and, in the same event-loop tick as its tagged OK, start TLS.
        case writeAndStartTLS(ByteBuffer, tag: String)
        /// The server greeted (`PREAUTH` means already authenticated).
        case greeting(preauthenticated: Bool)
        /// Data for the running command, or unsolicited (EXISTS while idling).
        case untagged(IMAPUntaggedResponse)
        /// The server accepted IDLE (`+ idling`).
        case idleStarted
        /// The running command finished with this status.
        case completed(IMAPTaggedResponse)
        /// The connection cannot go on; close it.
        case fail(IMAPError)
        case none
    }

    public struct Limits: Hashable, Sendable {
        /// Untagged responses accepted for one command (or between two commands) before giving up on the server.
        public var maxUntaggedPerCommand: Int

        public init(maxUntaggedPerCommand: Int = 100_000) {
            self.maxUntaggedPerCommand = maxUntaggedPerCommand
        }
    }

    enum IdlePhase: Hashable, Sendable {
        /// IDLE sent, no `+` yet; `doneWanted` when DONE was asked for before the server was ready for it.
        case requested(doneWanted: Bool)
        case idling
        case doneSent
    }

    enum Kind: Hashable, Sendable {
        case startTLS, login, sasl, select, logout, idle, other
    }

    struct Running: Sendable {
        let tag: String
        let kind: Kind
        var remainingParts: ArraySlice<ByteBuffer>
        var saslResponse: [UInt8]?
        var idle: IdlePhase?
    }

    public private(set) var state: State = .awaitingGreeting
    /// Upper-cased capability atoms; empty while unknown.
    public private(set) var capabilities: Set<String> = []
    /// False when the server has not (or no longer: after STARTTLS, after login without a code) told them.
    public private(set) var capabilitiesKnown = false
    public private(set) var isTLSActive: Bool
    let allowsPlaintextCredentials: Bool
    let limits: Limits
    private var running: Running?
    private var untaggedCount = 0
    private var tagCounter: UInt32 = 0

    /// - Parameters:
    ///   - tlsActive: the connection started with TLS (implicit TLS).
    ///   - allowsPlaintextCredentials: credentials may be sent without TLS (only for an explicit plaintext mode).
    public init(tlsActive: Bool, allowsPlaintextCredentials: Bool, limits: Limits = Limits()) {
        self.isTLSActive = tlsActive
        self.allowsPlaintextCredentials = allowsPlaintextCredentials
        self.limits = limits
    }

    public func supports(_ capability: String) -> Bool { self.capabilities.contains(capability.uppercased()) }

    /// True while a command (IDLE included) waits for its tagged response.
    public var isBusy: Bool { self.running != nil }

    // MARK: Commands

    public mutating func send(_ command: IMAPCommand) -> Action {
        guard self.running == nil else {
            return .fail(IMAPError(.commandOutOfOrder, "\(command) while another command runs"))
        }
        let kind: Kind
        switch (command, self.state) {
        case (_, .awaitingGreeting), (_, .loggedOut):
            return .fail(IMAPError(.commandOutOfOrder, "\(command) in state \(self.state)"))
        case (.capability, _), (.noop, _):
            kind = .other
        case (.logout, _):
            kind = .logout
        case (.startTLS, .notAuthenticated):
            guard !self.isTLSActive else { return .fail(IMAPError(.commandOutOfOrder, "STARTTLS on a TLS connection")) }
            kind = .startTLS
        case (.login, .notAuthenticated), (.authenticatePlain, .notAuthenticated):
            guard self.isTLSActive || self.allowsPlaintextCredentials else {
                return .fail(IMAPError(.plaintextCredentialsRefused, "credentials are only sent over TLS"))
            }
            if case .login = command {
                guard !self.supports("LOGINDISABLED") else {
                    return .fail(IMAPError(.capabilityMissing, "the server disabled LOGIN"))
                }
                kind = .login
            } else {
                kind = .sasl
            }
        case (.select, .authenticated), (.select, .selected):
            kind = .select
        case (.create, .authenticated), (.create, .selected):
            kind = .other
        case (.idle, .selected):
            kind = .idle
        case (.uidSearch, .selected), (.uidFetch, .selected), (.uidStore, .selected), (.uidCopy, .selected),
            (.uidMove, .selected), (.uidExpunge, .selected):
            kind = .other
        default:
            return .fail(IMAPError(.commandOutOfOrder, "\(command) in state \(self.state)"))
        }

        self.tagCounter &+= 1
        let tag = "A\(self.tagCounter)"
        let saslInitialResponse = self.supports("SASL-IR")
        let encoded: IMAPEncodedCommand
        var saslResponse: [UInt8]?
        do throws(IMAPError) {
            encoded = try self.encoder.encode(command, tag: tag, saslInitialResponse: saslInitialResponse)
            if case .authenticatePlain(let username, let password) = command, !saslInitialResponse {
                saslResponse = try IMAPCommandEncoder.saslPlain(username: username, password: password) + [13, 10]
            }
        } catch {
            return .fail(error)
        }
        self.running = Running(
            tag: tag, kind: kind, remainingParts: encoded.parts.dropFirst(), saslResponse: saslResponse,
            idle: kind == .idle ? .requested(doneWanted: false) : nil
        )
        self.untaggedCount = 0
        return kind == .startTLS ? .writeAndStartTLS(encoded.parts[0], tag: tag) : .write(encoded.parts[0])
    }

    /// Ends IDLE (`DONE`, RFC 2177 §3); if the server has not said `+` yet, DONE follows as soon as it does.
    public mutating func endIdle() -> Action {
        guard var running = self.running, let phase = running.idle else { return .none }
        switch phase {
        case .requested:
            running.idle = .requested(doneWanted: true)
            self.running = running
            return .none
        case .idling:
            running.idle = .doneSent
            self.running = running
            return .write(ByteBuffer(string: "DONE\r\n"))
        case .doneSent:
            return .none
        }
    }

    /// The bytes that end the session without waiting for answers (on cancellation): `DONE` when idling,
    /// then `LOGOUT`. Nil when there is no session to end.
    public mutating func shutdown() -> ByteBuffer? {
        guard self.state != .loggedOut, self.state != .awaitingGreeting else { return nil }
        var bytes = ByteBuffer()
        if self.running?.idle == .idling { bytes.writeString("DONE\r\n") }
        self.tagCounter &+= 1
        bytes.writeString("A\(self.tagCounter) LOGOUT\r\n")
        self.state = .loggedOut
        self.running = nil
        return bytes
    }

    private var encoder: IMAPCommandEncoder {
        if self.supports("LITERAL+") { return IMAPCommandEncoder(literalMode: .nonSynchronizing) }
        if self.supports("LITERAL-") { return IMAPCommandEncoder(literalMode: .nonSynchronizingUpTo4096) }
        return IMAPCommandEncoder(literalMode: .synchronizing)
    }

    // MARK: Responses

    public mutating func received(_ response: IMAPResponse) -> Action {
        switch (self.state, response) {
        case (.loggedOut, _):
            return .none
        case (.awaitingGreeting, .untagged(.status(let status, let text))):
            return self.greeting(status, text)
        case (.awaitingGreeting, _):
            return self.fail(IMAPError(.unexpectedResponse, "the server did not start with a greeting"))
        case (_, .continuation):
            return self.continuation()
        case (_, .untagged(let untagged)):
            return self.untagged(untagged)
        case (_, .tagged(let tagged)):
            return self.tagged(tagged)
        }
    }

    /// The connection closed or failed.
    public mutating func disconnected() -> Action {
        let expected = self.state == .loggedOut || self.running?.kind == .logout
        self.state = .loggedOut
        self.running = nil
        return expected ? .none : .fail(IMAPError(.connectionLost, "the connection closed"))
    }

    private mutating func greeting(_ status: IMAPStatus, _ text: IMAPResponseText) -> Action {
        if case .capability(let atoms) = text.code { self.setCapabilities(atoms) }
        switch status {
        case .ok:
            self.state = .notAuthenticated
            return .greeting(preauthenticated: false)
        case .preauth:
            self.state = .authenticated
            return .greeting(preauthenticated: true)
        case .bye:
            return self.fail(
                IMAPError(.serverClosed, "the server refused the connection: \(IMAPError.serverText(text.text))"))
        case .no, .bad:
            return self.fail(IMAPError(.unexpectedResponse, "a \(status.rawValue) greeting"))
        }
    }

    private mutating func continuation() -> Action {
        guard var running = self.running else {
            return self.fail(IMAPError(.unexpectedResponse, "a continuation request while no command runs"))
        }
        defer { self.running = running }
        if let part = running.remainingParts.popFirst() { return .write(part) }
        switch (running.kind, running.idle) {
        case (.sasl, _):
            // The PLAIN response once; a further challenge is answered with "*" (cancel, RFC 3501 §6.2.2).
            let response = running.saslResponse ?? Array("*\r\n".utf8)
            running.saslResponse = nil
            return .write(ByteBuffer(bytes: response))
        case (.idle, .requested(let doneWanted)?):
            if doneWanted {
                running.idle = .doneSent
                return .write(ByteBuffer(string: "DONE\r\n"))
            }
            running.idle = .idling
            return .idleStarted
        default:
            return self.fail(IMAPError(.unexpectedResponse, "an unexpected continuation request"))
        }
    }

    private mutating func untagged(_ untagged: IMAPUntaggedResponse) -> Action {
        self.untaggedCount += 1
        guard self.untaggedCount <= self.limits.maxUntaggedPerCommand else {
            return self.fail(
                IMAPError(.tooManyResponses, "more than \(self.limits.maxUntaggedPerCommand) untagged responses"))
        }
        switch untagged {
        case .status(.bye, let text) where self.running?.kind != .logout:
            return self.fail(IMAPError(.serverClosed, "the server said BYE: \(IMAPError.serverText(text.text))"))
        case .status(_, let text):
            if case .capability(let atoms) = text.code { self.setCapabilities(atoms) }
        case .capability(let atoms):
            self.setCapabilities(atoms)
        default:
            break
        }
        return .untagged(untagged)
    }

    private mutating func tagged(_ tagged: IMAPTaggedResponse) -> Action {
        guard let running = self.running, running.tag == tagged.tag else {
            return self.fail(IMAPError(.unexpectedResponse, "a tagged response for no running command"))
        }
        self.running = nil
        self.untaggedCount = 0
        let ok = tagged.status == .ok
        switch running.kind {
        case .startTLS where ok:
            // Everything learned before TLS is void (RFC 3501 §6.2.1).
            self.isTLSActive = true
            self.capabilities = []
            self.capabilitiesKnown = false
        case .login where ok, .sasl where ok:
            self.state = .authenticated
            self.capabilitiesKnown = false
        case .select:
            self.state = ok ? .selected : .authenticated
        case .logout:
            self.state = .loggedOut
        default:
            break
        }
        if case .capability(let atoms) = tagged.text.code { self.setCapabilities(atoms) }
        return .completed(tagged)
    }

    private mutating func setCapabilities(_ atoms: [String]) {
        self.capabilities = Set(atoms.map { $0.uppercased() })
        self.capabilitiesKnown = true
    }

    private mutating func fail(_ error: IMAPError) -> Action {
        self.state = .loggedOut
        self.running = nil
        return .fail(error)
    }
}
