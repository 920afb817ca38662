import Foundation

/// Finds the line of a dotted key in a TOML text.
///
/// TOMLKit reports lines for syntax errors only; semantic errors (unknown key, wrong type, unknown org)
/// come with a coding path. This locator reads table headers (`[a.b]`, `[[a]]` with their array index) and
/// `key = value` lines, so such errors can still name a line. It is a locator, not a parser: the document
/// has already been parsed successfully when it is used.
struct TOMLKeyLocator {
    private var lines: [String: Int] = [:]

    init(text: String) {
        var table = ""
        var arrayCounts: [String: Int] = [:]
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("[[") {
                guard let end = line.range(of: "]]") else { continue }
                let name = Self.normalize(line[line.index(line.startIndex, offsetBy: 2)..<end.lowerBound])
                let parent = Self.resolve(name, arrayCounts: arrayCounts, droppingLast: true)
                let key = parent.isEmpty ? name.last! : "\(parent).\(name.last!)"
                let index = arrayCounts[key, default: -1] + 1
                arrayCounts[key] = index
                table = "\(key)[\(index)]"
                self.record(table, lineNumber)
            } else if line.hasPrefix("[") {
                guard let end = line.firstIndex(of: "]") else { continue }
                let name = Self.normalize(line[line.index(after: line.startIndex)..<end])
                table = Self.resolve(name, arrayCounts: arrayCounts, droppingLast: false)
                self.record(table, lineNumber)
            } else if let equals = line.firstIndex(of: "=") {
                let key = Self.normalize(line[..<equals]).joined(separator: ".")
                self.record(table.isEmpty ? key : "\(table).\(key)", lineNumber)
            }
        }
    }

    /// Whether the document sets exactly this dotted key.
    func contains(_ dottedKey: String) -> Bool { self.lines[dottedKey] != nil }

    /// The line of the dotted key, or of the closest enclosing table or key that has one.
    func line(for dottedKey: String) -> Int? {
        var key = dottedKey
        while !key.isEmpty {
            if let line = self.lines[key] { return line }
            guard let cut = key.lastIndex(where: { $0 == "." || $0 == "[" }) else { return nil }
            key = String(key[..<cut])
        }
        return nil
    }

    private mutating func record(_ key: String, _ line: Int) {
        if self.lines[key] == nil { self.lines[key] = line }
    }

    private static func normalize(_ text: Substring) -> [String] {
        text.split(separator: ".").map { part in
            var part = part.trimmingWhitespace()
            if part.count >= 2, let first = part.first, first == "\"" || first == "'", part.last == first {
                part = String(part.dropFirst().dropLast())
            }
            return part
        }
    }

    /// Turns `room.member` into `room[2].member` when `room` is an array of tables seen so far.
    private static func resolve(_ parts: [String], arrayCounts: [String: Int], droppingLast: Bool) -> String {
        var path = ""
        let count = droppingLast ? parts.count - 1 : parts.count
        for part in parts.prefix(count) {
            let key = path.isEmpty ? part : "\(path).\(part)"
            if let index = arrayCounts[key] {
                path = "\(key)[\(index)]"
            } else {
                path = key
            }
        }
        return path
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" || first == "\r" { scalars = scalars.dropFirst() }
        while let last = scalars.last, last == " " || last == "\t" || last == "\r" { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
