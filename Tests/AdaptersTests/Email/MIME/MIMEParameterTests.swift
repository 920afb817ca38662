import Adapters
import Testing

@Suite("MIME parameters (RFC 2045, RFC 2231)")
struct MIMEParameterTests {
    static func parse(_ text: String) -> MIMEHeaderValue {
        var warnings: [String] = []
        return MIMEHeaderValue.parse(text, warnings: &warnings)
    }

    @Test("the RFC 2231 examples: continuations, charset and language, mixed encoded and plain sections")
    func rfcExamples() {
        let url = Self.parse(
            "message/external-body; access-type=URL;\r\n URL*0=\"ftp://\";\r\n URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\""
        )
        #expect(url.value == "message/external-body")
        #expect(url[parameter: "url"] == "ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar")
        #expect(url[parameter: "access-type"] == "URL")
        #expect(
            Self.parse("application/x-stuff; title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A")[
                parameter: "title"
            ]
                == "This is ***fun***"
        )
        let title = Self.parse(
            "application/x-stuff; title*0*=us-ascii'en'This%20is%20even%20more%20; title*1*=%2A%2A%2Afun%2A%2A%2A%20; title*2=\"isn't it!\""
        )
        #expect(title[parameter: "title"] == "This is even more ***fun*** isn't it!")
    }

    @Test("non-ASCII file names: UTF-8 and Latin-1 percent-encoding, and encoded words in quoted names")
    func fileNames() {
        #expect(Self.parse("attachment; filename*=UTF-8''Gr%C3%BC%C3%9Fe.pdf")[parameter: "filename"] == "Grüße.pdf")
        #expect(
            Self.parse("attachment; filename*=iso-8859-1'de'%FCbersicht.txt")[parameter: "filename"] == "übersicht.txt"
        )
        #expect(Self.parse("attachment; filename=\"=?UTF-8?B?w6l0w6kucGRm?=\"")[parameter: "filename"] == "été.pdf")
        let both = Self.parse("attachment; filename=\"fallback.txt\"; filename*=UTF-8''pr%C3%A9f%C3%A9r%C3%A9.txt")
        #expect(both[parameter: "filename"] == "préféré.txt")
    }

    @Test("quoting, comments, case and sloppy syntax")
    func syntax() {
        let type = Self.parse("Text/HTML; Charset=\"UTF-8\" ; format = flowed")
        #expect(type.value == "text/html" && type.mediaType == "text" && type.mediaSubtype == "html")
        #expect(type[parameter: "charset"] == "UTF-8" && type[parameter: "format"] == "flowed")
        #expect(Self.parse("text/plain; charset=us-ascii (Plain text)")[parameter: "charset"] == "us-ascii")
        #expect(Self.parse("attachment; filename=\"a \\\"b\\\".txt\"")[parameter: "filename"] == "a \"b\".txt")
        #expect(Self.parse("attachment; filename=\"a;b.txt\"; size=3")[parameter: "filename"] == "a;b.txt")
        #expect(Self.parse("attachment; filename=my file.pdf")[parameter: "filename"] == "my file.pdf")
        #expect(Self.parse("multipart/mixed; boundary=\"----=_Part_1\"")[parameter: "boundary"] == "----=_Part_1")
        #expect(Self.parse("text/plain; ; =x; novalue")[parameter: "novalue"] == nil)
    }

    @Test("sections are assembled in numeric order and stop at the first gap")
    func sectionOrder() {
        #expect(Self.parse("x/y; name*1=\"b\"; name*0=\"a\"; name*2=\"c\"")[parameter: "name"] == "abc")
        #expect(Self.parse("x/y; name*0=\"a\"; name*2=\"c\"")[parameter: "name"] == "a")
    }
}
