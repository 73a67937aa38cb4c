import AerieImage
import Testing

/// The eight views are the symmetries of the square: each is a bijection on pixels, they compose
/// as the dihedral group does, and each matches a hand-written picture of a small image.
struct ImageViewTests {
    /// A 3×2 image whose pixel (x, y) has red = 10·y + x.
    let image = RGBAImage(width: 3, height: 2, pixels: (0..<2).flatMap { y in (0..<3).flatMap { x in [UInt8(10 * y + x), 0, 0, 255] } })

    func reds(_ i: RGBAImage) -> [[Int]] {
        (0..<i.height).map { y in (0..<i.width).map { x in Int(i.pixels[(y * i.width + x) * 4]) } }
    }

    @Test func viewsMatchTheirPictures() {
        // 0 1 2
        // 10 11 12
        #expect(reds(image.view(.center)) == [[0, 1, 2], [10, 11, 12]])
        #expect(reds(image.view(.hflip)) == [[2, 1, 0], [12, 11, 10]])
        #expect(reds(image.view(.vflip)) == [[10, 11, 12], [0, 1, 2]])
        #expect(reds(image.view(.rot180)) == [[12, 11, 10], [2, 1, 0]])
        #expect(reds(image.view(.rot90)) == [[10, 0], [11, 1], [12, 2]])   // clockwise
        #expect(reds(image.view(.rot270)) == [[2, 12], [1, 11], [0, 10]])
        #expect(reds(image.view(.transpose)) == [[0, 10], [1, 11], [2, 12]])
        #expect(reds(image.view(.antitranspose)) == [[12, 2], [11, 1], [10, 0]])
    }

    @Test func viewsComposeAsTheDihedralGroup() {
        let quarter = image.view(.rot90)
        #expect(quarter.view(.rot90) == image.view(.rot180))
        #expect(quarter.view(.rot90).view(.rot90) == image.view(.rot270))
        #expect(quarter.view(.rot270) == image)
        #expect(image.view(.hflip).view(.rot90) == image.view(.transpose) || image.view(.hflip).view(.rot90) == image.view(.antitranspose))
        // Eight distinct images from an image with no symmetry.
        let square = RGBAImage(width: 3, height: 3, pixels: (0..<9).flatMap { [UInt8($0), 0, 0, 255] })
        #expect(Set(ImageView.allCases.map { square.view($0).pixels }).count == 8)
    }
}
