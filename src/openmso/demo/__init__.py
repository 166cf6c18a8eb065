"""The demo network: a deterministic, realistic MSO with its practices, providers, payers and patients."""
