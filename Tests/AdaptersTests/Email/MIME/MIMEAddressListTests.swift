import Adapters
import Testing

@Suite("MIME address lists (RFC 5322)")
struct MIMEAddressListTests {
    static func parse(_ text: String) -> AddressListParser.Result {
        var warnings: [String] = []
        return AddressListParser.parse(text, warnings: &warnings)
    }

    static func described(_ text: String) -> [String] { parse(text).mailboxes.map(\.description) }

    @Test("display names: atoms, quoted strings, encoded words, comments as names; domains lower-cased")
    func displayNames() {
        #expect(Self.described("John Q. Public <JQP@Example.TEST>") == ["John Q. Public <JQP@example.test>"])
        #expect(Self.described("\"Public, John\" <jqp@example.test>") == ["Public, John <jqp@example.test>"])
        #expect(
            Self.described("=?ISO-8859-1?Q?Andr=E9?= Pirard <pirard@example.test>") == [
                "André Pirard <pirard@example.test>"
            ]
        )
        #expect(
            Self.described("\"=?UTF-8?B?w4lsb2RpZQ==?=\" <elodie@example.test>") == ["Élodie <elodie@example.test>"]
        )
        #expect(Self.described("pete@example.test (Pete Resnick)") == ["Pete Resnick <pete@example.test>"])
        #expect(Self.described("Jörg <joerg@example.test>") == ["Jörg <joerg@example.test>"])
        #expect(Self.described("<bare@example.test>") == ["bare@example.test"])
    }

    @Test("lists, groups, empty members and obsolete routes")
    func lists() {
        #expect(Self.described("a@x.test, b@y.test,, <c@z.test>") == ["a@x.test", "b@y.test", "c@z.test"])
        #expect(
            Self.described("A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;, Mary <mary@x.test>")
                == ["Ed Jones <c@a.test>", "joe@where.test", "John <jdoe@one.test>", "Mary <mary@x.test>"]
        )
        #expect(Self.described("Undisclosed recipients:;").isEmpty)
        #expect(Self.described("<@relay.test,@hub.test:route@final.test>") == ["route@final.test"])
        #expect(
            Self.described("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>") == [
                "Pete <pete@silly.test>"
            ]
        )
    }

    @Test("addresses Address refuses are reported by reason, not crashed on")
    func refused() {
        let result = Self.parse("\"john doe\"@x.test, no-at-sign, ok@x.test, bad@[192.0.2.1], x@under_score.test")
        #expect(result.mailboxes.map(\.description) == ["ok@x.test"])
        #expect(
            result.refused == [
                "address-invalid-local-part", "address-missing-at", "address-invalid-domain", "address-invalid-domain",
            ]
        )
        #expect(Self.parse("").mailboxes.isEmpty)
        #expect(Self.parse("<>").refused.isEmpty)
    }
}
