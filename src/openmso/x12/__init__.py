"""OpenMSO X12 005010 codec: streaming reader, envelope checks, writer and typed transactions."""

from openmso.x12.envelope import (
    EnvelopeReader,
    FunctionalGroup,
    GroupHeader,
    Interchange,
    InterchangeHeader,
    Transaction,
    iter_transactions,
    read_interchanges,
)
from openmso.x12.errors import X12Error
from openmso.x12.tokenizer import Delimiters, SegmentReader, iter_segments

__all__ = [
    "Delimiters",
    "EnvelopeReader",
    "FunctionalGroup",
    "GroupHeader",
    "Interchange",
    "InterchangeHeader",
    "SegmentReader",
    "Transaction",
    "X12Error",
    "iter_segments",
    "iter_transactions",
    "read_interchanges",
]
