import Logging
import NIOCore
import NIOSSL

/// Carries out an ``SMTPClientStateMachine`` on a channel: writes its commands, adds TLS when it says so,
/// streams the message, runs the timeouts, and completes `promise` once with the outcome.
///
/// Pipeline: `[NIOSSLClientHandler] → ByteToMessageHandler<SMTPReplyDecoder> → SMTPClientHandler`. For
/// STARTTLS the TLS handler is inserted before the decoder from inside `channelRead` of the 220 reply, so no
/// byte can be read in between; the state machine has already refused the go-ahead if anything followed it.
final class SMTPClientHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = SMTPReplyDecoder.Received
    typealias OutboundOut = ByteBuffer

    struct TLS {
        var context: NIOSSLContext
        var serverHostname: String?
    }

    private var machine: SMTPClientStateMachine
    private let message: [UInt8]
    private var body: SMTPDataEncoder?
    private let startTLS: TLS?
    private let timeouts: SMTPClientConfiguration.Timeouts
    private let promise: EventLoopPromise<SMTPSubmissionResult>
    private var reported = false
    private var timer: Scheduled<Void>?
    private let logger: Logger

    /// Bytes per DATA chunk written while the channel is writable.
    static let chunkSize = 16 * 1024
    /// How long to wait for the answer to QUIT once the outcome is known (RFC 5321 §4.5.3.2 leaves it open).
    static let quitTimeout: Duration = .seconds(10)

    init(
        machine: SMTPClientStateMachine,
        message: [UInt8],
        startTLS: TLS?,
        timeouts: SMTPClientConfiguration.Timeouts,
        promise: EventLoopPromise<SMTPSubmissionResult>,
        logger: Logger
    ) {
        self.machine = machine
        self.message = message
        self.startTLS = startTLS
        self.timeouts = timeouts
        self.promise = promise
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        self.arm(self.timeouts.command, context: context, waitingFor: "the greeting")
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let received = Self.unwrapInboundIn(data)
        self.timer?.cancel()
        self.logger.trace("smtp reply", metadata: ["code": "\(received.reply.code)"])
        self.perform(self.machine.received(received.reply, bufferedBytes: received.bufferedBytes), context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.perform(self.machine.connectionClosed(), context: context)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.report(.failure(SMTPError(.connectionLost, "the connection was torn down")))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.perform(self.machine.failed(Self.classify(error)), context: context)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, self.body != nil { self.pumpBody(context: context) }
        context.fireChannelWritabilityChanged()
    }

    // MARK: Actions

    private func perform(_ action: SMTPClientStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .send(let command):
            self.write(command, context: context)
        case .upgradeToTLS:
            self.upgradeToTLS(context: context)
        case .sendBody:
            self.body = SMTPDataEncoder(message: self.message)
            self.pumpBody(context: context)
        case .quit(let outcome):
            self.report(outcome)
            self.body = nil
            self.write(.quit, context: context, timeout: min(self.timeouts.command, Self.quitTimeout))
        case .close(let outcome):
            if let outcome { self.report(outcome) }
            self.body = nil
            self.timer?.cancel()
            context.close(promise: nil)
        case .none:
            break
        }
    }

    private func write(_ command: SMTPCommand, context: ChannelHandlerContext, timeout: Duration? = nil) {
        self.logger.debug("smtp command", metadata: ["command": "\(command)"])
        var buffer = context.channel.allocator.buffer(capacity: command.line.utf8.count + 2)
        command.write(into: &buffer)
        context.writeAndFlush(Self.wrapOutboundOut(buffer), promise: nil)
        self.arm(timeout ?? self.timeouts.command, context: context, waitingFor: "the reply to \(command.line.prefix(4))")
    }

    private func upgradeToTLS(context: ChannelHandlerContext) {
        guard let tls = self.startTLS else {
            self.perform(self.machine.failed(SMTPError(.tlsConfiguration, "STARTTLS without a TLS context")), context: context)
            return
        }
        do {
            let pipeline = context.pipeline.syncOperations
            let decoder = try pipeline.handler(type: ByteToMessageHandler<SMTPReplyDecoder>.self)
            let handler = try NIOSSLClientHandler(context: tls.context, serverHostname: tls.serverHostname)
            try pipeline.addHandler(handler, position: .before(decoder))
        } catch {
            self.perform(self.machine.failed(Self.classify(error)), context: context)
            return
        }
        self.perform(self.machine.tlsStarted(), context: context)
    }

    /// Writes chunks while the channel is writable, so at most one chunk beyond the high-water mark waits
    /// in memory; resumes from `channelWritabilityChanged`.
    private func pumpBody(context: ChannelHandlerContext) {
        guard var body = self.body else { return }
        // Each pass writes one bounded chunk; the encoder finishes after message.count / chunk passes.
        while context.channel.isWritable, let chunk = body.nextChunk(maxBytes: Self.chunkSize, allocator: context.channel.allocator) {
            context.write(Self.wrapOutboundOut(chunk), promise: nil)
        }
        context.flush()
        if body.isFinished {
            self.body = nil
            self.arm(self.timeouts.dataCompletion, context: context, waitingFor: "the reply to the end of DATA")
            self.perform(self.machine.bodySent(), context: context)
        } else {
            self.body = body
            self.arm(self.timeouts.command, context: context, waitingFor: "the server to read the message")
        }
    }

    // MARK: Support

    private func report(_ outcome: Result<SMTPSubmissionResult, SMTPError>) {
        guard !self.reported else { return }
        self.reported = true
        switch outcome {
        case .success(let result):
            self.logger.debug("smtp transaction done", metadata: ["accepted": "\(result.accepted.count)"])
            self.promise.succeed(result)
        case .failure(let error):
            self.logger.debug("smtp session failed", metadata: ["error": "\(error.shortDescription)"])
            self.promise.fail(error)
        }
    }

    private func arm(_ duration: Duration, context: ChannelHandlerContext, waitingFor what: String) {
        self.timer?.cancel()
        self.timer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(duration)) {
            let error = SMTPError(.timeout, "no progress within \(duration) waiting for \(what)")
            self.perform(self.machine.failed(error), context: context)
        }
    }

    static func classify(_ error: any Error) -> SMTPError {
        switch error {
        case let error as SMTPError:
            return error
        case is NIOSSLError, is BoringSSLError, is NIOSSLExtraError:
            return SMTPError(.tlsHandshakeFailed, "TLS failed: \(error)")
        default:
            return SMTPError(.connectionLost, "the connection failed: \(error)")
        }
    }
}
