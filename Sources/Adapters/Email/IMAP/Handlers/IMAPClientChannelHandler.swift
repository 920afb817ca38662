public import NIOCore
import NIOSSL

/// What the connection's async side reads.
public enum IMAPInbound: Sendable {
    case response(IMAPResponse)
    /// A timer armed with ``IMAPOutbound/armTimer(_:id:)`` went off.
    case timerFired(id: UInt64)
}

/// What the connection's async side writes.
public enum IMAPOutbound: Sendable {
    case bytes(ByteBuffer)
    /// Send a STARTTLS command; when its tagged OK arrives, TLS starts before anything else is read.
    case startTLS(ByteBuffer, tag: String)
    /// Deliver ``IMAPInbound/timerFired(id:)`` after `delay`, replacing any armed timer.
    case armTimer(TimeAmount, id: UInt64)
    case cancelTimer
}

/// The thin channel layer: frames and parses inbound bytes (bounded), writes commands, runs one timer, and
/// performs STARTTLS in the same event-loop tick as the server's tagged OK.
///
/// STARTTLS (RFC 3501 §6.2.1, RFC 2595 §3.1): the TLS handler goes in front of this one while the OK is
/// being delivered, so every later byte goes through TLS. If any plaintext byte is already buffered past
/// the OK, it was sent before the handshake and could be injected into the TLS session: the connection is
/// closed with ``IMAPError`` `plaintext-after-starttls`.
final class IMAPClientChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = IMAPInbound
    typealias OutboundIn = IMAPOutbound
    typealias OutboundOut = ByteBuffer

    private let processor: NIOSingleStepByteToMessageProcessor<IMAPResponseDecoder>
    private let tlsContext: NIOSSLContext?
    private let serverHostname: String?
    private var startTLSTag: String?
    private var timer: Scheduled<Void>?
    private var failed = false

    init(limits: IMAPFramingLimits, tlsContext: NIOSSLContext?, serverHostname: String?) {
        // Literal bytes are taken out of the buffer as they come; only a partial line waits in it.
        self.processor = NIOSingleStepByteToMessageProcessor(
            IMAPResponseDecoder(limits: limits), maximumBufferSize: limits.maxLineLength + 2
        )
        self.tlsContext = tlsContext
        self.serverHostname = serverHostname
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.failed else { return }
        do {
            var startedTLS = false
            try self.processor.process(buffer: self.unwrapInboundIn(data)) { response in
                startedTLS = try self.startTLSIfDue(context: context, response: response) || startedTLS
                context.fireChannelRead(self.wrapInboundOut(.response(response)))
            }
            // This read's own read-complete now passes through the TLS handler, which keeps it to itself:
            // deliver one here so the STARTTLS answer is not held back.
            if startedTLS { context.fireChannelReadComplete() }
        } catch {
            self.failed = true
            context.fireErrorCaught(error)
            context.close(promise: nil)
        }
    }

    /// - Returns: true when TLS was put in front of this handler.
    private func startTLSIfDue(context: ChannelHandlerContext, response: IMAPResponse) throws -> Bool {
        guard let tag = self.startTLSTag, case .tagged(let tagged) = response, tagged.tag == tag else { return false }
        self.startTLSTag = nil
        guard tagged.status == .ok else { return false }
        guard self.processor.unprocessedBytes == 0 else {
            throw IMAPError(.plaintextAfterStartTLS, "the server sent data after its STARTTLS OK, before TLS")
        }
        guard let tlsContext = self.tlsContext else {
            throw IMAPError(.startTLSUnavailable, "no TLS configuration for STARTTLS")
        }
        let tls = try NIOSSLClientHandler(context: tlsContext, serverHostname: self.serverHostname)
        try context.pipeline.syncOperations.addHandler(tls, position: .before(self))
        return true
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch self.unwrapOutboundIn(data) {
        case .bytes(let bytes):
            context.write(self.wrapOutboundOut(bytes), promise: promise)
        case .startTLS(let bytes, let tag):
            self.startTLSTag = tag
            context.write(self.wrapOutboundOut(bytes), promise: promise)
        case .armTimer(let delay, let id):
            self.timer?.cancel()
            let bound = NIOLoopBound((context, self), eventLoop: context.eventLoop)
            self.timer = context.eventLoop.scheduleTask(in: delay) {
                let (context, handler) = bound.value
                handler.timer = nil
                context.fireChannelRead(handler.wrapInboundOut(.timerFired(id: id)))
                context.fireChannelReadComplete()
            }
            promise?.succeed()
        case .cancelTimer:
            self.timer?.cancel()
            self.timer = nil
            promise?.succeed()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
    }
}
