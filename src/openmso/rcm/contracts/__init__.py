"""Payer contracts: effective-dated fee schedules per practice and the expected allowed amount."""
