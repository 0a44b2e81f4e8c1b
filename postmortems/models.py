"""No models yet: this app's place in the dependency order is reserved (see docs/architecture.md)."""
