"""Charges, claims, their state machine and timeline, and the 837P batches that carry them."""
