public import Foundation

/// Keeps outbound stanzas within what the XMPP server accepts from the component. Prosody ends a
/// component stream that sends one stanza larger than `component_stanza_size_limit` (512 KiB by
/// default) with `not-well-formed`, which would also cut off every other delivery on the link; an email can
/// be 25 MB. A stanza over the limit has its body cut at a character boundary, with a note saying so.
public enum XMPPStanzaSize {
    /// Prosody's default `component_stanza_size_limit`.
    public static let prosodyDefault = 512 * 1024

    /// `stanza` itself when it fits in `limit` bytes as written on the stream; else the same stanza with its
    /// `<body>` shortened and a note appended, or nil when even an empty body does not fit.
    public static func fit(_ stanza: XMLElement, limit: Int, namespace: String) -> XMLElement? {
        let size = XMLSerializer.serialize(stanza, inheritedNamespace: namespace).utf8.count
        guard size > limit else { return stanza }
        guard let index = stanza.children.firstIndex(where: { node in
            if case .element(let element) = node, element.name == "body" { return true }
            return false
        }), case .element(var body) = stanza.children[index] else { return nil }
        let text = Array(body.text)
        let note = "\n\n[The gateway shortened this message: the original was \(body.text.utf8.count) bytes, more than the XMPP server accepts.]"
        func shortened(_ count: Int) -> (XMLElement, Int) {
            body.children = [.text(String(text[..<count]) + note)]
            var result = stanza
            result.children[index] = .element(body)
            return (result, XMLSerializer.serialize(result, inheritedNamespace: namespace).utf8.count)
        }
        // The longest prefix that fits, by bisection; the first bound scales the text to the limit, so
        // every candidate serialized is about the limit's size, not the original's.
        var low = 0
        var high = min(text.count, Int(Double(text.count) * Double(limit) / Double(size) * 2) + 1)
        guard shortened(0).1 <= limit else { return nil }
        while low < high {
            let middle = (low + high + 1) / 2
            if shortened(middle).1 <= limit { low = middle } else { high = middle - 1 }
        }
        return shortened(low).0
    }
}
