"""NetLab's Qt-free core: sockets, protocols, codecs and the traffic log."""

__version__ = "0.1.0"
