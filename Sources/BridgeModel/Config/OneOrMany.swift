/// A string or an array of strings (`audience = "acme/trading"` or `audience = ["org:acme", ...]`).
struct OneOrMany: Decodable {
    var values: [String]

    init(from decoder: any Decoder) throws {
        if let one = try? decoder.singleValueContainer().decode(String.self) {
            self.values = [one]
        } else {
            self.values = try [String](from: decoder)
        }
    }
}
