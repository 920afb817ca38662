/// RFC 3676 `format=flowed` plain text, unflowed: soft line breaks (a line ending in a space) are joined,
/// space-stuffing is removed, quote depth (leading `>`) is kept per paragraph, and `DelSp=yes` drops the
/// space that marked the soft break. The signature separator `-- ` is never a soft break (§4.3).
enum FlowedText {
    static func unflow(_ text: String, deleteSpace: Bool) -> String {
        var output: [String] = []
        var paragraph = ""
        var paragraphDepth = -1
        func flush() {
            guard paragraphDepth >= 0 else { return }
            output.append(
                paragraphDepth > 0 ? String(repeating: ">", count: paragraphDepth) + " " + paragraph : paragraph
            )
            paragraph = ""
            paragraphDepth = -1
        }
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = Substring(rawLine)
            var depth = 0
            while line.first == ">" {
                depth += 1
                line = line.dropFirst()
            }
            if line.first == " " { line = line.dropFirst() }  // space-stuffing (§4.4)
            let isSignature = line == "-- "
            if paragraphDepth >= 0 && depth != paragraphDepth { flush() }
            if isSignature {
                flush()
                output.append(depth > 0 ? String(repeating: ">", count: depth) + " -- " : "-- ")
                continue
            }
            paragraphDepth = depth
            if line.last == " " {
                paragraph += deleteSpace ? line.dropLast() : line
            } else {
                paragraph += line
                flush()
            }
        }
        flush()
        return output.joined(separator: "\n")
    }
}
