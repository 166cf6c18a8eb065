"""Work waiting across the revenue cycle's worklists, for the network overview."""
