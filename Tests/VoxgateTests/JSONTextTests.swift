import Foundation
import Testing
import VoxgateOutputs

/// ``JSONText``, the renderer of every JSON output (`decisions.jsonl`, sample JSON, manifests, totals): the exact
/// bytes of the contract: field order, integral doubles with a fraction, non-finite numbers as null, RFC 8259
/// escapes with U+2028/U+2029 escaped and other non-ASCII kept as UTF-8, the indented form. (String escaping against
/// its scalar definition and another parser: TextFastPathTests.)
@Suite("JSON text")
struct JSONTextTests {
    @Test func compactAndPrettyBytesAreTheContracts() {
        let value = JSONText.object([
            ("clip", .string("en/caf\u{e9} \"1\"\\.wav")),
            ("n", .int(-42)), ("whole", .double(3)), ("big", .double(1e15)), ("x", .double(0.1)),
            ("tiny", .double(-2.5e-7)), ("inf", .double(.infinity)), ("nan", .double(.nan)),
            ("r", .rounded(-23.456, places: 2)), ("t", .bool(true)), ("f", .bool(false)), ("none", .null),
            ("list", .array([.int(1), .array([]), .object([])])),
            ("ctl", .string("a\nb\rc\td\u{1}\u{1f}\u{7f}\u{2028}\u{2029}\u{1F600}")),
        ])
        let compact =
            #"{"clip":"en/café \"1\"\\.wav","n":-42,"whole":3.0,"big":1000000000000000.0,"x":0.1,"tiny":-2.5e-07,"inf":null,"#
            + #""nan":null,"r":-23.46,"t":true,"f":false,"none":null,"list":[1,[],{}],"#
            + #""ctl":"a\nb\rc\td\u0001\u001f"# + "\u{7f}" + #"\u2028\u2029"# + "\u{1F600}" + #""}"#
        #expect(value.rendered == compact)
        #expect(value.renderedUTF8 == Array(compact.utf8))
        let pretty = JSONText.object([("a", .array([.int(1), .object([("b", .null)])])), ("c", .array([]))]).pretty
        #expect(pretty == "{\n  \"a\": [\n    1,\n    {\n      \"b\": null\n    }\n  ],\n  \"c\": []\n}\n")
    }
}
