"""TCP: configs, the server, the clients and the stream they share."""
