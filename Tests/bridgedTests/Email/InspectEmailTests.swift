import Foundation
import Testing

@testable import bridged

@Suite("bridged inspect email")
struct InspectEmailTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../AdaptersTests/Email/Corpus").standardized

    func fixture() throws -> GatewayFixture {
        try GatewayFixture(extraFiles: [
            "var/secrets/reply.key": "inspect-key\n",
            "adapters.d/initech-mail.toml": """
                type = "email"
                org = "initech"
                mail_domain = "bridge.acme.test"
                reply_key_file = "var/secrets/reply.key"
                trusted_authserv_ids = ["mx.acme.test"]
                [smtp]
                host = "127.0.0.1"
                port = 1
                """,
        ])
    }

    @Test("a corpus message prints what was read and the envelope; a broken one prints the refusal and exits 1")
    func inspect() throws {
        let fixture = try self.fixture()
        defer { fixture.remove() }
        let good = try DaemonProcess.command([
            "inspect", "email", "--config", fixture.root.path, Self.corpus.appendingPathComponent("client-thunderbird-reply.eml").path,
        ])
        #expect(good.output.contains("message-id:"), "\(good.output)")
        #expect(good.output.contains("authentication:"), "\(good.output)")
        // Its recipients are not on the gateway's mail domain, so it is refused with that reason.
        #expect(good.status == 1 && good.output.contains("refused:        email-no-bridged-recipient"), "\(good.output)")

        let broken = try DaemonProcess.command([
            "inspect", "email", "--config", fixture.root.path, Self.corpus.appendingPathComponent("broken-no-from.eml").path,
        ])
        #expect(broken.status == 1)
        #expect(broken.output.contains("refused:        email-no-from"), "\(broken.output)")

        let mail = fixture.root.appendingPathComponent("to-alice.eml")
        try """
            Authentication-Results: mx.acme.test; dkim=pass header.d=initech.test\r
            From: Carol <carol@initech.test>\r
            To: alice=acme.test@bridge.acme.test\r
            Subject: hello\r
            Message-ID: <inspect-1@initech.test>\r
            \r
            Hi Alice\r

            """.write(to: mail, atomically: true, encoding: .utf8)
        let bridged = try DaemonProcess.command(["inspect", "email", "--config", fixture.root.path, mail.path])
        #expect(bridged.status == 0, "\(bridged.output)")
        #expect(bridged.output.contains(#""recipients":["alice@acme.test"]"#), "\(bridged.output)")
        #expect(bridged.output.contains("verified(\"dkim\")"), "\(bridged.output)")
    }
}
