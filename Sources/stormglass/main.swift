import StormglassCLI

Stormglass.runMain()
