import Foundation
import GRDB
import Adapters
import BridgeModel
import Logging
import NIOHTTP1
import NIOPosix
import PeerHarness
import Testing

@testable import bridged

/// initech is on email only. Its mail to the gateway's mail domain lands in the gateway's mailbox on a real
/// Dovecot (through LMTP, as the org's MTA would hand it over); the gateway reads it over IMAP (STARTTLS,
/// IDLE), and acme's people (on a webhook chat here) answer by SMTP submission through a real Exim, which
/// delivers into carol's mailbox on the same Dovecot.
@Suite("Email adapter against a real Dovecot and Exim", .serialized)
struct EmailBridgeTests {
    static let authResults = "Authentication-Results: mx.acme.test; dkim=pass header.d=initech.test; spf=pass smtp.mailfrom=initech.test"
    static let policy = """
        [[rule]]
        id = "initech-acme"
        action = "allow"
        from = ["org:initech"]
        to = ["org:acme"]
        both_ways = true
        """

    struct Peers {
        var dovecot: DovecotFixture
        var exim: EximFixture
        var sink: HookSink
        var gateway: GatewayFixture

        func stop() async throws {
            try await self.gateway.stop()
            await self.sink.stop()
            await self.exim.stop()
            await self.dovecot.stop()
        }
    }

    func setUp(
        policy: String = Self.policy, imapPassword: String = DovecotFixture.gateway.password, smtpPassword: String = EximFixture.password,
        orgs: String? = nil
    ) async throws -> Peers {
        let dovecot = try DovecotFixture()
        try await dovecot.waitReady()
        let exim = try EximFixture(EximFixture.Options(lmtpPort: dovecot.lmtpPort))
        try await exim.waitReady()
        let sink = HookSink()
        let hookPort = try await sink.start()
        let gateway = try GatewayFixture(
            acmeDeliverURL: "http://127.0.0.1:\(hookPort)/hooks/acme",
            policy: policy,
            extraFiles: [
                "var/secrets/imap.password": imapPassword + "\n",
                "var/secrets/smtp.password": smtpPassword + "\n",
                "var/secrets/reply.key": "a reply-address key only this test knows\n",
                "adapters.d/initech-mail.toml": Self.adapterFile(
                    Self.imapSection(dovecot) + """
                    [smtp]
                    host = "127.0.0.1"
                    port = \(exim.port)
                    security = "starttls"
                    username = "\(EximFixture.username)"
                    password_file = "var/secrets/smtp.password"
                    trust_roots_file = "\(exim.certificatePath)"
                    server_name = "localhost"
                    """
                ),
                "routes.toml": """
                    [[reach]]
                    org = "acme"
                    adapter = "acme-chat"
                    [[reach]]
                    org = "initech"
                    adapter = "initech-mail"
                    """,
            ].merging(orgs.map { ["orgs.toml": $0] } ?? [:]) { $1 }
        )
        try await gateway.start()
        return Peers(dovecot: dovecot, exim: exim, sink: sink, gateway: gateway)
    }

    /// The initech email adapter's file: the common head, then the given sections.
    static func adapterFile(_ sections: String) -> String {
        """
        type = "email"
        org = "initech"
        mail_domain = "bridge.acme.test"
        reply_key_file = "var/secrets/reply.key"
        trusted_authserv_ids = ["mx.acme.test"]

        """ + sections
    }

    static func imapSection(_ dovecot: DovecotFixture) -> String {
        """
        [imap]
        host = "127.0.0.1"
        port = \(dovecot.imapPort)
        security = "starttls"
        username = "\(DovecotFixture.gateway.user)"
        password_file = "var/secrets/imap.password"
        trust_roots_file = "\(dovecot.certificatePath)"
        server_name = "\(DovecotFixture.serverHostname)"

        """
    }

    static func mail(
        from: String = "Carol Ng <carol@initech.test>", to: String = "alice=acme.test@bridge.acme.test", id: String,
        subject: String = "Quarterly numbers", body: String, authenticated: Bool = true, extra: String = ""
    ) -> String {
        var headers = authenticated ? Self.authResults + "\r\n" : ""
        headers += "From: \(from)\r\nTo: \(to)\r\nSubject: \(subject)\r\nMessage-ID: <\(id)>\r\n"
        headers += "Date: Sat, 21 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        return headers + extra + "\r\n" + body + "\r\n"
    }

