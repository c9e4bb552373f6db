enum NoisePlaceholder {}
