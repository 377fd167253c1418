"""What every tab shares: the engine bridge, the engine panel, the log pane and small widgets."""

from ui.common.feature_check import use_quick_check

# Before any other NetLab module is imported, so PySide checks each of them the quick way (issue 8).
use_quick_check()