    /// The raw messages in a Dovecot mailbox (`doveadm fetch text`).
    func rawMessages(_ dovecot: DovecotFixture, of user: String) async throws -> String {
        try await dovecot.doveadm(["fetch", "-u", user, "text", "mailbox", "INBOX", "ALL"])
    }

    @Test("carol's mail reaches alice's chat, alice's answer lands in carol's mailbox threaded under it, and carol's reply comes back")
    func roundTrip() async throws {
        let peers = try await self.setUp()
        defer { peers.gateway.remove() }
        try await peers.dovecot.deliver(
            to: DovecotFixture.gateway.user,
            raw: Self.mail(id: "carol-1@initech.test", body: "Hi Alice,\r\nCan you send the Q3 numbers?\r\n\r\nCarol"),
            from: "carol@initech.test"
        )
        try await eventually("alice's chat got carol's mail", within: 20) { await peers.sink.state.count == 1 }
        #expect(await peers.sink.state.senders == ["carol@initech.test"])
        let first = try #require(await peers.sink.state.texts.first)
        #expect(first.contains("Can you send the Q3 numbers?"), "\(first)")
        try await eventually("the message is marked in the gateway's mailbox") {
            try await peers.dovecot.messages(of: DovecotFixture.gateway.user).allSatisfy { $0.flags.contains("$Bridged") }
        }

        // alice answers in her chat; it goes out by SMTP through Exim into carol's mailbox.
        let answer = #"{"event_id":"alice-1","from":"alice@acme.test","to":["carol@initech.test"],"text":"Here they are: 42."}"#
        #expect(try await peers.gateway.post(answer, adapter: "acme-chat", secret: "acme-outbound-secret").status == 202)
        try await eventually("carol's mailbox got alice's answer", within: 20) {
            try await peers.dovecot.messages(of: DovecotFixture.carol.user).count == 1
        }
        let delivered = try await self.rawMessages(peers.dovecot, of: DovecotFixture.carol.user)
        #expect(delivered.contains("In-Reply-To: <carol-1@initech.test>"), "\(delivered)")
        #expect(delivered.contains("References: <carol-1@initech.test>"), "\(delivered)")
        #expect(delivered.contains("Subject: Re: Quarterly numbers"), "\(delivered)")
        #expect(delivered.contains("alice=acme.test@bridge.acme.test"), "\(delivered)")
        #expect(delivered.contains("Here they are: 42."), "\(delivered)")
        // Unfold the header section (RFC 5322 §2.2.3) before reading Reply-To.
        let unfolded = delivered.replacingOccurrences(of: "\r\n ", with: " ").replacingOccurrences(of: "\n ", with: " ")
        let replyTo = try #require(
            unfolded.split(separator: "\n").first { $0.hasPrefix("Reply-To:") }
                .flatMap { line in line.split(separator: "<").last?.split(separator: ">").first.map(String.init) }
        )
        #expect(replyTo.hasPrefix("r.") && replyTo.hasSuffix("@bridge.acme.test"), "\(replyTo)")

