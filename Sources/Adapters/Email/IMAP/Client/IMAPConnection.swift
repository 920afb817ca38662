import Logging
public import NIOCore
import NIOPosix
public import NIOSSL

/// One authenticated IMAP connection, driven from a single task: the task that called
/// ``withConnection(_:eventLoopGroup:tlsContext:logger:_:)`` owns it and runs one command at a time.
///
/// The channel layer only frames, parses and performs STARTTLS; the protocol rules live in
/// ``IMAPClientStateMachine``, which this type feeds and whose actions it carries out.
public final class IMAPConnection {
    public let configuration: IMAPConnectionConfiguration
    var machine: IMAPClientStateMachine
    private var iterator: NIOAsyncChannelInboundStream<IMAPInbound>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<IMAPOutbound>
    private let channel: any Channel
    private var timerID: UInt64 = 0
    let logger: Logger
    /// Set whenever the server reports `* n EXISTS` (in any response); the caller clears it before it looks
    /// for messages, so news that arrived with another command's answer is not missed before IDLE.
    public var newMessagesSignalled = false

    init(
        configuration: IMAPConnectionConfiguration,
        machine: IMAPClientStateMachine,
        channel: NIOAsyncChannel<IMAPInbound, IMAPOutbound>,
        inbound: NIOAsyncChannelInboundStream<IMAPInbound>,
        outbound: NIOAsyncChannelOutboundWriter<IMAPOutbound>,
        logger: Logger
    ) {
        self.configuration = configuration
        self.machine = machine
        self.iterator = inbound.makeAsyncIterator()
        self.outbound = outbound
        self.channel = channel.channel
        self.logger = logger
    }

