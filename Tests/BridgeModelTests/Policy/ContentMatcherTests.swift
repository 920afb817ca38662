import BridgeModel
import Foundation
import Testing

@Suite("Policy content matchers: safe patterns, watch lists, detectors, time windows")
struct ContentMatcherTests {
    // MARK: Safe patterns

    func ranges(_ pattern: String, _ text: String) throws -> [String] {
        let compiled = try SafePattern(pattern)
        let bytes = Array(text.utf8)
        return compiled.ranges(in: text).map { String(decoding: bytes[$0], as: UTF8.self) }
    }

    @Test("the safe subset matches like a regular expression engine: classes, groups, alternation, counts, anchors")
    func patternSyntax() throws {
        #expect(try self.ranges("acct-[0-9]{6}", "see acct-123456 and acct-12345") == ["acct-123456"])
        #expect(try self.ranges("(?i)project (falcon|osprey)", "Project FALCON, project osprey") == ["Project FALCON", "project osprey"])
        #expect(try self.ranges("\\bcat\\b", "cat concatenate cat.") == ["cat", "cat"])
        #expect(try self.ranges("\\bcat\\b", " cat ") == ["cat"])
        #expect(try self.ranges("^re:", "re: hello re:") == ["re:"])
        #expect(try self.ranges("end$", "the end end") == ["end"])
        #expect(try self.ranges("a+?", "aaa") == ["a", "a", "a"])
        #expect(try self.ranges("a+", "aaa") == ["aaa"])
        #expect(try self.ranges("x{2,3}", "xxxxxxx") == ["xxx", "xxx"])
        #expect(try self.ranges("[^a-z ]+", "abc DEF ghi") == ["DEF"])
        #expect(try self.ranges("\\d+(\\.\\d\\d)?", "pay 12.50 or 7") == ["12.50", "7"])
        #expect(try self.ranges("a.c", "abc aéc a\nc") == ["abc", "aéc"])
        #expect(try self.ranges("[^x]", "é") == ["é"])
        #expect(try self.ranges("\\w+", "naïve café") == ["naïve", "café"])
        #expect(try self.ranges("(?i)[a-c]+", "xAbCx") == ["AbC"])
        #expect(try self.ranges("(?i)[^a]", "Aa") == [])
        #expect(try self.ranges("colou?r", "color colour") == ["color", "colour"])
        #expect(try SafePattern("(a|ab)(c|bcd)(d*)").ranges(in: "abcd").count == 1)
    }

    @Test("what could backtrack catastrophically elsewhere runs in linear time here")
    func noBlowUp() throws {
        // (a+)+$ against a long run of a's followed by a mismatch is exponential for a backtracking engine.
        let pattern = try SafePattern("(a+)+$")
        let text = String(repeating: "a", count: 20_000) + "!"
        #expect(pattern.matches(text) == false)
        let nested = try SafePattern("(x*)*y")
        #expect(nested.matches(String(repeating: "x", count: 20_000)) == false)
        #expect(nested.matches(String(repeating: "x", count: 100) + "y"))
    }

    @Test("what is outside the safe subset is refused with a message that names it")
    func refusals() {
        let cases: [(String, String)] = [
            ("(a)\\1", "back-references"),
            ("foo(?=bar)", "look-around"),
            ("(?<!x)y", "look-around"),
            ("a++", "possessive"),
            ("\\p{L}", "Unicode property"),
            ("a{1001}", "above 1000"),
            ("(a", "missing )"),
            ("a)", "unbalanced )"),
            ("[abc", "missing ]"),
            ("*a", "needs something before it"),
            ("", "empty pattern"),
            ("[é]", "ASCII characters only"),
            ("(?:a{1000}){1000}", "too large"),
            ("ab(?i)c", "only at the very start"),
            ("\\q", "unknown escape"),
        ]
        for (source, needle) in cases {
            do {
                _ = try SafePattern(source)
                Issue.record("\(source) was accepted")
            } catch {
                #expect(error.message.contains(needle), "\(source): \(error.message)")
            }
        }
    }

