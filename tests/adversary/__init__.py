"""A stateful adversary model: a stranger against an owner, over the real use cases."""
