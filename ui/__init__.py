"""NetLab's PySide6 desktop app. Imports netlab; netlab never imports it."""