        // carol replies to the signed address; it comes back to alice in the same conversation.
        try await peers.dovecot.deliver(
            to: DovecotFixture.gateway.user,
            raw: Self.mail(to: replyTo, id: "carol-2@initech.test", subject: "Re: Quarterly numbers",
                           body: "Thanks!\r\n\r\nOn Sat, Alice wrote:\r\n> Here they are: 42.",
                           extra: "In-Reply-To: <x@y>\r\n"),
            from: "carol@initech.test"
        )
        try await eventually("alice's chat got carol's reply", within: 20) { await peers.sink.state.count == 2 }
        let second = try #require(await peers.sink.state.texts.last)
        #expect(second == "Thanks!", "the quoted part is trimmed for chat: \(second)")
        try await peers.stop()
        let records = try peers.gateway.auditRecords()
        #expect(records.filter { $0["event"] as? String == "delivered" }.count == 3)
    }

    @Test("a forged sender, a stolen reply address, an auto-reply and a broken message are refused with reasons and go nowhere")
    func refusals() async throws {
        let peers = try await self.setUp()
        defer { peers.gateway.remove() }
        let gatewayUser = DovecotFixture.gateway.user
        // No Authentication-Results from acme's MX: the From is not proven, so it may not cross org lines.
        try await peers.dovecot.deliver(
            to: gatewayUser, raw: Self.mail(from: "ceo@initech.test", id: "forged-1@evil.test", body: "wire the money", authenticated: false)
        )
        // A reply address issued to carol, used by someone else.
        try await peers.dovecot.deliver(
            to: gatewayUser, raw: Self.mail(from: "mallory@initech.test", to: "r.aaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaa@bridge.acme.test", id: "stolen-1@initech.test", body: "me too")
        )
        try await peers.dovecot.deliver(
            to: gatewayUser, raw: Self.mail(id: "ooo-1@initech.test", subject: "Out of office", body: "I am away", extra: "Auto-Submitted: auto-replied\r\n")
        )
        try await peers.dovecot.deliver(to: gatewayUser, raw: "Subject: no sender at all\r\nMessage-ID: <broken-1@initech.test>\r\n\r\nbody\r\n")
        try await eventually("all four are marked", within: 20) {
            let messages = try await peers.dovecot.messages(of: gatewayUser)
            return messages.count == 4 && messages.allSatisfy { $0.flags.contains("$Bridged") }
        }
        try await eventually("the pipeline is idle") { try await peers.gateway.quiescent() }
        try await peers.stop()
        #expect(await peers.sink.state.count == 0)
        let records = try peers.gateway.auditRecords()
        let rejected = Set(records.filter { $0["event"] as? String == "rejected" }.compactMap { $0["reason"] as? String })
        #expect(rejected.isSuperset(of: ["email-reply-address-bad-signature", "email-auto-reply", "email-no-from"]), "\(rejected)")
        let denial = try #require(records.first { $0["event"] as? String == "decided" })
        #expect((denial["decision"] as? [String: Any])?["rules"] as? [String] == ["default:unauthenticated-cross-org-deny"], "\(denial)")
        let kept = try FileManager.default.contentsOfDirectory(atPath: peers.gateway.root.appendingPathComponent("var/rejected/initech-mail").path)
        #expect(kept.count == 3, "\(kept)")
        // The real ceo is never told about mail someone else sent in their name: the notice is refused.
        let notice = try #require(records.first { ($0["native_id"] as? String)?.hasPrefix("bridged-notice:") == true })
        let noticeDecision = try #require(records.first { $0["envelope"] as? String == notice["envelope"] as? String && $0["event"] as? String == "decided" })
        #expect((noticeDecision["decision"] as? [String: Any])?["rules"] as? [String] == ["default:notice-unauthenticated-deny"])
        #expect(try peers.exim.deliveryCount() == 0)
    }

    @Test("carol's authenticated mail to someone policy denies gets a notice from the gateway's postmaster, threaded under it and marked auto-replied")
    func noticeToAuthenticatedSender() async throws {
        let peers = try await self.setUp()
        defer { peers.gateway.remove() }
        try await peers.dovecot.deliver(
            to: DovecotFixture.gateway.user,
            raw: Self.mail(to: "eve=globex.test@bridge.acme.test", id: "carol-denied@initech.test", body: "hello eve"),
            from: "carol@initech.test"
        )
        try await eventually("carol's mailbox got the notice", within: 20) {
            try await peers.dovecot.messages(of: DovecotFixture.carol.user).count == 1
        }
        try await eventually("the pipeline is idle") { try await peers.gateway.quiescent() }
        let notice = try await self.rawMessages(peers.dovecot, of: DovecotFixture.carol.user)
        try await peers.stop()
        let unfolded = notice.replacingOccurrences(of: "\r\n ", with: " ").replacingOccurrences(of: "\n ", with: " ")
        #expect(unfolded.contains("postmaster@bridge.acme.test"), "\(notice)")
        #expect(unfolded.contains("Auto-Submitted: auto-replied"), "\(notice)")
        #expect(unfolded.contains("In-Reply-To: <carol-denied@initech.test>"), "\(notice)")
        #expect(unfolded.contains("Subject: Not delivered: Quarterly numbers"), "\(notice)")
        // The body is quoted-printable: join its soft line breaks.
        let body = unfolded.replacingOccurrences(of: "=\r\n", with: "").replacingOccurrences(of: "=\n", with: "")
        #expect(body.contains("Your message to eve@globex.test was not delivered: the gateway's policy does not allow it."), "\(notice)")
        #expect(!unfolded.contains("no rule allows it") && !unfolded.contains("org globex"), "\(notice)")
        #expect(await peers.sink.state.count == 0)
        AuditAssertions.everyDeliveryClearedByTheGateInForce(try peers.gateway.auditRecords())
    }

    @Test("a deny naming alice holds for mail to ALICE=, Alice= and fullwidth ａlice= reply-style addresses")
    func spellingsOfALocalPerson() async throws {
        let policy = Self.policy + """

            [[rule]]
            id = "no-initech-to-alice"
            action = "deny"
            from = ["org:initech"]
            to = ["alice@acme.test"]
            """
        let peers = try await self.setUp(policy: policy)
        defer { peers.gateway.remove() }
        let spellings = ["ALICE=acme.test", "Alice=acme.test", "ａlice=acme.test", "ａｌｉｃｅ=acme.test"]
        for (index, spelling) in spellings.enumerated() {
            try await peers.dovecot.deliver(
                to: DovecotFixture.gateway.user,
                raw: Self.mail(to: "\(spelling)@bridge.acme.test", id: "spelling-\(index)@initech.test", body: "spelling \(index)"),
                from: "carol@initech.test"
            )
        }
        try await eventually("every spelling was decided", within: 20) {
            try peers.gateway.auditRecords().filter {
                $0["event"] as? String == "decided" && ($0["native_id"] == nil) && ($0["to"] as? [String]) != nil
                    && ($0["decision"] as? [String: Any])?["rules"] as? [String] == ["no-initech-to-alice"]
            }.count == spellings.count
        }
        try await eventually("the pipeline is idle") { try await peers.gateway.quiescent() }
        try await peers.stop()
        let reachedAlice = await peers.sink.state.texts
        #expect(reachedAlice.isEmpty, "alice's chat got \(reachedAlice)")
    }
}

