"""Management services agreements: versioned terms, enforcement, legal-risk rules, due-diligence report."""
