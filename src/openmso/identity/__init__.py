"""Identity: users, roles and their practice scopes, login sessions, API tokens, login throttling."""