extension EmailBridgeTests {
    @Test("a message stored but not marked when the gateway died is fetched again after restart and delivered once")
    func crashBetweenStoreAndMark() async throws {
        let peers = try await self.setUp()
        defer { peers.gateway.remove() }
        let gatewayUser = DovecotFixture.gateway.user
        try await peers.dovecot.deliver(to: gatewayUser, raw: Self.mail(id: "once-1@initech.test", body: "exactly once"), from: "carol@initech.test")
        try await eventually("alice got it", within: 20) { await peers.sink.state.count == 1 }
        try await eventually("it is marked") {
            try await peers.dovecot.messages(of: gatewayUser).allSatisfy { $0.flags.contains("$Bridged") }
        }
        try await peers.gateway.stop()
        // Put the mailbox and the gateway's cursor back where a crash after the inbox commit and before the
        // IMAP mark would have left them: the message unmarked, the cursor not advanced past it.
        let uid = try #require(try await peers.dovecot.messages(of: gatewayUser).first?.uid)
        _ = try await peers.dovecot.doveadm(["flags", "remove", "-u", gatewayUser, "$Bridged", "mailbox", "INBOX", "UID", "\(uid)"])
        #expect(try await peers.dovecot.messages(of: gatewayUser).first?.flags.contains("$Bridged") == false)
        try await peers.gateway.gateway.store.pool.write { db in
            try db.execute(sql: "DELETE FROM adapter_state WHERE key LIKE 'imap-cursor:%'")
        }

        let restarted = peers.gateway
        try await restarted.start()
        try await eventually("the message is marked again", within: 20) {
            try await peers.dovecot.messages(of: gatewayUser).allSatisfy { $0.flags.contains("$Bridged") }
        }
        try await eventually("the pipeline is idle") { try await restarted.quiescent() }
        try await restarted.stop()
        await peers.sink.stop()
        await peers.exim.stop()
        await peers.dovecot.stop()
        #expect(await peers.sink.state.texts == ["exactly once"])
        let records = try restarted.auditRecords()
        #expect(records.filter { $0["event"] as? String == "delivered" }.count == 1)
    }
}

