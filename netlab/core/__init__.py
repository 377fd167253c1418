"""The core every tab shares: engine loop, events, errors, codecs, config vocabulary, log store,
presentation, TLS."""
