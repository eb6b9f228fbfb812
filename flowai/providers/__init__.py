"""Provider clients (one protocol family per module) and the router that routes node calls."""
