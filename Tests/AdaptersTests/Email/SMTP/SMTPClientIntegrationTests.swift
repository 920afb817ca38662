import Adapters
import BridgeModel
import Foundation
import Logging
import NIOPosix
import PeerHarness
import Testing

/// The client against a real Exim 4.96 started by each test (``EximFixture``).
@Suite("SMTP client against a real Exim", .serialized)
struct SMTPClientIntegrationTests {
    static func address(_ text: String) -> Address { try! Address(parsing: text) }  // test literals only

    static func client(
        _ exim: EximFixture,
        security: SMTPClientConfiguration.Security = .startTLS,
        password: String? = EximFixture.password,
        trustFixture: Bool = true
    ) -> SMTPClient {
        let configuration = SMTPClientConfiguration(
            host: "127.0.0.1",
            port: security == .implicitTLS ? exim.implicitTLSPort : exim.port,
            security: security,
            credentials: password.map { SMTPCredentials(username: EximFixture.username, password: Secret(bytes: Array($0.utf8))) },
            heloName: "gw.acme.test",
            trustRootsPEMFile: trustFixture ? exim.certificatePath : nil,
            serverHostname: "localhost",
            timeouts: SMTPClientConfiguration.Timeouts(connect: .seconds(10), command: .seconds(30), dataCompletion: .seconds(30))
        )
        return SMTPClient(configuration: configuration, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "smtp-test"))
    }

    /// Starts an Exim for `body` and always stops it; its files are kept when `body` throws.
    static func withExim(_ options: EximFixture.Options = EximFixture.Options(), _ body: (EximFixture) async throws -> Void) async throws {
        let exim = try EximFixture(options)
        do {
            try await exim.waitReady()
            try await body(exim)
        } catch {
            Issue.record("Exim files kept in \(exim.directory.path)")
            await exim.stop(keepingFiles: true)
            throw error
        }
        await exim.stop()
    }

    static func submitError(_ client: SMTPClient, _ message: [UInt8], to recipients: [String]) async -> SMTPError? {
        do {
            let result = try await client.submit(message, envelope: SMTPEnvelope(mailFrom: address("bob@gw.acme.test"), recipients: recipients.map(address)))
            Issue.record("the submission succeeded: \(result)")
            return nil
        } catch {
            return error
        }
    }

    /// A composed message whose chat text tries header injection and an early end of DATA.
    static func composed(subject: String = "Grüße aus dem Chat") -> [UInt8] {
        let email = OutboundEmail(
            from: .init(displayName: "Bob (Globex)", address: address("r.room-1.abcdefghijklmnop@gw.acme.test")),
            to: [.init(displayName: "Carol", address: address("carol@initech.test"))],
            subject: subject,
            messageID: OutboundEmail.MessageID("m1.test@gw.acme.test")!,
            date: Date(timeIntervalSince1970: 1_795_262_400),
            text: "hello\r\nBcc: x@evil.test\r\n.\r\n.leading dot line\nQUIT\n",
            extraHeaders: [.init(.autoSubmitted, "auto-generated")]
        )
        return MIMEComposer.render(email)
    }

    static func unixLines(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
    }

    @Test("STARTTLS, AUTH PLAIN and a composed message: it lands in the maildir byte for byte, dot lines restored")
    func deliversComposedMessage() async throws {
        try await Self.withExim { exim in
            let message = Self.composed()
            let result = try await Self.client(exim).submit(
                message, envelope: SMTPEnvelope(mailFrom: Self.address("bob@gw.acme.test"), recipients: [Self.address("carol@initech.test")])
            )
            #expect(result.outcomes == [Self.address("carol@initech.test"): .accepted])
            #expect(result.finalReply?.code == 250)
            let stored = try await exim.waitForDelivery(to: "carol@initech.test")
            let text = Self.unixLines(stored[0])
            // Exim prepends its trace headers; everything after them is exactly what was composed.
            #expect(text.hasSuffix(Self.unixLines(message)), "stored:\n\(text)")
            #expect(text.contains("\n.\n") && text.contains("\n.leading dot line\n"))
            let headers = text.components(separatedBy: "\n\n")[0]
            #expect(!headers.split(separator: "\n").contains { $0.lowercased().hasPrefix("bcc:") })
            // The reception log line names the TLS session and the authenticated user.
            let received = exim.mainLog.split(separator: "\n").first { $0.contains(" <= bob@gw.acme.test") } ?? ""
            #expect(received.contains("X=TLS") && received.contains("A=plain:\(EximFixture.username)"), "mainlog: \(exim.mainLog)")
        }
    }

    @Test("a raw message with bare LF and lines starting with a dot arrives with those lines intact")
    func rawDotLines() async throws {
        try await Self.withExim { exim in
            let raw = Array("From: bob@gw.acme.test\nTo: carol@initech.test\nSubject: dots\n\n.one\n..two\n.\nlast".utf8)
            _ = try await Self.client(exim).submit(
                raw, envelope: SMTPEnvelope(mailFrom: Self.address("bob@gw.acme.test"), recipients: [Self.address("carol@initech.test")])
            )
            let text = Self.unixLines(try await exim.waitForDelivery(to: "carol@initech.test")[0])
            #expect(text.hasSuffix("Subject: dots\n\n.one\n..two\n.\nlast\n"), "stored:\n\(text)")
        }
    }

    @Test("mixed recipients get accepted, transient and permanent outcomes, and only the accepted one gets mail")
    func perRecipientOutcomes() async throws {
        try await Self.withExim { exim in
            let recipients = ["carol@initech.test", "defer-dave@initech.test", "reject-erin@initech.test"].map(Self.address)
            let result = try await Self.client(exim).submit(
                Self.composed(), envelope: SMTPEnvelope(mailFrom: Self.address("bob@gw.acme.test"), recipients: recipients)
            )
            #expect(result.outcomes[recipients[0]] == .accepted)
            guard case .transient(let deferred)? = result.outcomes[recipients[1]], case .permanent(let rejected)? = result.outcomes[recipients[2]] else {
                Issue.record("outcomes: \(result.outcomes)")
                return
            }
            #expect(deferred.code == 451 && deferred.text.contains("deferred for the test"))
            #expect(rejected.code == 550 && rejected.enhancedStatus == "5.1.1")
            _ = try await exim.waitForDelivery(to: "carol@initech.test")
            #expect(try exim.deliveredMessages(to: "defer-dave@initech.test").isEmpty)
            #expect(try exim.deliveredMessages(to: "reject-erin@initech.test").isEmpty)
        }
    }

    @Test("when every recipient is refused no message is transferred")
    func allRefused() async throws {
        try await Self.withExim { exim in
            let recipients = ["reject-a@initech.test", "defer-b@initech.test"].map(Self.address)
            let result = try await Self.client(exim).submit(
                Self.composed(), envelope: SMTPEnvelope(mailFrom: Self.address("bob@gw.acme.test"), recipients: recipients)
            )
            #expect(result.accepted.isEmpty && result.outcomes.count == 2 && result.finalReply == nil)
            #expect(!exim.mainLog.contains(" <= "), "a message was received: \(exim.mainLog)")
            let deliveries = try exim.deliveryCount()
            #expect(deliveries == 0)
        }
    }

    @Test("a wrong password is a permanent authentication error without the password in it, and no mail")
    func wrongPassword() async throws {
        try await Self.withExim { exim in
            let error = await Self.submitError(Self.client(exim, password: "guess-Secret-42"), Self.composed(), to: ["carol@initech.test"])
            #expect(error?.shortDescription == "smtp-authentication-failed")
            #expect(error?.isTransient == false)
            #expect(error?.serverReply?.code == 535)
            #expect(!"\(String(describing: error))".contains("guess-Secret-42"))
            let deliveries = try exim.deliveryCount()
            #expect(deliveries == 0)
        }
    }

    @Test("a server that does not offer STARTTLS gets neither credentials nor mail")
    func startTLSNotOffered() async throws {
        try await Self.withExim(EximFixture.Options(startTLS: false)) { exim in
            let error = await Self.submitError(Self.client(exim), Self.composed(), to: ["carol@initech.test"])
            #expect(error?.shortDescription == "smtp-starttls-not-offered")
            #expect(!exim.mainLog.contains("authenticator failed") && !exim.mainLog.contains(" <= "))
            let deliveries = try exim.deliveryCount()
            #expect(deliveries == 0)
        }
    }

    @Test("a certificate that is not trusted fails the TLS handshake, with STARTTLS and with implicit TLS")
    func untrustedCertificate() async throws {
        try await Self.withExim { exim in
            for security in [SMTPClientConfiguration.Security.startTLS, .implicitTLS] {
                let error = await Self.submitError(Self.client(exim, security: security, trustFixture: false), Self.composed(), to: ["carol@initech.test"])
                #expect(error?.shortDescription == "smtp-tls-handshake-failed", "\(security): \(String(describing: error))")
                #expect(error?.isTransient == true)
            }
            let deliveries = try exim.deliveryCount()
            #expect(deliveries == 0)
        }
    }

    @Test("a message larger than the server's SIZE fails permanently before the transaction starts")
    func oversize() async throws {
        try await Self.withExim(EximFixture.Options(messageSizeLimit: 2_000)) { exim in
            let big = Self.composed() + Array(String(repeating: "0123456789abcdef\r\n", count: 200).utf8)
            let error = await Self.submitError(Self.client(exim), big, to: ["carol@initech.test"])
            #expect(error?.shortDescription == "smtp-message-too-large")
            #expect(error?.isTransient == false)
            #expect(!exim.mainLog.contains(" <= ") && !exim.mainLog.contains("message too big"))
            let deliveries = try exim.deliveryCount()
            #expect(deliveries == 0)
        }
    }

    @Test("implicit TLS (port 465 style) submits with AUTH")
    func implicitTLS() async throws {
        try await Self.withExim { exim in
            let result = try await Self.client(exim, security: .implicitTLS).submit(
                Self.composed(), envelope: SMTPEnvelope(mailFrom: nil, recipients: [Self.address("carol@initech.test")])
            )
            #expect(result.accepted == [Self.address("carol@initech.test")])
            let text = Self.unixLines(try await exim.waitForDelivery(to: "carol@initech.test")[0])
            #expect(text.hasPrefix("Return-path: <>\n"), "the null sender was not kept: \(text.prefix(200))")
        }
    }

    @Test("the plaintext mode sends without credentials, and refuses before connecting when it has some")
    func plaintextMode() async throws {
        try await Self.withExim(EximFixture.Options(startTLS: false, requireAuthentication: false)) { exim in
            let result = try await Self.client(exim, security: .plaintext, password: nil).submit(
                Self.composed(), envelope: SMTPEnvelope(mailFrom: Self.address("bob@gw.acme.test"), recipients: [Self.address("carol@initech.test")])
            )
            #expect(result.accepted.count == 1)
            _ = try await exim.waitForDelivery(to: "carol@initech.test")
            let error = await Self.submitError(Self.client(exim, security: .plaintext), Self.composed(), to: ["carol@initech.test"])
            #expect(error?.shortDescription == "smtp-authentication-requires-tls")
        }
    }

    @Test("with an LMTP port configured the fixture routes accepted mail there (here a closed port: deferred)")
    func lmtpRouting() async throws {
        let closedPort = try EximFixture.freePort()
        try await Self.withExim(EximFixture.Options(lmtpPort: closedPort)) { exim in
            let result = try await Self.client(exim).submit(
                Self.composed(), envelope: SMTPEnvelope(mailFrom: Self.address("bob@gw.acme.test"), recipients: [Self.address("carol@initech.test")])
            )
            #expect(result.accepted.count == 1)
            let deadline = ContinuousClock.now + .seconds(15)
            while !exim.mainLog.contains("T=lmtp_out defer"), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(exim.mainLog.contains("R=to_lmtp T=lmtp_out defer"), "mainlog: \(exim.mainLog)")
            let deliveries = try exim.deliveryCount()
            #expect(deliveries == 0)
        }
    }

    @Test("a non-ASCII recipient is sent with SMTPUTF8")
    func smtpUTF8() async throws {
        try await Self.withExim { exim in
            let result = try await Self.client(exim).submit(
                Self.composed(), envelope: SMTPEnvelope(mailFrom: Self.address("bob@gw.acme.test"), recipients: [Self.address("jörg@initech.test")])
            )
            #expect(result.accepted == [Self.address("jörg@initech.test")])
            _ = try await exim.waitForDelivery(to: "jörg@initech.test")
            // Exim writes the maildir file before it logs the delivery line; wait for the log too.
            let deadline = ContinuousClock.now + .seconds(15)
            while !exim.mainLog.contains("<jörg@initech.test> R="), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(exim.mainLog.contains("<jörg@initech.test> R="), "mainlog: \(exim.mainLog)")
        }
    }
}
