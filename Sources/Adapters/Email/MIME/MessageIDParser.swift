/// RFC 5322 §3.6.4 identification fields: `Message-ID`, `In-Reply-To`, `References`.
///
/// Ids are returned without angle brackets. Junk between ids (comments, phrases some old clients put in
/// In-Reply-To, stray commas) is skipped. A field with no bracketed id at all falls back to its blank-separated
/// words that contain `@`. Blanks and controls inside an id are removed, and ids longer than 998 bytes are
/// dropped, so an id can safely key the id map.
public enum MessageIDParser {
    public static func parse(_ text: String) -> [String] {
        let bytes = MIMEParameterParser.stripComments(Array(text.utf8)[...])
        var ids: [String] = []
        var index = 0
        while index < bytes.count {
            guard let open = bytes[index...].firstIndex(of: UInt8(ascii: "<")) else { break }
            guard let close = bytes[(open + 1)...].firstIndex(of: UInt8(ascii: ">")) else { break }
            if let id = clean(bytes[(open + 1)..<close]) { ids.append(id) }
            index = close + 1
        }
        if ids.isEmpty {
            for word in bytes.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 || $0 == UInt8(ascii: ",") })
            where word.contains(UInt8(ascii: "@")) {
                if let id = clean(word) { ids.append(id) }
            }
        }
        return ids
    }

    static func clean(_ bytes: ArraySlice<UInt8>) -> String? {
        let kept = bytes.filter { $0 > 0x20 && $0 != 0x7F && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") }
        guard !kept.isEmpty, kept.count <= 998 else { return nil }
        return String(decoding: kept, as: UTF8.self)
    }
}
