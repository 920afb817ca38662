public import BridgeModel
import Logging
public import NIOCore
import NIOPosix

/// Connects to an XMPP server's component port (XEP-0114) and runs one authenticated session.
///
/// XEP-0114 has no TLS: keep the component link on loopback or a private network.
public enum XMPPComponentClient {
    /// Connects, opens the stream and completes the handshake, then hands the session to `body`; the
    /// connection closes when `body` returns or throws.
    /// - Throws: ``ComponentError`` when the handshake fails (for example `not-authorized` for a wrong secret).
    public static func withSession<Result: Sendable>(
        host: String,
        port: Int,
        component: String,
        secret: Secret,
        limits: XMPPStreamLimits = XMPPStreamLimits(),
        _ body: (XMPPComponentSession) async throws -> Result
    ) async throws -> Result {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(XMPPStreamDecoder(limits: limits)))
                    return try NIOAsyncChannel<XMPPStreamEvent, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            let session = XMPPComponentSession(
                machine: ComponentStateMachine(component: component, secret: secret),
                iterator: inbound.makeAsyncIterator(), outbound: outbound
            )
            try await session.handshake()
            return try await body(session)
        }
    }
}

/// What a component session reads.
public enum XMPPComponentInbound: Hashable, Sendable {
    case stanza(XMLElement)
    /// A stanza that broke a parser limit; only its addressing attributes are kept.
    case refused(XMLElement, reason: String)
}

/// An authenticated component stream. Read stanzas with ``next()`` from the task that owns the session;
/// send from anywhere through ``sender``.
public final class XMPPComponentSession {
    private var machine: ComponentStateMachine
    private var iterator: NIOAsyncChannelInboundStream<XMPPStreamEvent>.AsyncIterator
    public let sender: XMPPComponentSender

    init(
        machine: ComponentStateMachine,
        iterator: NIOAsyncChannelInboundStream<XMPPStreamEvent>.AsyncIterator,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    ) {
        self.machine = machine
        self.iterator = iterator
        self.sender = XMPPComponentSender(outbound: outbound)
    }

    func handshake() async throws {
        if case .send(let header) = self.machine.connected() { try await self.sender.write(header) }
        while true {
            switch try await self.step() {
            case .established: return
            case .close(let error): throw error ?? ComponentError(.connectionLost, "the stream closed during the handshake")
            default: continue
            }
        }
    }

    /// The next stanza addressed to the component, or nil when the server closed the stream cleanly.
    /// - Throws: ``ComponentError`` for a stream error, a malformed stream or a lost connection.
    public func next() async throws -> XMPPComponentInbound? {
        while true {
            switch try await self.step() {
            case .deliver(let stanza): return .stanza(stanza)
            case .refuse(let stanza, let reason): return .refused(stanza, reason: reason)
            case .close(let error?): throw error
            case .close(nil): return nil
            default: continue
            }
        }
    }

    private func step() async throws -> ComponentStateMachine.Action {
        let event: XMPPStreamEvent?
        do {
            event = try await self.iterator.next()
        } catch let error as XMPPStreamError {
            // Tell the server why before the connection closes (RFC 6120 §4.9).
            try? await self.sender.write(
                "<stream:error><\(error.condition) xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>"
            )
            _ = self.machine.disconnected()
            throw ComponentError(.malformedStream(error.condition), error.detail)
        }
        guard let event else { return self.machine.disconnected() }
        let action = self.machine.received(event)
        if case .send(let text) = action { try await self.sender.write(text) }
        return action
    }
}

/// Sends on a component stream; safe to use from any task.
public struct XMPPComponentSender: Sendable {
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>

    public func send(_ stanza: XMLElement) async throws {
        try await self.write(XMLSerializer.serialize(stanza, inheritedNamespace: ComponentStateMachine.namespace))
    }

    /// Writes several stanzas in one go (one flush), in order.
    public func send(_ stanzas: [XMLElement]) async throws {
        try await self.outbound.write(contentsOf: stanzas.map {
            ByteBuffer(string: XMLSerializer.serialize($0, inheritedNamespace: ComponentStateMachine.namespace))
        })
    }

    /// A whitespace keepalive (RFC 6120 §4.6.1).
    public func keepalive() async throws { try await self.write(" ") }

    /// Ends the stream cleanly.
    public func close() async throws { try await self.write("</stream:stream>") }

    func write(_ text: String) async throws { try await self.outbound.write(ByteBuffer(string: text)) }
}
