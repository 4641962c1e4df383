"""Moving records from run logs to where they are kept: a store (local) or a server (http)."""
