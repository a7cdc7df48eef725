// swift-tools-version: 6.0
import PackageDescription

// A user's own lab: scenarios, a policy and a fault of their own in a library, the whole Stormglass
// command line over them, and tests that judge their gates. In your repository, depend on Stormglass
// by URL instead: .package(url: "https://github.com/<you>/stormglass", from: "0.2.0")
let package = Package(
    name: "ShopLab",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Stormglass", path: "../.."),
    ],
    targets: [
        .target(name: "ShopLab", dependencies: [.product(name: "Stormglass", package: "Stormglass")]),
        .executableTarget(name: "shop-lab", dependencies: ["ShopLab", .product(name: "Stormglass", package: "Stormglass")]),
        .testTarget(name: "ShopLabTests", dependencies: ["ShopLab", .product(name: "Stormglass", package: "Stormglass")]),
    ],
    swiftLanguageModes: [.v5]
)
