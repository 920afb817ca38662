import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import bridged

/// Nobody can hoard the public listener's connections: over-budget connections are closed at once, and
/// connections that never send a request are closed at the header timeout.
@Suite("Public listener: connection budget and timeouts", .serialized)
struct ListenerLimitsTests {
    /// A raw TCP connection that sends `bytes` and then nothing.
    func hoard(_ port: Int, sending bytes: String) async throws -> any Channel {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port).get()
        if !bytes.isEmpty { try await channel.writeAndFlush(ByteBuffer(string: bytes)) }
        return channel
    }

    @Test("eight silent or half-sent connections fill one source's budget, a ninth is closed at once, /healthz still answers, and the timeout frees them all")
    func hoardedConnectionsAreClosed() async throws {
        let fixture = try GatewayFixture(http: "header_timeout_seconds = 10\nmax_connections_per_source = 8")
        defer { fixture.remove() }
        try await fixture.start()
        let port = try #require(await fixture.gateway.ports.publicPort)
        var hoarded: [any Channel] = []
        defer { for channel in hoarded { channel.close(promise: nil) } }
        for index in 0..<8 {
            // Half of them stop in the middle of a request head.
            hoarded.append(try await self.hoard(port, sending: index % 2 == 0 ? "" : "POST /hooks/globex-chat HTTP/1.1\r\nHost: x\r\n"))
        }
        try await eventually("the gateway counted the eight connections") { fixture.gateway.publicConnections == 8 }
        let extra = try await self.hoard(port, sending: "")
        try await eventually("the ninth connection from the same source was closed at once") { !extra.isActive }
        #expect(try await fixture.admin("/healthz").status == 200, "the admin listener is not starved")
        try await eventually("every hoarded connection was closed at the header timeout", within: 30) {
            hoarded.allSatisfy { !$0.isActive }
        }
        #expect(try await fixture.post(GatewayFixture.message("after-the-hoard")).status == 202)
        try await fixture.stop()
    }
}
