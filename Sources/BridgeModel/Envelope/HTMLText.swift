/// HTML text escaping, shared by every place that writes HTML (email bodies, disclaimers).
public enum HTMLText {
    /// Escapes `& < > " '` for text and attribute values.
    public static func escaped(_ text: Substring) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\"": output += "&quot;"
            case "'": output += "&#39;"
            default: output.append(character)
            }
        }
        return output
    }
}
