import FlameWireCLI

FlameWireCommand.runMain()
