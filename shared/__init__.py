"""What the use cases share: models, settings, the store, the mailer, tokens, clock, ids.

Imports neither functions/ nor chalicelib/.
"""
