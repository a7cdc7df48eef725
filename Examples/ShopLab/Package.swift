// swift-tools-version: 6.0
import PackageDescription

// A user's own lab: their scenarios, a policy and a fault of their own, and the whole Stormglass
// command line over them. In your repository, depend on Stormglass by URL instead:
//   .package(url: "https://github.com/<you>/stormglass", from: "0.2.0")
let package = Package(
    name: "ShopLab",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Stormglass", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "shop-lab",
            dependencies: [.product(name: "Stormglass", package: "Stormglass")],
            path: "Sources/ShopLab"
        ),
    ],
    swiftLanguageModes: [.v5]
)