    // MARK: Watch lists

    @Test("a watch list matches whole words and phrases, in any ASCII case, across line breaks")
    func watchList() throws {
        let matcher = try TermMatcher(terms: ["falcon", "project osprey", "über", "c++", "M&A"])
        #expect(matcher.firstMatch(in: "About FALCON today")?.term == "falcon")
        #expect(matcher.firstMatch(in: "falconry is a hobby") == nil)
        #expect(matcher.firstMatch(in: "the Project\nOsprey file")?.term == "project osprey")
        #expect(matcher.firstMatch(in: "ÜBER alles")?.term == "über")
        #expect(matcher.firstMatch(in: "Über alles")?.term == "über")
        #expect(matcher.firstMatch(in: "written in c++.")?.term == "c++")
        #expect(matcher.firstMatch(in: "the m&a team")?.term == "M&A")
        #expect(matcher.firstMatch(in: "nothing to see") == nil)
        let text = "falcon, then project osprey, then falcon"
        let found = matcher.matches(in: text).map { String(decoding: Array(text.utf8)[$0.range], as: UTF8.self) }
        #expect(found == ["falcon", "project osprey", "falcon"])
    }

    @Test("hundreds of terms compile into one matcher that still finds each of them")
    func manyTerms() throws {
        let terms = (0..<500).map { "codeword\($0)" } + ["codeword"]
        let matcher = try TermMatcher(terms: terms)
        for index in stride(from: 0, to: 500, by: 37) {
            #expect(matcher.firstMatch(in: "meet about codeword\(index) at noon")?.term == "codeword\(index)")
        }
        #expect(matcher.firstMatch(in: "codeword5000 is not listed") == nil)
        #expect(matcher.firstMatch(in: "just the codeword")?.term == "codeword")
        #expect(throws: TermMatcher.Problem.self) { try TermMatcher(terms: ["ok", "  "]) }
    }

    @Test("a term is found wherever it starts, however long the text before it that no term could start")
    func skipsToTermStarts() throws {
        let matcher = try TermMatcher(terms: ["falcon", "ab"])
        let filler = "the quiet meeting is on Tuesday. "
        for offset in 0..<20 {
            let lead = String(repeating: "x", count: offset)
            #expect(matcher.firstMatch(in: lead + " falcon")?.range == offset + 1..<offset + 7)
            #expect(matcher.firstMatch(in: String(repeating: filler, count: offset) + lead + " AB") != nil)
            #expect(matcher.firstMatch(in: lead + "falcon") == (offset == 0 ? matcher.firstMatch(in: "falcon") : nil))
        }
        // A start byte that leads nowhere, then the term: the scan goes back to skipping and still finds it.
        #expect(matcher.firstMatch(in: "fa fal falc " + String(repeating: filler, count: 3) + "Falcon")?.term == "falcon")
        #expect(matcher.matches(in: String(repeating: filler, count: 5) + "ab falcon ab").map(\.term) == ["ab", "falcon", "ab"])
        #expect(matcher.firstMatch(in: String(repeating: filler, count: 5)) == nil)
        // Inside a word the scan jumps to its end, but a term that begins with a non-word byte may begin there.
        #expect(matcher.firstMatch(in: "falconfalcon falcon")?.range == 13..<19)
        #expect(matcher.firstMatch(in: "xfalcon,falcon")?.range == 8..<14)
        let dashed = try TermMatcher(terms: ["-rc1", "rc2"])
        #expect(dashed.matches(in: "build7-rc1 and buildrc2, rc2").map(\.range) == [6..<10, 25..<28])
    }

    // MARK: Detectors

