"""Denials: CARC/RARC code tables, the denial-category rules (data) and the denial worklist."""
