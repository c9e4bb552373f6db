import FlameWireCLI

await FlameWireCommand.runMain()