extension EmailBridgeTests {
    @Test("a recipient the SMTP server refuses (5xx) is dead-lettered with the server's answer; a 4xx one is retried")
    func refusedBySubmissionServer() async throws {
        let peers = try await self.setUp()
        defer { peers.gateway.remove() }
        let refused = #"{"event_id":"alice-r","from":"alice@acme.test","to":["reject-dave@initech.test"],"text":"hello?"}"#
        #expect(try await peers.gateway.post(refused, adapter: "acme-chat", secret: "acme-outbound-secret").status == 202)
        let deferred = #"{"event_id":"alice-d","from":"alice@acme.test","to":["defer-erin@initech.test"],"text":"later"}"#
        #expect(try await peers.gateway.post(deferred, adapter: "acme-chat", secret: "acme-outbound-secret").status == 202)
        try await eventually("the refused one is dead-lettered and the deferred one retried", within: 20) {
            let records = try peers.gateway.auditRecords()
            return records.contains { $0["event"] as? String == "dead-lettered" && $0["reason"] as? String == "smtp-rejected" }
                && records.contains { $0["event"] as? String == "retried" && $0["reason"] as? String == "smtp-deferred" }
        }
        try await peers.stop()
        let dead = try #require(try peers.gateway.auditRecords().first { $0["event"] as? String == "dead-lettered" })
        #expect((dead["detail"] as? String)?.contains("550") == true, "\(dead)")
        #expect(try peers.exim.deliveryCount() == 0)
    }
}

extension EmailBridgeTests {
    @Test("with [lmtp], the org's MTA (a real Exim) hands carol's mail to the gateway in real time, and it reaches alice's chat")
    func lmtpHandOver() async throws {
        let lmtpPort = try EximFixture.freePort()
        let exim = try EximFixture(EximFixture.Options(lmtpPort: lmtpPort))
        try await exim.waitReady()
        let sink = HookSink()
        let hookPort = try await sink.start()
        let gateway = try GatewayFixture(
            acmeDeliverURL: "http://127.0.0.1:\(hookPort)/hooks/acme",
            policy: Self.policy,
            extraFiles: [
                "var/secrets/reply.key": "lmtp-test-key\n",
                "adapters.d/initech-mail.toml": Self.adapterFile("[lmtp]\nlisten = \"127.0.0.1:\(lmtpPort)\"\n"),
                "routes.toml": "[[reach]]\norg = \"acme\"\nadapter = \"acme-chat\"\n[[reach]]\norg = \"initech\"\nadapter = \"initech-mail\"\n",
            ]
        )
        defer { gateway.remove() }
        try await gateway.start()
        // carol's own mail server relays her message to the gateway's domain (here: submitted to Exim).
        let client = SMTPClient(
            configuration: SMTPClientConfiguration(
                host: "127.0.0.1", port: exim.port, credentials: SMTPCredentials(username: EximFixture.username, password: Secret(bytes: Array(EximFixture.password.utf8))),
                heloName: "mx.initech.test", trustRootsPEMFile: exim.certificatePath, serverHostname: "localhost"
            ),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "lmtp-test")
        )
        let raw = Self.mail(id: "lmtp-1@initech.test", body: "sent through LMTP")
        let result = try await client.submit(
            Array(raw.utf8),
            envelope: SMTPEnvelope(mailFrom: try Address(parsing: "carol@initech.test"), recipients: [try Address(parsing: "alice=acme.test@bridge.acme.test")])
        )
        #expect(result.accepted.count == 1)
        try await eventually("alice's chat got it", within: 20) { await sink.state.texts == ["sent through LMTP"] }
        try await eventually("Exim logged the LMTP hand-over as delivered", within: 20) { exim.mainLog.contains("T=lmtp_out") && exim.mainLog.contains("Completed") }
        try await gateway.stop()
        await sink.stop()
        await exim.stop()
        #expect(try gateway.auditRecords().contains { $0["event"] as? String == "delivered" })
    }
}

