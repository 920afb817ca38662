import Adapters
import PeerHarness
import BridgeModel
import Foundation
import Testing

@Suite("XEP-0114 against a real Prosody", .serialized)
struct ComponentIntegrationTests {
    @Test("the component authenticates with the right secret, and is refused not-authorized with a wrong one")
    func handshake() async throws {
        let prosody = try ProsodyFixture()
        try await prosody.waitReady()
        let good = Secret(bytes: Array(ProsodyFixture.secret.utf8))
        try await XMPPComponentClient.withSession(
            host: "127.0.0.1", port: prosody.componentPort, component: "partners.acme.test", secret: good
        ) { session in
            try await session.sender.close()
            #expect(try await session.next() == nil)
        }
        #expect(prosody.log.contains("External component successfully authenticated"))

        let wrong = Secret(bytes: Array("guess".utf8))
        var refusal: (any Error)?
        do {
            try await XMPPComponentClient.withSession(
                host: "127.0.0.1", port: prosody.componentPort, component: "partners.acme.test", secret: wrong
            ) { _ in }
        } catch {
            refusal = error
        }
        await prosody.stop()
        #expect((refusal as? ComponentError)?.streamCondition == "not-authorized")
    }
}
