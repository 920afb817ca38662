public import Logging
public import NIOCore
import NIOPosix
import NIOSSL

/// Submits messages to one SMTP server: one connection and one transaction per ``submit(_:envelope:)``.
///
/// The TLS context is built once, here; certificate verification is always on. With
/// ``SMTPClientConfiguration/trustRootsPEMFile`` the given roots replace the system's.
public struct SMTPClient: Sendable {
    public let configuration: SMTPClientConfiguration
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let tlsContext: Result<NIOSSLContext, SMTPError>?

    public init(configuration: SMTPClientConfiguration, eventLoopGroup: any EventLoopGroup, logger: Logger) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        if configuration.security == .plaintext {
            self.tlsContext = nil
        } else {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.minimumTLSVersion = .tlsv12
            tls.certificateVerification = .fullVerification
            if let file = configuration.trustRootsPEMFile { tls.trustRoots = .file(file) }
            do {
                self.tlsContext = .success(try NIOSSLContext(configuration: tls))
            } catch {
                self.tlsContext = .failure(SMTPError(.tlsConfiguration, "cannot build the TLS context: \(error)"))
            }
        }
    }

    /// Sends `message` (a complete RFC 5322 message; line endings are normalized to CRLF) to the
    /// envelope's recipients in one transaction.
    /// - Returns: one outcome per recipient. Refusals of single recipients, and a refusal of the message
    ///   after DATA, are outcomes, not errors.
    /// - Throws: ``SMTPError`` when the session fails as a whole: connection, TLS, STARTTLS not offered,
    ///   authentication, sender refused, message over the server's SIZE, timeouts.
    public func submit(_ message: [UInt8], envelope: SMTPEnvelope) async throws(SMTPError) -> SMTPSubmissionResult {
        let configuration = self.configuration
        guard !envelope.recipients.isEmpty else { throw SMTPError(.noRecipients, "the envelope has no recipient") }
        if configuration.security == .plaintext, configuration.credentials != nil {
            throw SMTPError(.authenticationRequiresTLS, "credentials are never sent over a plaintext connection")
        }
        // Fail on a bad HELO name before connecting.
        _ = try SMTPCommand.ehlo(configuration.heloName)
        let tls = try self.startTLSHandlerConfiguration()
        let machine = SMTPClientStateMachine(
            security: configuration.security,
            credentials: configuration.credentials,
            heloName: configuration.heloName,
            envelope: envelope,
            message: SMTPDataEncoder.inspect(message)
        )
        let eventLoop = self.eventLoopGroup.next()
        let promise = eventLoop.makePromise(of: SMTPSubmissionResult.self)
        let logger = self.logger
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: eventLoop)
                .connectTimeout(TimeAmount(configuration.timeouts.connect))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let pipeline = channel.pipeline.syncOperations
                        if configuration.security == .implicitTLS, let tls {
                            try pipeline.addHandler(NIOSSLClientHandler(context: tls.context, serverHostname: tls.serverHostname))
                        }
                        try pipeline.addHandler(ByteToMessageHandler(SMTPReplyDecoder(limits: configuration.replyLimits)))
                        try pipeline.addHandler(
                            SMTPClientHandler(
                                machine: machine,
                                message: message,
                                startTLS: configuration.security == .startTLS ? tls : nil,
                                timeouts: configuration.timeouts,
                                promise: promise,
                                logger: logger
                            )
                        )
                    }
                }
                .connect(host: configuration.host, port: configuration.port).get()
        } catch {
            promise.fail(SMTPError(.connectFailed, "cannot connect"))
            throw SMTPError(.connectFailed, "cannot connect to \(configuration.host):\(configuration.port): \(error)")
        }
        let outcome: Result<SMTPSubmissionResult, SMTPError> = await withTaskCancellationHandler {
            do {
                return .success(try await promise.futureResult.get())
            } catch {
                return .failure(SMTPClientHandler.classify(error))
            }
        } onCancel: {
            channel.close(promise: nil)
        }
        // The handler closes after QUIT is answered or times out, so this wait is bounded.
        do {
            try await channel.closeFuture.get()
        } catch {
            self.logger.debug("smtp close failed", metadata: ["error": "\(error)"])
        }
        let result = try outcome.get()
        self.logger.info(
            "smtp submission done",
            metadata: ["accepted": "\(result.accepted.count)", "recipients": "\(result.outcomes.count)"]
        )
        return result
    }

    /// The TLS context and name for the handler, nil in plaintext mode.
    func startTLSHandlerConfiguration() throws(SMTPError) -> SMTPClientHandler.TLS? {
        switch self.tlsContext {
        case .failure(let error)?: throw error
        case .success(let context)?: return SMTPClientHandler.TLS(context: context, serverHostname: self.sniName)
        case nil: return nil
        }
    }

    /// The SNI and certificate name: the configured one, or the host unless it is an IP address (then the
    /// certificate's IP entries are checked against the peer address and no SNI is sent).
    private var sniName: String? {
        if let name = self.configuration.serverHostname { return name }
        do {
            _ = try SocketAddress(ipAddress: self.configuration.host, port: 0)
            return nil
        } catch {
            return self.configuration.host  // not an IP address: a name
        }
    }
}
