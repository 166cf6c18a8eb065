"""The MSO network: the MSO, its affiliated practices, their locations, providers, patients and payers."""
