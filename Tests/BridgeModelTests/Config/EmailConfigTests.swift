import BridgeModel
import Foundation
import Testing

@Suite("Email adapter config")
struct EmailConfigTests {
    static let valid = """
        type = "email"
        org = "acme"
        mail_domain = "bridge.acme.test"
        reply_key_file = "secrets/globex.secret"
        trusted_authserv_ids = ["MX.acme.test"]
        [imap]
        host = "mail.acme.test"
        username = "gateway@acme.test"
        password_file = "secrets/globex.secret"
        mark = "move"
        move_to = "Bridged"
        [smtp]
        host = "submission.acme.test"
        username = "gateway@acme.test"
        password_file = "secrets/globex.secret"
        """

    @Test("a full email adapter loads with its defaults: STARTTLS, ports 143 and 587, lower-cased authserv-ids")
    func loads() throws {
        let fixture = try ConfigFixture(["adapters.d/acme-mail.toml": Self.valid])
        defer { fixture.remove() }
        let snapshot = try ConfigLoader.load(directory: fixture.directory, environment: [:])
        let definition = try #require(snapshot.adapters.first { $0.name == "acme-mail" })
        guard case .email(let email) = definition.settings else {
            Issue.record("not an email adapter")
            return
        }
        #expect(email.imap?.port == 143 && email.imap?.security == .starttls && email.imap?.marking == .move("Bridged"))
        #expect(email.smtp?.port == 587 && email.smtp?.security == .starttls)
        #expect(email.trustedAuthservIDs == ["mx.acme.test"])
    }

    @Test(
        "each mistake names its key",
        arguments: [
            ("reply_key_file = \"secrets/globex.secret\"\n", "", "reply_key_env"),
            ("[imap]\n", "[imap]\nsecurity = \"plaintext\"\n", "imap.security"),
            ("mark = \"move\"\n", "mark = \"move\"\nidle_renew_seconds = 1800\n", "imap.idle_renew_seconds"),
            ("mark = \"move\"\nmove_to = \"Bridged\"\n", "mark = \"move\"\n", "imap.move_to"),
            ("[smtp]\n", "[smtp]\nsecurity = \"plaintext\"\n", "smtp.security"),
            ("[smtp]\n", "[smtp]\nspeed = 3\n", "smtp.speed"),
        ]
    )
    func mistakes(_ original: String, _ replacement: String, _ key: String) throws {
        let text = Self.valid.replacingOccurrences(of: original, with: replacement)
        #expect(text != Self.valid)
        let issues = try ConfigFixture.issues(["adapters.d/acme-mail.toml": text])
        #expect(issues.contains { $0.file == "adapters.d/acme-mail.toml" && $0.key == key }, "\(issues)")
    }
}
