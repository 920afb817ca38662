import Adapters
import Testing

@Suite("Compose: plain chat text to safe HTML")
struct ComposeHTMLRenderingTests {
    @Test("markup typed by a user is escaped, never interpreted")
    func escaping() {
        #expect(
            HTMLRendering.fragment(fromPlainText: "<script>alert('x')</script> & \"q\"")
                == "<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;</p>"
        )
    }

    @Test("blank lines separate paragraphs and single line breaks become <br>, whatever the line ending")
    func paragraphs() {
        #expect(
            HTMLRendering.fragment(fromPlainText: "one\ntwo\r\n\r\n  \rthree\r\n\n\nfour")
                == "<p>one<br>\ntwo</p>\n<p>three</p>\n<p>four</p>"
        )
        #expect(HTMLRendering.fragment(fromPlainText: "\n\n") == "")
    }

    @Test("http and https URLs become links without trailing punctuation; other schemes stay text")
    func links() {
        #expect(
            HTMLRendering.fragment(fromPlainText: "see https://acme.test/a?b=1&c=2. or (http://x.test/y)")
                == "<p>see <a href=\"https://acme.test/a?b=1&amp;c=2\">https://acme.test/a?b=1&amp;c=2</a>. "
                + "or (<a href=\"http://x.test/y\">http://x.test/y</a>)</p>"
        )
        #expect(
            HTMLRendering.fragment(fromPlainText: "wiki https://en.test/Foo_(bar) ok")
                == "<p>wiki <a href=\"https://en.test/Foo_(bar)\">https://en.test/Foo_(bar)</a> ok</p>"
        )
        #expect(HTMLRendering.fragment(fromPlainText: "javascript:alert(1) xhttp://a.test https://") == "<p>javascript:alert(1) xhttp://a.test https://</p>")
        #expect(
            HTMLRendering.fragment(fromPlainText: "https://a.test/\"onmouseover=\"x")
                == "<p><a href=\"https://a.test/\">https://a.test/</a>&quot;onmouseover=&quot;x</p>"
        )
    }

    @Test("the document declares UTF-8 and wraps the fragment")
    func document() {
        let html = HTMLRendering.document(fromPlainText: "hi")
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("<meta charset=\"utf-8\">") && html.contains("<p>hi</p>"))
    }
}
