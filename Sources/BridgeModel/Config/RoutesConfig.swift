/// `routes.toml`: how each org is reached, and which rooms are bridged.
public struct RoutesConfig: Sendable, Hashable {
    /// Direct messages to people of `org` go out through `adapter`.
    public struct Reach: Sendable, Hashable {
        public var org: String
        public var adapter: String

        public init(org: String, adapter: String) {
            self.org = org
            self.adapter = adapter
        }
    }

    /// A bridged room: whatever one member channel says goes to all the others (through the gate).
    public struct Room: Sendable, Hashable {
        public struct Member: Sendable, Hashable {
            public var adapter: String
            public var channel: String

            public init(adapter: String, channel: String) {
                self.adapter = adapter
                self.channel = channel
            }
        }

        public var id: String
        public var members: [Member]

        public init(id: String, members: [Member]) {
            self.id = id
            self.members = members
        }
    }

    public var reach: [Reach]
    public var rooms: [Room]

    public init(reach: [Reach] = [], rooms: [Room] = []) {
        self.reach = reach
        self.rooms = rooms
    }
}