    /// Connects, waits for the greeting, does STARTTLS when configured, authenticates, and hands the
    /// connection to `body`; the connection closes when `body` returns or throws.
    ///
    /// - Parameter tlsContext: reuse one across connections; built from the configuration when nil.
    /// - Throws: ``IMAPError`` (for example `authentication-failed`, which is not transient), or
    ///   `CancellationError` when the task is cancelled.
    public static func withConnection<Result: Sendable>(
        _ configuration: IMAPConnectionConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        tlsContext: NIOSSLContext? = nil,
        logger: Logger,
        _ body: (IMAPConnection) async throws -> Result
    ) async throws -> Result {
        let context: NIOSSLContext? =
            configuration.security == .plaintext ? nil : try (tlsContext ?? configuration.makeTLSContext())
        let hostname = configuration.serverHostname ?? configuration.host
        let implicitTLS = configuration.security == .implicitTLS
        let limits = configuration.framingLimits
        let channel: NIOAsyncChannel<IMAPInbound, IMAPOutbound>
        do {
            channel = try await ClientBootstrap(group: eventLoopGroup)
                .connectTimeout(TimeAmount(configuration.connectTimeout))
                .connect(host: configuration.host, port: configuration.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if implicitTLS, let context {
                            try channel.pipeline.syncOperations.addHandler(
                                NIOSSLClientHandler(context: context, serverHostname: hostname)
                            )
                        }
                        try channel.pipeline.syncOperations.addHandler(
                            IMAPClientChannelHandler(limits: limits, tlsContext: context, serverHostname: hostname)
                        )
                        return try NIOAsyncChannel<IMAPInbound, IMAPOutbound>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw Self.map(error, connecting: "\(configuration.host):\(configuration.port)")
        }
        return try await channel.executeThenClose { inbound, outbound in
            let connection = IMAPConnection(
                configuration: configuration,
                machine: IMAPClientStateMachine(
                    tlsActive: implicitTLS, allowsPlaintextCredentials: configuration.security == .plaintext
                ),
                channel: channel, inbound: inbound, outbound: outbound, logger: logger
            )
            do {
                try await connection.open()
                return try await body(connection)
            } catch {
                if Task.isCancelled || error is CancellationError { await connection.closeBestEffort() }
                throw error
            }
        }
    }

    /// Upper-cased capability atoms the server announced (after TLS and authentication).
    public var capabilities: Set<String> { self.machine.capabilities }

    public func supports(_ capability: String) -> Bool { self.machine.supports(capability) }

    // MARK: Opening

    private func open() async throws {
        try await self.armTimer(self.configuration.commandTimeout)
        var preauthenticated = false
        greeting: while true {
            guard case .action(let action) = try await self.nextEvent() else {
                throw IMAPError(.timeout, "no greeting from the server in time")
            }
            switch action {
            case .greeting(let preauth):
                preauthenticated = preauth
                break greeting
            case .fail(let error): throw error
            default: continue
            }
        }
        try await self.cancelTimer()
        if !self.machine.capabilitiesKnown { try await self.execute(.capability) }

        if self.configuration.security == .startTLS {
            guard self.supports("STARTTLS") else {
                throw IMAPError(.startTLSUnavailable, "the server does not offer STARTTLS")
            }
            let reply = try await self.execute(.startTLS)
            guard reply.status == .ok else {
                throw IMAPError(.startTLSRefused, "STARTTLS refused: \(IMAPError.serverText(reply.text.text))")
            }
            // Capabilities before TLS are void; ask again through TLS (this waits for the handshake).
            try await self.execute(.capability)
        }

        if !preauthenticated {
            let reply: IMAPTaggedResponse
            switch self.configuration.authentication {
            case .plain:
                guard self.supports("AUTH=PLAIN") else {
                    throw IMAPError(.capabilityMissing, "the server does not offer AUTH=PLAIN")
                }
                reply = try await self.execute(
                    .authenticatePlain(username: self.configuration.username, password: self.configuration.password)
                )
            case .login:
                reply = try await self.execute(
                    .login(username: self.configuration.username, password: self.configuration.password)
                )
            }
            switch reply.status {
            case .ok: break
            case .no:
                throw IMAPError(
                    .authenticationFailed,
                    "the server refused the credentials: \(IMAPError.serverText(reply.text.text))")
            default:
                throw IMAPError(.commandRejected, "authentication: \(IMAPError.serverText(reply.text.text))")
            }
        }
        if !self.machine.capabilitiesKnown { try await self.execute(.capability) }
        self.logger.debug(
            "IMAP session open", metadata: ["capabilities": "\(self.capabilities.sorted().joined(separator: " "))"])
    }

    // MARK: Running commands

    /// Runs one command to its tagged response, handing each untagged response to `onUntagged`.
    /// - Returns: the tagged response (OK, NO or BAD); a NO is not thrown.
    /// - Throws: ``IMAPError`` when the connection fails or `timeout` passes.
    @discardableResult
    public func execute(
        _ command: IMAPCommand,
        timeout: Duration? = nil,
        onUntagged: (IMAPUntaggedResponse) throws -> Void = { _ in }
    ) async throws -> IMAPTaggedResponse {
        try await self.perform(self.machine.send(command))
        try await self.armTimer(timeout ?? self.configuration.commandTimeout)
        while true {
            guard case .action(let action) = try await self.nextEvent() else {
                throw IMAPError(.timeout, "no answer to \(command) in time")
            }
            switch action {
            case .untagged(let untagged):
                try onUntagged(untagged)
            case .completed(let tagged):
                try await self.cancelTimer()
                return tagged
            case .write(let bytes):
                try await self.send(.bytes(bytes))
            case .fail(let error):
                throw error
            case .greeting, .idleStarted, .writeAndStartTLS, .none:
                continue
            }
        }
    }

    /// Carries out a command's first action.
    func perform(_ action: IMAPClientStateMachine.Action) async throws {
        switch action {
        case .write(let bytes): try await self.send(.bytes(bytes))
        case .writeAndStartTLS(let bytes, let tag): try await self.send(.startTLS(bytes, tag: tag))
        case .fail(let error): throw error
        default: break
        }
    }

    enum Event {
        case action(IMAPClientStateMachine.Action)
        /// The armed timer fired.
        case timer
    }

    /// Reads the next inbound event; a response goes through the state machine.
    /// - Throws: the mapped channel error, or `CancellationError`.
    func nextEvent() async throws -> Event {
        while true {
            let inbound: IMAPInbound?
            do {
                inbound = try await self.iterator.next()
            } catch let error as CancellationError {
                throw error
            } catch {
                _ = self.machine.disconnected()
                throw Self.map(error, connecting: nil)
            }
            switch inbound {
            case nil:
                return .action(self.machine.disconnected())
            case .timerFired(let id)?:
                // A timer replaced or cancelled after it went off is stale.
                if id == self.timerID { return .timer }
            case .response(let response)?:
                if case .untagged(.exists) = response { self.newMessagesSignalled = true }
                return .action(self.machine.received(response))
            }
        }
    }

    func armTimer(_ delay: Duration) async throws {
        self.timerID &+= 1
        try await self.send(.armTimer(TimeAmount(delay), id: self.timerID))
    }

    /// Writes to the channel. When that fails because the channel closed, the reason (a TLS alert, a
    /// protocol error) is on the inbound side: that error is thrown rather than "I/O on closed channel".
    func send(_ message: IMAPOutbound) async throws {
        do {
            try await self.outbound.write(message)
        } catch {
            for _ in 0..<16 {
                do {
                    guard try await self.iterator.next() != nil else { break }
                } catch {
                    throw Self.map(error, connecting: nil)
                }
            }
            throw Self.map(error, connecting: nil)
        }
    }

    /// Disarms the timer (a later firing is stale by its id anyway). After LOGOUT the server may already have
    /// closed the connection, and closing cancels the timer, so nothing is written then.
    func cancelTimer() async throws {
        self.timerID &+= 1
        guard self.machine.state != .loggedOut else { return }
        try await self.send(.cancelTimer)
    }

    /// On cancellation: end IDLE and log out without waiting for answers (the channel closes right after).
    func closeBestEffort() async {
        guard let bytes = self.machine.shutdown() else { return }
        // Not the async writer: the task is cancelled. Awaiting the write's future does not depend on it.
        do {
            try await self.channel.writeAndFlush(IMAPOutbound.bytes(bytes)).get()
        } catch {
            self.logger.debug("could not say LOGOUT while shutting down", metadata: ["error": "\(error)"])
        }
    }

    static func map(_ error: any Error, connecting target: String?) -> any Error {
        switch error {
        case let error as IMAPError: return error
        case let error as CancellationError: return error
        case is NIOSSLError, is BoringSSLError, is NIOSSLExtraError:
            return IMAPError(.tlsFailed, "TLS failed: \(error)")
        default:
            if let target { return IMAPError(.connectionLost, "cannot connect to \(target): \(error)") }
            return IMAPError(.connectionLost, "the connection failed: \(error)")
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
