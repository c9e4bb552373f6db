import FlameWireCLI

FlameWireCommand.prepareProcess(CommandLine.arguments)
await FlameWireCommand.runMain()
