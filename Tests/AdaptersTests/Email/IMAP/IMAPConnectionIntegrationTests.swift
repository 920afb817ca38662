import Adapters
import BridgeModel
import Logging
import NIOCore
import PeerHarness
import Testing

@Suite("IMAP client against a real Dovecot", .serialized)
struct IMAPConnectionIntegrationTests {
    static let logger = Logger(label: "imap-test")

    static func configuration(
        _ dovecot: DovecotFixture,
        security: IMAPConnectionConfiguration.Security,
        authentication: IMAPConnectionConfiguration.Authentication,
        password: String = DovecotFixture.gateway.password,
        trustFixture: Bool = true
    ) -> IMAPConnectionConfiguration {
        IMAPConnectionConfiguration(
            host: "127.0.0.1",
            port: security == .implicitTLS ? dovecot.imapsPort : dovecot.imapPort,
            security: security,
            username: DovecotFixture.gateway.user,
            password: Secret(bytes: Array(password.utf8)),
            authentication: authentication,
            trustRootsPEMFile: trustFixture ? dovecot.certificatePath : nil,
            serverHostname: DovecotFixture.serverHostname,
            commandTimeout: .seconds(30)
        )
    }

    static func tlsLogin(in log: String) -> Bool {
        log.split(separator: "\n").contains {
            $0.contains("Login: user=<gateway@acme.test>, method=PLAIN") && $0.contains(", TLS, ")
        }
    }

    @Test("STARTTLS then LOGIN: TLS is up before the credentials, the post-login capabilities are known")
    func startTLSLogin() async throws {
        let dovecot = try DovecotFixture()
        try await dovecot.waitReady()
        try await dovecot.deliver(to: DovecotFixture.gateway.user, raw: IMAPTestSupport.message(subject: "one"))
        let result = await IMAPTestSupport.capture {
            try await IMAPConnection.withConnection(
                Self.configuration(dovecot, security: .startTLS, authentication: .login), logger: Self.logger
            ) { connection in
                let capabilities = connection.capabilities
                let status = try await connection.select("INBOX")
                let uids = try await connection.uidSearch([.all])
                try await connection.logout()
                return (capabilities, status, uids)
            }
        }
        let log = dovecot.log
        await dovecot.stop()
        let (capabilities, status, uids) = try result.get()
        #expect(capabilities.contains("IDLE") && capabilities.contains("MOVE") && !capabilities.contains("STARTTLS"))
        #expect(status.exists == 1 && status.uidNext == 2)
        #expect(uids == [1])
        // Dovecot logs each login and whether the session was TLS-protected (LOGIN is logged as method=PLAIN).
        #expect(Self.tlsLogin(in: log))
    }

    @Test("implicit TLS then AUTHENTICATE PLAIN with SASL-IR")
    func implicitTLSPlain() async throws {
        let dovecot = try DovecotFixture()
        try await dovecot.waitReady()
        let result = await IMAPTestSupport.capture {
            try await IMAPConnection.withConnection(
                Self.configuration(dovecot, security: .implicitTLS, authentication: .plain), logger: Self.logger
            ) { connection in
                try await connection.noop()
                try await connection.logout()
                return connection.capabilities
            }
        }
        let log = dovecot.log
        await dovecot.stop()
        #expect(try result.get().contains("IDLE"))
        #expect(Self.tlsLogin(in: log))
    }

    @Test("a wrong password is a non-transient authentication error whose text does not contain the password")
    func wrongPassword() async throws {
        let dovecot = try DovecotFixture()
        try await dovecot.waitReady()
        var errors: [IMAPError] = []
        for authentication in [IMAPConnectionConfiguration.Authentication.plain, .login] {
            do {
                try await IMAPConnection.withConnection(
                    Self.configuration(
                        dovecot, security: .startTLS, authentication: authentication, password: "wrong-horse-battery"),
                    logger: Self.logger
                ) { _ in }
                Issue.record("logged in with a wrong password")
            } catch let error as IMAPError {
                errors.append(error)
            }
        }
        await dovecot.stop()
        #expect(errors.count == 2)
        for error in errors {
            #expect(
                error.isAuthenticationFailure && !error.isTransient && error.shortDescription == "authentication-failed"
            )
            #expect(!"\(error)".contains("wrong-horse-battery"))
        }
    }

    @Test("a certificate the client does not trust fails the TLS handshake (verification is on)")
    func untrustedCertificate() async throws {
        let dovecot = try DovecotFixture()
        try await dovecot.waitReady()
        var failure: IMAPError?
        for security in [IMAPConnectionConfiguration.Security.implicitTLS, .startTLS] {
            do {
                try await IMAPConnection.withConnection(
                    Self.configuration(dovecot, security: security, authentication: .plain, trustFixture: false),
                    logger: Self.logger
                ) { _ in }
                Issue.record("connected to a server with an untrusted certificate")
            } catch let error as IMAPError {
                failure = error
                #expect(error.shortDescription == "tls-failed", "\(security)")
            }
        }
        let log = dovecot.log
        await dovecot.stop()
        #expect(failure != nil)
        #expect(!log.contains("Login: user=<gateway@acme.test>"))
    }
}
