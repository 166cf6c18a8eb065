"""A practice's disaffiliation: what it leaves with and what leaving involves.

The domain covers the exit package (every record the practice owns, in open formats, with a
manifest that proves it is complete), the transition plan drawn from the agreement's exit terms,
and the data-access report (who at the MSO read the practice's data, under which clause).
"""
