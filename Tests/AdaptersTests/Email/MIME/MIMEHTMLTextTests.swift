import Adapters
import Testing

@Suite("MIME HTML to text")
struct MIMEHTMLTextTests {
    static func text(_ html: String, chat: Bool = false) -> String {
        HTMLTextRenderer.render(html, dropQuotedReplies: chat)
    }

    @Test("head, script, style, title, comments and Outlook xml islands are dropped")
    func droppedContent() {
        let html = """
            <html><head><title>T</title><style>p { color: red }</style></head>
            <body><!-- a comment --><script type="text/javascript">alert("x")</script>
            <!--[if gte mso 9]><xml><o:x/></xml><![endif]-->Visible<noscript>no</noscript></body></html>
            """
        #expect(Self.text(html) == "Visible")
    }

    @Test("blocks end lines, paragraphs leave a blank line, br breaks, blanks collapse")
    func layout() {
        #expect(Self.text("<div>one</div><div>two</div>") == "one\ntwo")
        #expect(Self.text("<p>one</p><p>two</p>") == "one\n\ntwo")
        #expect(Self.text("a<br>b<br><br>c") == "a\nb\n\nc")
        #expect(Self.text("  lots   of\n\n  blanks\t here ") == "lots of blanks here")
        #expect(Self.text("<h1>Title</h1>text") == "Title\n\ntext")
        #expect(Self.text("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>") == "a b\nc")
        #expect(Self.text("<pre>  keep\n    this</pre>after") == "keep\n    this\nafter")
    }

    @Test("list items start with a dash, nested lists are indented")
    func lists() {
        #expect(Self.text("<ul><li>one</li><li>two<ul><li>inner</li></ul></li></ul>") == "- one\n- two\n  - inner")
        #expect(Self.text("<ol><li>first<li>second</ol>") == "- first\n- second")
    }

    @Test("links read text (url) unless the text is the url; fragment, script and cid links are left out")
    func links() {
        #expect(
            Self.text("see <a href=\"https://x.test/a?b=1&amp;c=2\">the page</a>.")
                == "see the page (https://x.test/a?b=1&c=2)."
        )
        #expect(Self.text("<a href=\"https://x.test/\">https://x.test</a>") == "https://x.test")
        #expect(Self.text("<a href=\"mailto:bob@acme.test\">bob@acme.test</a>") == "bob@acme.test")
        #expect(Self.text("<a href=\"#top\">top</a> <a href=\"javascript:void(0)\">js</a>") == "top js")
        #expect(Self.text("<a href=\"https://t.test/pixel\"><img src=\"x.gif\"></a>after") == "after")
    }

    @Test("named, numeric, hex and Windows-1252 numeric references decode; unknown ones stay literal")
    func entities() {
        #expect(Self.text("&lt;b&gt; &amp; &quot;q&quot; &eacute;&#233;&#xE9;&#xe9; &euro;") == "<b> & \"q\" éééé €")
        #expect(Self.text("it&#146;s &mdash; ok") == "it\u{2019}s \u{2014} ok")
        #expect(Self.text("a&nbsp;&nbsp;b") == "a  b")
        #expect(
            Self.text("<p class=MsoNormal>one</p><p class=MsoNormal>&nbsp;</p><p class=MsoNormal>two</p>")
                == "one\n\ntwo"
        )
        #expect(Self.text("AT&T &unknown; &") == "AT&T &unknown; &")
    }

    @Test("blockquotes are prefixed with > per level")
    func quotes() {
        #expect(
            Self.text("reply<blockquote>quoted<blockquote>deeper</blockquote></blockquote>")
                == "reply\n> quoted\n>> deeper"
        )
    }

    @Test("chat mode drops Gmail, Thunderbird and cite blockquote replies but keeps the author's text")
    func chatMode() {
        let gmail =
            "<div>Thanks!</div><div class=\"gmail_quote\"><div class=\"gmail_attr\">On Mon wrote:</div><blockquote>old</blockquote></div>"
        #expect(Self.text(gmail, chat: true) == "Thanks!")
        #expect(Self.text(gmail).contains("> old"))
        let thunderbird =
            "<p>Yes.</p><div class=\"moz-cite-prefix\">On 1/2/24 Bob wrote:</div><blockquote type=\"cite\">q</blockquote><p>PS</p>"
        #expect(Self.text(thunderbird, chat: true) == "Yes.\n\nPS")
    }

    @Test("broken markup is bounded: unclosed elements, stray brackets, unterminated comments and script")
    func brokenMarkup() {
        let deep =
            String(repeating: "<div><span>", count: 5000) + "deep" + String(repeating: "</span></div>", count: 10)
        #expect(Self.text(deep) == "deep")
        let heads = String(repeating: "<head>", count: 5000) + "body text"
        #expect(Self.text(heads) == "body text")
        #expect(Self.text("a < b and c > d") == "a < b and c > d")
        #expect(Self.text("before<!-- never closed") == "before")
        #expect(Self.text("before<script>never closed") == "before")
        #expect(Self.text("<p class=\"unterminated") == "")
        #expect(Self.text("<") == "<")
    }
}
