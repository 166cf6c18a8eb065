"""Accounts receivable: aging buckets, revenue-cycle KPIs (HFMA MAP Keys) and their reports."""
