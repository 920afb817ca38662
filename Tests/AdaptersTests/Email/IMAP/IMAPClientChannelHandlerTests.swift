import BridgeModel
import NIOCore
import NIOEmbedded
import Testing

@testable import Adapters

@Suite("IMAP channel handler: STARTTLS in the same tick, timers")
struct IMAPClientChannelHandlerTests {
    static func channel() throws -> EmbeddedChannel {
        let configuration = IMAPConnectionConfiguration(
            host: "127.0.0.1", port: 1, security: .startTLS, username: "u", password: Secret(bytes: [0x70])
        )
        let handler = IMAPClientChannelHandler(
            limits: IMAPFramingLimits(), tlsContext: try configuration.makeTLSContext(), serverHostname: "localhost"
        )
        let channel = EmbeddedChannel(handler: handler)
        try channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    static func responses(_ channel: EmbeddedChannel) throws -> [IMAPResponse] {
        var responses: [IMAPResponse] = []
        while let inbound = try channel.readInbound(as: IMAPInbound.self) {
            if case .response(let response) = inbound { responses.append(response) }
        }
        return responses
    }

    @Test("the tagged OK to STARTTLS puts TLS in front at once: the next bytes written are a TLS ClientHello")
    func startTLS() throws {
        let channel = try Self.channel()
        try channel.writeOutbound(IMAPOutbound.startTLS(ByteBuffer(string: "A1 STARTTLS\r\n"), tag: "A1"))
        #expect(try channel.readOutbound(as: ByteBuffer.self).map { String(buffer: $0) } == "A1 STARTTLS\r\n")
        try channel.writeInbound(ByteBuffer(string: "A1 OK Begin TLS negotiation now.\r\n"))
        #expect(try Self.responses(channel).count == 1)
        // A TLS handshake record: content type 22, version 3.x.
        let hello = try channel.readOutbound(as: ByteBuffer.self)
        #expect(hello.map { Array($0.readableBytesView.prefix(2)) } == [0x16, 0x03])
        #expect(try channel.finish().isClean)
    }

    @Test("plaintext buffered after the STARTTLS OK is an injection: the connection closes and nothing more is read")
    func injection() throws {
        let channel = try Self.channel()
        try channel.writeOutbound(IMAPOutbound.startTLS(ByteBuffer(string: "A1 STARTTLS\r\n"), tag: "A1"))
        _ = try channel.readOutbound(as: ByteBuffer.self)
        var caught: (any Error)?
        do {
            try channel.writeInbound(ByteBuffer(string: "A1 OK Begin TLS negotiation now.\r\n* 1 EXISTS\r\n"))
        } catch {
            caught = error
        }
        #expect((caught as? IMAPError)?.shortDescription == "plaintext-after-starttls")
        #expect(try Self.responses(channel).isEmpty)
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        #expect(!channel.isActive)
    }

    @Test("a refused STARTTLS leaves the connection in plaintext")
    func refused() throws {
        let channel = try Self.channel()
        try channel.writeOutbound(IMAPOutbound.startTLS(ByteBuffer(string: "A1 STARTTLS\r\n"), tag: "A1"))
        _ = try channel.readOutbound(as: ByteBuffer.self)
        try channel.writeInbound(ByteBuffer(string: "A1 NO not now\r\n* 2 EXISTS\r\n"))
        #expect(try Self.responses(channel).count == 2)
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        #expect(try channel.finish().isClean)
    }

    @Test("an armed timer fires once with its id; re-arming replaces it; cancelling silences it")
    func timers() throws {
        let channel = try Self.channel()
        try channel.writeOutbound(IMAPOutbound.armTimer(.seconds(5), id: 1))
        try channel.writeOutbound(IMAPOutbound.armTimer(.seconds(10), id: 2))
        channel.embeddedEventLoop.advanceTime(by: .seconds(6))
        #expect(try channel.readInbound(as: IMAPInbound.self) == nil)
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        guard case .timerFired(id: 2)? = try channel.readInbound(as: IMAPInbound.self) else {
            Issue.record("timer 2 did not fire")
            return
        }
        try channel.writeOutbound(IMAPOutbound.armTimer(.seconds(1), id: 3))
        try channel.writeOutbound(IMAPOutbound.cancelTimer)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(try channel.readInbound(as: IMAPInbound.self) == nil)
        #expect(try channel.finish().isClean)
    }
}