    @Test("card numbers are found with or without separators, and only when the Luhn check digit is right")
    func cards() {
        func found(_ text: String) -> [String] {
            let bytes = Array(text.utf8)
            return ContentDetector.card.ranges(in: text).map { String(decoding: bytes[$0], as: UTF8.self) }
        }
        #expect(found("card 4111 1111 1111 1111 exp 12/29") == ["4111 1111 1111 1111"])
        #expect(found("4111-1111-1111-1111") == ["4111-1111-1111-1111"])
        #expect(found("amex 378282246310005.") == ["378282246310005"])
        #expect(found("4111 1111 1111 1112") == [])  // wrong check digit
        #expect(found("order 123456789012") == [])  // too short
        #expect(found("id 41111111111111111111111") == [])  // too long: not a card
        #expect(found("x4111111111111111") == [])  // part of a word
        #expect(found("4111  1111 1111 1111") == [])  // two separators break the run
    }

    @Test("IBANs are found grouped or not, of their country's length, only when mod-97 holds")
    func ibans() {
        func found(_ text: String) -> [String] {
            let bytes = Array(text.utf8)
            return ContentDetector.iban.ranges(in: text).map { String(decoding: bytes[$0], as: UTF8.self) }
        }
        #expect(found("pay DE89 3704 0044 0532 0130 00 today") == ["DE89 3704 0044 0532 0130 00"])
        #expect(found("GB82WEST12345698765432") == ["GB82WEST12345698765432"])
        #expect(found("iban: gb82 west 1234 5698 7654 32.") == ["gb82 west 1234 5698 7654 32"])
        #expect(found("DE89 3704 0044 0532 0130 01") == [])  // check digits wrong
        #expect(found("ZZ89370400440532013000") == [])  // no such country
        #expect(found("DE8937040044053201300") == [])  // one short
    }

    // MARK: Time windows

    @Test("a time window is judged in its own zone, daylight saving time included, past midnight too")
    func timeWindows() throws {
        let office = try TimeWindow("Mon-Fri 08:00-18:00 Europe/Berlin")
        let date = { (text: String) in PolicyContent.time(text)! }
        #expect(office.contains(date("2026-12-07T07:30:00Z")))  // Monday 08:30 in Berlin (UTC+1)
        #expect(!office.contains(date("2026-12-07T06:30:00Z")))  // 07:30 in Berlin
        #expect(office.contains(date("2026-07-06T06:30:00Z")))  // 08:30 in Berlin in summer (UTC+2)
        #expect(!office.contains(date("2026-12-05T10:00:00Z")))  // Saturday
        #expect(!office.contains(date("2026-12-07T17:00:00Z")))  // 18:00 is the end, outside
        let night = try TimeWindow("Fri 22:00-06:00 UTC")
        #expect(night.contains(date("2026-12-04T23:00:00Z")))  // Friday night
        #expect(night.contains(date("2026-12-05T05:59:00Z")))  // Saturday morning, after Friday
        #expect(!night.contains(date("2026-12-05T23:00:00Z")))  // Saturday night
        let weekend = try TimeWindow("Sat,Sun 00:00-24:00 America/New_York")
        #expect(weekend.contains(date("2026-12-06T04:30:00Z")))  // Saturday 23:30 in New York
        #expect(!weekend.contains(date("2026-12-07T05:30:00Z")))  // Monday 00:30 in New York
        #expect(try TimeWindow("Sat-Mon 10:00-11:00 UTC").contains(date("2026-12-06T10:30:00Z")))  // a range that wraps
        #expect(office.local(date("2026-12-07T07:30:00Z")) == "Mon 08:30 Europe/Berlin")
        for bad in ["Mon-Fri 08:00-18:00", "Mon-Fri 8-18 UTC", "Funday 08:00-09:00 UTC", "09:00-09:00 UTC", "10:00-25:00 UTC",
            "Mon 08:00-18:00 Mars/Olympus"]
        {
            #expect(throws: TimeWindow.Problem.self, "\(bad)") { try TimeWindow(bad) }
        }
    }
}
