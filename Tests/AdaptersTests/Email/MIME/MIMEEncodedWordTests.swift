import Adapters
import Testing

@Suite("MIME encoded words (RFC 2047)")
struct MIMEEncodedWordTests {
    static func decode(_ text: String) -> String {
        var warnings: [String] = []
        return EncodedWordDecoder.decode(text, warnings: &warnings)
    }

    /// RFC 2047 §8, the table of encoded-word display examples.
    static let rfcExamples: [(String, String)] = [
        ("(=?ISO-8859-1?Q?a?=)", "(a)"),
        ("(=?ISO-8859-1?Q?a?= b)", "(a b)"),
        ("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)"),
        ("(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)", "(ab)"),
        ("(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)", "(ab)"),
        ("(=?ISO-8859-1?Q?a_b?=)", "(a b)"),
        ("(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", "(a b)"),
    ]

    @Test("the RFC 2047 section 8 examples decode as the RFC shows", arguments: rfcExamples)
    func rfcTable(_ encoded: String, _ decoded: String) {
        #expect(Self.decode(encoded) == decoded)
    }

    @Test("B and Q words in several charsets decode, with the blank between plain text and a word kept")
    func charsets() {
        #expect(Self.decode("=?UTF-8?B?w6lww6l0w6k=?=") == "épété")
        #expect(Self.decode("Re: =?iso-8859-1?q?Gr=FC=DFe?= aus Bonn") == "Re: Grüße aus Bonn")
        #expect(Self.decode("=?koi8-r?B?8NLJ18XU?= =?utf-8?Q?_=E2=9C=93?=") == "Привет ✓")
        #expect(Self.decode("=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=") == "日本語")
        #expect(Self.decode("=?US-ASCII*EN?Q?Keith_Moore?=") == "Keith Moore")
        #expect(Self.decode("no words here") == "no words here")
    }

    @Test("a character split across two words of the same charset comes out whole")
    func splitCharacter() {
        // "é" is C3 A9: the first word carries C3, the second A9.
        #expect(Self.decode("=?UTF-8?B?Y2Fmww==?= =?UTF-8?B?qQ==?=") == "café")
    }

    @Test("malformed words are left literally")
    func malformed() {
        let cases = [
            "=?UTF-8?Q?unterminated",
            "=?UTF-8?X?abc?=",
            "=?UTF-8?B?!!!?=",
            "=?UTF-8?Q?a=Zb?=",
            "=??Q?a?=",
            "=?UTF-8?Q?has space?=",
        ]
        for text in cases { #expect(Self.decode(text) == text, "\(text)") }
        #expect(Self.decode("=?UTF-8?X?abc?= =?UTF-8?Q?ok?=") == "=?UTF-8?X?abc?= ok")
    }

    @Test("a word in an unknown charset is decoded by the fallback and warns")
    func unknownCharset() {
        var warnings: [String] = []
        #expect(EncodedWordDecoder.decode("=?x-unknown?Q?caf=C3=A9?=", warnings: &warnings) == "café")
        #expect(warnings == ["unknown charset 'x-unknown' was decoded as UTF-8"])
    }
}
