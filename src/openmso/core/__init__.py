"""Platform core: settings, database, security, tenancy, audit trail and errors."""
