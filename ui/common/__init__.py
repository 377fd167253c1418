"""What every tab shares: the engine bridge, the engine panel, the log pane and small widgets."""
