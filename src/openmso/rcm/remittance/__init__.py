"""Remittance: 835 ingestion, matching and auto-posting, deposits and the exceptions queue."""