extension EmailBridgeTests {
    @Test("a wrong IMAP password is audited, shown on /healthz and the failing gauge, and retried rather than stopping inbound mail for good")
    func wrongIMAPPasswordIsVisible() async throws {
        let peers = try await self.setUp(imapPassword: "rotated-away")
        defer { peers.gateway.remove() }
        try await eventually("the refused login was audited", within: 20) {
            try peers.gateway.auditRecords().contains { $0["event"] as? String == "rejected" && $0["reason"] as? String == "imap-authentication-failed" }
        }
        let health = try await peers.gateway.admin("/healthz").body
        #expect(health.contains(#""status":"degraded""#) && health.contains("initech-mail") && health.contains("authentication-failed"), "\(health)")
        try await eventually("the failing gauge is set") {
            try await peers.gateway.admin("/metrics").body.contains(#"bridged_adapter_failing{adapter="initech-mail"} 1"#)
        }
        #expect(!health.contains("rotated-away"), "no secret in the health answer")
        try await peers.stop()
    }

    @Test("an SMTP 535 keeps alice's mail waiting, retried past max_attempts without being dead-lettered, while the account is refused")
    func refusedSubmissionAccountWaits() async throws {
        let peers = try await self.setUp(smtpPassword: "rotated-away")
        defer { peers.gateway.remove() }
        let answer = #"{"event_id":"alice-535","from":"alice@acme.test","to":["carol@initech.test"],"text":"waiting"}"#
        #expect(try await peers.gateway.post(answer, adapter: "acme-chat", secret: "acme-outbound-secret").status == 202)
        // The fixture dead-letters after 5 failed attempts; an account failure does not count as one.
        try await eventually("the delivery was retried more often than max_attempts", within: 40) {
            try peers.gateway.auditRecords().filter { $0["event"] as? String == "retried" && $0["reason"] as? String == "smtp-authentication-failed" }.count > 5
        }
        #expect(try await peers.gateway.gateway.store.deadLetters(limit: 10).isEmpty)
        #expect(try await peers.gateway.gateway.store.outboxDepth(adapter: "initech-mail") == 1)
        try await peers.stop()
        #expect(try peers.exim.deliveryCount() == 0)
    }
}


extension EmailBridgeTests {
    @Test("content rules hold for real mail: a card number is stopped silently, a watched subject with the rule's own notice, the rest delivered")
    func contentRulesOnMail() async throws {
        let policy = Self.policy + """

            [[rule]]
            id = "no-cards-in"
            action = "deny"
            from = ["org:initech"]
            to = ["org:acme"]
            detectors = ["card"]
            silent = true

            [[rule]]
            id = "no-falcon-subjects"
            action = "deny"
            from = ["org:initech"]
            to = ["org:acme"]
            subject_words = ["project falcon"]
            notice_text = "Project Falcon is not discussed with partners by email."
            """
        let peers = try await self.setUp(policy: policy)
        defer { peers.gateway.remove() }
        let mails = [
            Self.mail(id: "card@initech.test", body: "my card: 4111 1111 1111 1111, exp 12/29"),
            Self.mail(id: "falcon@initech.test", subject: "Re: PROJECT FALCON timeline", body: "dates attached"),
            Self.mail(id: "plain@initech.test", body: "the plain numbers"),
        ]
        for mail in mails { try await peers.dovecot.deliver(to: DovecotFixture.gateway.user, raw: mail, from: "carol@initech.test") }
        try await eventually("the plain mail reached alice's chat and carol's mailbox got one notice", within: 30) {
            guard await peers.sink.state.count >= 1 else { return false }
            return try await peers.dovecot.messages(of: DovecotFixture.carol.user).count >= 1
        }
        try await eventually("the pipeline is idle") { try await peers.gateway.quiescent() }
        let notices = try await self.rawMessages(peers.dovecot, of: DovecotFixture.carol.user)
        let carolCount = try await peers.dovecot.messages(of: DovecotFixture.carol.user).count
        try await peers.stop()
        #expect(await peers.sink.state.texts.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } == ["the plain numbers"])
        #expect(carolCount == 1, "the silent rule's denial must tell carol nothing: \(notices)")
        let unfolded = notices.replacingOccurrences(of: "\r\n ", with: " ").replacingOccurrences(of: "\n ", with: " ")
            .replacingOccurrences(of: "=\r\n", with: "").replacingOccurrences(of: "=\n", with: "")
        #expect(unfolded.contains("Project Falcon is not discussed with partners by email."), "\(notices)")
        #expect(unfolded.contains("In-Reply-To: <falcon@initech.test>"), "\(notices)")
        let decided = try peers.gateway.auditRecords().filter { $0["event"] as? String == "decided" }
        let rules = decided.compactMap { ($0["decision"] as? [String: Any])?["rules"] as? [String] }
        #expect(rules.contains(["no-cards-in"]) && rules.contains(["no-falcon-subjects"]), "\(rules)")
        #expect(!(await peers.sink.state.texts.contains { $0.contains("4111") }))
    }
}

extension EmailBridgeTests {
    @Test("an information barrier holds for real mail: carol's mail to the walled group goes nowhere, her mail to alice arrives")
    func barrierOnMail() async throws {
        let orgs = """
            [orgs.acme]
            domains = ["acme.test"]
            [orgs.acme.groups.trading]
            members = ["tom@acme.test"]
            [orgs.globex]
            domains = ["globex.test"]
            [orgs.initech]
            domains = ["initech.test"]
            """
        let policy = Self.policy + """

            [[barrier]]
            id = "no-initech-trading"
            between = ["group:acme/trading", "org:initech"]
            """
        let peers = try await self.setUp(policy: policy, orgs: orgs)
        defer { peers.gateway.remove() }
        try await peers.dovecot.deliver(
            to: DovecotFixture.gateway.user, raw: Self.mail(to: "tom=acme.test@bridge.acme.test", id: "to-tom@initech.test", body: "for tom"),
            from: "carol@initech.test"
        )
        try await peers.dovecot.deliver(
            to: DovecotFixture.gateway.user, raw: Self.mail(id: "to-alice@initech.test", body: "for alice"), from: "carol@initech.test"
        )
        try await eventually("alice's mail arrived and tom's was decided", within: 30) {
            guard await peers.sink.state.count >= 1 else { return false }
            return try peers.gateway.auditRecords().contains {
                $0["event"] as? String == "decided" && ($0["to"] as? [String]) == ["tom@acme.test"]
            }
        }
        try await eventually("the pipeline is idle") { try await peers.gateway.quiescent() }
        try await peers.stop()
        #expect(await peers.sink.state.texts.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } == ["for alice"])
        let tom = try #require(
            try peers.gateway.auditRecords().first { $0["event"] as? String == "decided" && ($0["to"] as? [String]) == ["tom@acme.test"] }
        )
        let decision = try #require(tom["decision"] as? [String: Any])
        #expect(decision["effect"] as? String == "deny" && decision["rules"] as? [String] == ["no-initech-trading"])
    }
}

