import Foundation

/// A weekly time window in a named time zone: `Mon-Fri 08:00-18:00 Europe/Berlin`.
///
/// Days are `Mon Tue Wed Thu Fri Sat Sun`, as a range (`Mon-Fri`), a list (`Sat,Sun`) or both
/// (`Mon,Wed-Fri`), or left out for every day. The end may be `24:00`. A window whose end is before its
/// start runs past midnight (`Mon-Fri 18:00-08:00`): the days name the evenings it starts on. The zone is an
/// IANA name (`UTC` included) and is required, so a window never depends on the host's clock settings;
/// daylight saving time is the zone's.
public struct TimeWindow: Sendable, Hashable, CustomStringConvertible {
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { self.message }
    }

    public let source: String
    /// Days the window starts on, 1 = Monday … 7 = Sunday.
    let days: Set<Int>
    /// Minutes after midnight.
    let start: Int
    let end: Int
    let zone: TimeZone

    public var description: String { self.source }

    static let dayNames = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    public init(_ source: String) throws(Problem) {
        self.source = source
        let parts = source.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard parts.count == 2 || parts.count == 3 else {
            throw Problem(message: "a time window is [DAYS] HH:MM-HH:MM ZONE, as Mon-Fri 08:00-18:00 Europe/Berlin, not \"\(source)\"")
        }
        let dayText = parts.count == 3 ? parts[0] : nil
        let hours = parts[parts.count - 2]
        let zoneName = parts[parts.count - 1]
        if zoneName.contains(":") {
            throw Problem(message: "a time window ends with its time zone, as Mon-Fri 08:00-18:00 Europe/Berlin; \"\(source)\" has none")
        }
        guard let zone = TimeZone(identifier: zoneName) else {
            throw Problem(message: "unknown time zone \"\(zoneName)\" (an IANA name such as Europe/Berlin or UTC)")
        }
        self.zone = zone
        var days: Set<Int> = []
        if let dayText {
            for item in dayText.lowercased().split(separator: ",") {
                let ends = item.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
                guard (1...2).contains(ends.count), let first = Self.dayNames.firstIndex(of: ends[0]),
                    let last = Self.dayNames.firstIndex(of: ends[ends.count - 1])
                else { throw Problem(message: "\"\(item)\" is not a day or range of days (Mon, Tue, … Sun; Mon-Fri)") }
                var day = first
                while true {
                    days.insert(day + 1)
                    if day == last { break }
                    day = (day + 1) % 7
                }
            }
        } else {
            days = Set(1...7)
        }
        self.days = days
        let bounds = hours.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard bounds.count == 2, let start = Self.minutes(bounds[0]), let end = Self.minutes(bounds[1]), start < 24 * 60 else {
            throw Problem(message: "\"\(hours)\" is not HH:MM-HH:MM (00:00 to 24:00)")
        }
        guard start != end else { throw Problem(message: "\"\(hours)\" is empty: the start and the end are the same") }
        self.start = start
        self.end = end
    }

    static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]),
            (0...24).contains(hour), (0..<60).contains(minute), hour < 24 || minute == 0
        else { return nil }
        return hour * 60 + minute
    }

    /// Whether `date` falls inside the window.
    public func contains(_ date: Date) -> Bool {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = self.zone
        let parts = calendar.dateComponents([.weekday, .hour, .minute], from: date)
        // Calendar's weekday: 1 = Sunday … 7 = Saturday.
        let weekday = ((parts.weekday ?? 1) + 5) % 7 + 1
        let minute = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
        if self.start < self.end {
            return self.days.contains(weekday) && minute >= self.start && minute < self.end
        }
        // Past midnight: the evening part on a listed day, or the morning part after one.
        let yesterday = (weekday + 5) % 7 + 1
        return (self.days.contains(weekday) && minute >= self.start) || (self.days.contains(yesterday) && minute < self.end)
    }

    /// The local weekday and time of `date` in this window's zone, for explanations: `Tue 09:12 Europe/Berlin`.
    public func local(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = self.zone
        let parts = calendar.dateComponents([.weekday, .hour, .minute], from: date)
        let weekday = ((parts.weekday ?? 1) + 5) % 7
        let name = Self.dayNames[weekday].prefix(1).uppercased() + Self.dayNames[weekday].dropFirst()
        let time = String(format: "%02d:%02d", parts.hour ?? 0, parts.minute ?? 0)
        return "\(name) \(time) \(self.zone.identifier)"
    }
}
