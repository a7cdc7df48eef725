/// The name the command line was started by (`stormglass`, or a user's own lab such as `shop-lab`), for
/// messages that tell the user what to run next. Set once at start-up, before any command runs.
public enum CommandName {
    nonisolated(unsafe) public static var current = "stormglass"
}