extension EmailBridgeTests {
    @Test("a DLP rule quarantines real mail: carol's IBAN is held, she gets a 'Held for review' mail, and a release delivers it to alice's chat")
    func quarantineOnMail() async throws {
        let policy = Self.policy + """

            [[rule]]
            id = "review-ibans"
            action = "quarantine"
            from = ["org:initech"]
            to = ["org:acme"]
            detectors = ["iban"]
            notice_text = "Bank details are checked by Acme's payments desk first."
            """
        let peers = try await self.setUp(policy: policy)
        defer { peers.gateway.remove() }
        let held = Self.mail(id: "iban@initech.test", subject: "New bank details", body: "please pay to DE89 3704 0044 0532 0130 00")
        try await peers.dovecot.deliver(to: DovecotFixture.gateway.user, raw: held, from: "carol@initech.test")
        try await eventually("carol's mailbox got the held notice", within: 30) {
            try await peers.dovecot.messages(of: DovecotFixture.carol.user).count >= 1
        }
        try await eventually("the pipeline is idle") { try await peers.gateway.quiescent() }
        #expect(await peers.sink.state.count == 0, "nothing reaches alice before a release")
        let items = try await peers.gateway.gateway.store.heldItems(limit: 10)
        #expect(items.count == 1 && items.first?.entry.rules == ["review-ibans"], "\(items)")
        let id = try #require(items.first?.id)
        let released = try await peers.gateway.admin(
            "/quarantine/\(id)/release", method: .POST, json: #"{"operator":"payments-desk","reason":"confirmed by phone"}"#
        )
        #expect(released.status == 200, "\(released.body)")
        try await eventually("the released mail reached alice's chat", within: 30) { await peers.sink.state.count >= 1 }
        let notice = try await self.rawMessages(peers.dovecot, of: DovecotFixture.carol.user)
        try await peers.stop()
        // Quoted-printable soft line breaks first (one may come before a space), then folded headers.
        let unfolded = notice.replacingOccurrences(of: "=\r\n", with: "").replacingOccurrences(of: "=\n", with: "")
            .replacingOccurrences(of: "\r\n ", with: " ").replacingOccurrences(of: "\n ", with: " ")
        #expect(unfolded.contains("Subject: Held for review: New bank details"), "\(notice)")
        #expect(unfolded.contains("In-Reply-To: <iban@initech.test>"), "\(notice)")
        #expect(unfolded.contains("is held for review and is delivered only if a reviewer releases it: Bank details are checked by Acme"), "\(notice)")
        #expect(await peers.sink.state.texts.contains { $0.contains("DE89 3704 0044 0532 0130 00") })
        let records = try peers.gateway.auditRecords()
        #expect(records.contains { $0["event"] as? String == "quarantine-released" && $0["operator"] as? String == "payments-desk" })
        AuditAssertions.everyDeliveryClearedByTheGateInForce(records)
    }
}

