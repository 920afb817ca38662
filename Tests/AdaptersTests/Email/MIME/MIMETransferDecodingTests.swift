import Adapters
import Testing

@Suite("MIME transfer encodings (quoted-printable, base64)")
struct MIMETransferDecodingTests {
    static func qp(_ text: String) -> (String, Bool) {
        let result = QuotedPrintableDecoder.decode(Array(text.utf8)[...])
        return (String(decoding: result.bytes, as: UTF8.self), result.hadInvalidEscape)
    }

    static func b64(_ text: String) -> Base64Decoder.Result {
        Base64Decoder.decode(Array(text.utf8)[...])
    }

    @Test("quoted-printable: escapes in either case, soft breaks, hard breaks as CRLF, trailing blanks dropped")
    func quotedPrintable() {
        #expect(Self.qp("caf=C3=A9 caf=c3=a9") == ("café café", false))
        #expect(Self.qp("one=\r\ntwo=\nthree") == ("onetwothree", false))
        #expect(Self.qp("soft with blanks=  \r\nnext") == ("soft with blanksnext", false))
        #expect(Self.qp("line one  \r\nline two\t\nend") == ("line one\r\nline two\r\nend", false))
        #expect(Self.qp("a=3D=3Db") == ("a==b", false))
        #expect(Self.qp("trailing=") == ("trailing", false))
    }

    @Test("quoted-printable: an invalid escape is kept literally and flagged")
    func quotedPrintableInvalid() {
        #expect(Self.qp("100% =ZZ sure") == ("100% =ZZ sure", true))
        #expect(Self.qp("x=4") == ("x=4", true))
        #expect(Self.qp("=\u{00E9}") == ("=\u{00E9}", true))
    }

    @Test("base64: line breaks and blanks are skipped, padding ends a quantum, chunks after padding are decoded")
    func base64() {
        let wrapped = Self.b64("SGVs\r\nbG8g\n d29y bGQ=")
        #expect(wrapped.bytes == Array("Hello world".utf8) && !wrapped.hadInvalidCharacters && !wrapped.wasTruncated)
        #expect(Self.b64("QQ==").bytes == [0x41])
        #expect(Self.b64("QUI=").bytes == [0x41, 0x42])
        #expect(Self.b64("QQ==QUI=").bytes == [0x41, 0x41, 0x42])
        #expect(Self.b64("").bytes.isEmpty)
    }

    @Test("base64: invalid characters are skipped and flagged; a cut-off quantum keeps its whole bytes and is flagged")
    func base64Broken() {
        let invalid = Self.b64("SGVs!bG8h*")
        #expect(invalid.bytes == Array("Hello!".utf8) && invalid.hadInvalidCharacters && !invalid.wasTruncated)
        let truncated = Self.b64("SGVsbG8gd2")
        #expect(truncated.bytes == Array("Hello w".utf8) && truncated.wasTruncated)
        let single = Self.b64("SGVsbG8gd")
        #expect(single.bytes == Array("Hello ".utf8) && single.wasTruncated)
    }
}
