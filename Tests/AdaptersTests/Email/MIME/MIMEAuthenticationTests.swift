import Adapters
import BridgeModel
import Testing

@Suite("MIME sender authentication (RFC 8601 Authentication-Results)")
struct MIMEAuthenticationTests {
    static let authenticator = SenderAuthenticator(trustedAuthservIDs: ["MX.acme.test"])

    static func from(_ address: String) throws -> [EmailMailbox] {
        [EmailMailbox(displayName: nil, address: try Address(parsing: address))]
    }

    static func verdict(_ fields: [String], from address: String = "ceo@partner.test") throws -> SenderAuthentication {
        authenticator.evaluate(authenticationResults: fields, from: try from(address))
    }

    @Test("fields parse into authserv-id, methods, results, reasons and properties; comments and versions dropped")
    func parsing() throws {
        let parsed = try #require(
            AuthenticationResults.parse(
                "MX.Acme.Test 1; dkim/1=pass (good signature) header.d=partner.test header.b=\"AbC/d+e=\";\r\n spf=pass (ip 192.0.2.1) smtp.mailfrom=bob@partner.test; dmarc=fail reason=\"p=reject\" header.from=partner.test"
            )
        )
        #expect(parsed.authservID == "mx.acme.test")
        #expect(parsed.results.map(\.method) == ["dkim", "spf", "dmarc"])
        #expect(parsed.results.map(\.result) == ["pass", "pass", "fail"])
        #expect(parsed.results[0].properties["header.d"] == "partner.test")
        #expect(parsed.results[0].properties["header.b"] == "AbC/d+e=")
        #expect(parsed.results[1].properties["smtp.mailfrom"] == "bob@partner.test")
        #expect(parsed.results[2].reason == "p=reject")
        let none = try #require(AuthenticationResults.parse("example.org (comment); none"))
        #expect(none.authservID == "example.org" && none.results.isEmpty)
        #expect(AuthenticationResults.parse("   ") == nil)
    }

    @Test("dmarc=pass, aligned dkim=pass or aligned spf=pass from the trusted server verify the sender")
    func verified() throws {
        #expect(try Self.verdict(["mx.acme.test; dmarc=pass header.from=partner.test"]) == .verified("dmarc"))
        #expect(try Self.verdict(["mx.acme.test; dkim=pass header.d=partner.test"]) == .verified("dkim"))
        #expect(try Self.verdict(["mx.acme.test; dkim=pass header.d=mail.partner.test"]) == .verified("dkim"))
        #expect(try Self.verdict(["mx.acme.test; dkim=pass header.i=@partner.test"]) == .verified("dkim"))
        #expect(
            try Self.verdict(["mx.acme.test; dkim=pass header.d=partner.test"], from: "x@eu.partner.test")
                == .verified("dkim")
        )
        #expect(try Self.verdict(["mx.acme.test; spf=pass smtp.mailfrom=bounce@partner.test"]) == .verified("spf"))
        #expect(try Self.verdict(["mx.acme.test; spf=pass smtp.mailfrom=partner.test"]) == .verified("spf"))
    }

    @Test("a forged From with passing results from an untrusted server is unverified")
    func untrusted() throws {
        let forged =
            "evil.example; dkim=pass header.d=partner.test; dmarc=pass header.from=partner.test; spf=pass smtp.mailfrom=partner.test"
        #expect(try Self.verdict([forged]) == .unverified("no trusted Authentication-Results"))
        #expect(try Self.verdict([]) == .unverified("no trusted Authentication-Results"))
        // An untrusted field above the trusted one is ignored entirely; the trusted one decides.
        #expect(
            try Self.verdict([forged, "mx.acme.test; dkim=fail header.d=partner.test"]) == .unverified("dkim=fail")
        )
    }

    @Test("only the topmost trusted field counts: a pass planted below a trusted fail does not verify")
    func topmostTrusted() throws {
        let fields = [
            "mx.acme.test; dmarc=fail header.from=partner.test; spf=fail smtp.mailfrom=partner.test",
            "mx.acme.test; dmarc=pass header.from=partner.test",
        ]
        #expect(try Self.verdict(fields) == .unverified("dmarc=fail, spf=fail"))
    }

    @Test("passes that are not aligned with the From domain do not verify, and say why")
    func unaligned() throws {
        #expect(
            try Self.verdict(["mx.acme.test; dkim=pass header.d=evil.test"])
                == .unverified("dkim pass not aligned with From")
        )
        #expect(
            try Self.verdict(["mx.acme.test; dkim=pass header.d=test"])
                == .unverified("dkim pass not aligned with From")
        )
        #expect(
            try Self.verdict(["mx.acme.test; spf=pass smtp.mailfrom=x@esp.example"])
                == .unverified("spf pass not aligned with From")
        )
        #expect(
            try Self.verdict(["mx.acme.test; dmarc=pass header.from=evil.test"])
                == .unverified("dmarc pass for another domain than From")
        )
        #expect(
            try Self.verdict(["mx.acme.test; dkim=pass header.d=notpartner.test"])
                == .unverified("dkim pass not aligned with From")
        )
        #expect(try Self.verdict(["mx.acme.test; arc=pass"]) == .unverified("no dmarc, dkim or spf result"))
        #expect(try Self.verdict(["mx.acme.test; none"]) == .unverified("no dmarc, dkim or spf result"))
    }

    @Test("several From addresses are never verified")
    func multipleFrom() throws {
        let mailboxes = try Self.from("a@partner.test") + Self.from("b@partner.test")
        #expect(
            Self.authenticator.evaluate(authenticationResults: ["mx.acme.test; dmarc=pass"], from: mailboxes)
                == .unverified("multiple From addresses")
        )
    }

    @Test("relaxed alignment: equal or a subdomain on a label boundary, never a bare top-level domain")
    func alignment() {
        #expect(SenderAuthenticator.aligned("partner.test", "PARTNER.test."))
        #expect(SenderAuthenticator.aligned("a.b.partner.test", "partner.test"))
        #expect(!SenderAuthenticator.aligned("xpartner.test", "partner.test"))
        #expect(!SenderAuthenticator.aligned("partner.test", "test"))
        #expect(!SenderAuthenticator.aligned("", "partner.test"))
    }
}