extension EmailBridgeTests {
    @Test("a disclaimer on everything leaving acme appears in the text and the HTML part of alice's mail in carol's real mailbox, and a card number in it is masked")
    func disclaimerAndRedactionOnMail() async throws {
        let policy = Self.policy + """

            [[rule]]
            id = "acme-disclaimer"
            action = "annotate"
            from = ["org:acme"]
            to = ["*"]
            disclaimer = "Acme Corp: this message may be confidential & privileged."

            [[rule]]
            id = "mask-cards"
            action = "redact"
            from = ["*"]
            to = ["*"]
            detectors = ["card"]
            """
        let peers = try await self.setUp(policy: policy)
        defer { peers.gateway.remove() }
        let post = #"{"event_id":"alice-disclaimer","from":"alice@acme.test","to":["carol@initech.test"],"text":"Use card 4111 1111 1111 1111 for the deposit."}"#
        #expect(try await peers.gateway.post(post, adapter: "acme-chat", secret: "acme-outbound-secret").status == 202)
        try await eventually("carol's mailbox got alice's mail", within: 30) {
            try await peers.dovecot.messages(of: DovecotFixture.carol.user).count == 1
        }
        let raw = try await self.rawMessages(peers.dovecot, of: DovecotFixture.carol.user)
        try await peers.stop()
        let decoded = raw.replacingOccurrences(of: "=\r\n", with: "").replacingOccurrences(of: "=\n", with: "")
            .replacingOccurrences(of: "=26", with: "&").replacingOccurrences(of: "=3D", with: "=")
        let parts = decoded.components(separatedBy: "Content-Type: text/")
        let text = try #require(parts.first { $0.hasPrefix("plain") }, "\(raw)")
        let html = try #require(parts.first { $0.hasPrefix("html") }, "\(raw)")
        #expect(text.contains("Use card [redacted] for the deposit.") && text.contains("Acme Corp: this message may be confidential & privileged."), "\(text)")
        #expect(html.contains("Acme Corp: this message may be confidential &amp; privileged."), "\(html)")
        #expect(!raw.contains("4111"), "\(raw)")
        let transformed = try peers.gateway.auditRecords().first { $0["event"] as? String == "transformed" }
        #expect(transformed?["annotated"] as? [String] == ["acme-disclaimer"])
    }
}

extension EmailBridgeTests {
    @Test("a journal copy of acme's mail to initech lands in initech's compliance mailbox on the real Dovecot, beside the mail in carol's")
    func journalCopyToComplianceMailbox() async throws {
        let policy = Self.policy + """

            [[rule]]
            id = "journal-initech"
            action = "journal"
            from = ["org:acme"]
            to = ["org:initech"]
            journal_to = "compliance@initech.test"
            """
        let peers = try await self.setUp(policy: policy)
        defer { peers.gateway.remove() }
        let post = #"{"event_id":"alice-journal","from":"alice@acme.test","to":["carol@initech.test"],"text":"The signed contract is attached."}"#
        #expect(try await peers.gateway.post(post, adapter: "acme-chat", secret: "acme-outbound-secret").status == 202)
        try await eventually("carol's mailbox and the compliance mailbox each got the mail", within: 30) {
            guard try await peers.dovecot.messages(of: DovecotFixture.carol.user).count == 1 else { return false }
            return try await peers.dovecot.messages(of: DovecotFixture.compliance.user).count == 1
        }
        try await eventually("the pipeline is idle") { try await peers.gateway.quiescent() }
        let copy = try await self.rawMessages(peers.dovecot, of: DovecotFixture.compliance.user)
        try await peers.stop()
        #expect(copy.contains("The signed contract is attached."), "\(copy)")
        #expect(copy.contains("Delivered-To: compliance@initech.test"), "\(copy)")
        let records = try peers.gateway.auditRecords()
        let journal = try #require(records.first { $0["event"] as? String == "decided" && $0["journal"] as? Bool == true })
        #expect(journal["to"] as? [String] == ["compliance@initech.test"])
        #expect((journal["decision"] as? [String: Any])?["rules"] as? [String] == ["journal-initech"])
        #expect(records.filter { $0["event"] as? String == "delivered" }.count == 2)
        AuditAssertions.everyDeliveryClearedByTheGateInForce(records)
    }
}
