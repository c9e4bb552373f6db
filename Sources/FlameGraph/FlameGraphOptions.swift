/// How a flame graph is drawn: size, fonts, colours and the limits that keep the SVG small.
///
/// Every field has a default that matches flamegraph.pl's look, so callers set only what
/// the user chose (`var o = FlameGraphOptions(); o.inverted = true`).
public struct FlameGraphOptions: Sendable, Equatable {
    /// Large text centred at the top.
    public var title: String
    /// Optional second line under the title (for example the command or host).
    public var subtitle: String?
    /// Image width in pixels, margins included.
    public var width: Int
    /// Height of one row of frames in pixels (`--height`).
    public var frameHeight: Int
    /// Font size of labels and controls in pixels; labels are cut to fit using
    /// `0.59 × fontSize` per character.
    public var fontSize: Double
    /// CSS font family of all text.
    public var fontFamily: String
    /// Frames narrower than this many pixels are left out with their whole subtree; their
    /// value stays in their parent's width, so nothing is lost from the totals.
    public var minWidth: Double
    /// Icicle graph: the root at the top and callees below their callers.
    public var inverted: Bool
    /// How frames are coloured (ignored by differential graphs, which colour by change).
    public var palette: Palette
    /// Differential graphs only: scale the baseline so its total equals the new total
    /// before comparing, so a longer recording does not make everything look grown.
    public var normalizeDiff: Bool
    /// At most this many frames are drawn; when more would be wide enough, the effective
    /// minimum width is raised until they fit (and the SVG says so). Keeps the file small
    /// and the page responsive whatever the input size.
    public var maxFrames: Int
    /// Upper bound for the size of the SVG in bytes. Frames are left out (narrowest first)
    /// until the estimated size fits; this matters when frame names are very long.
    public var maxBytes: Int

    /// Default frame cap: about 110 bytes is the least one frame takes, so this many
    /// frames stay under the default byte budget.
    public static let defaultMaxFrames = 40_000
    /// Default byte budget: under 5 MB with room for the header and script.
    public static let defaultMaxBytes = 4_700_000

    public init(
        title: String = "Flame Graph",
        subtitle: String? = nil,
        width: Int = 1200,
        frameHeight: Int = 16,
        fontSize: Double = 12,
        fontFamily: String = "Verdana",
        minWidth: Double = 0.1,
        inverted: Bool = false,
        palette: Palette = .hot,
        normalizeDiff: Bool = false,
        maxFrames: Int = FlameGraphOptions.defaultMaxFrames,
        maxBytes: Int = FlameGraphOptions.defaultMaxBytes
    ) {
        self.title = title
        self.subtitle = subtitle
        self.width = width
        self.frameHeight = frameHeight
        self.fontSize = fontSize
        self.fontFamily = fontFamily
        self.minWidth = minWidth
        self.inverted = inverted
        self.palette = palette
        self.normalizeDiff = normalizeDiff
        self.maxFrames = maxFrames
        self.maxBytes = maxBytes
    }
}
