"""Provider clients (one protocol family per module) and the gateway that routes node calls."""
