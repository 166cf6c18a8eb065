"""OpenMSO X12 005010 codec: streaming reader, envelope checks, writer and typed transactions.

The claims and remittance domains call:

- reading: `iter_transactions(source)` (streaming) or `read_interchanges(source)`;
  then `parse_835`, `parse_837p`, `parse_999`, `parse_277ca` on each `Transaction`;
  a large 835 in bounded memory: `iter_transaction_parts(source, n)` and `stream_835(parts)`;
- balancing: `check_balance(remittance)` → list of `BalanceFinding`;
- writing: `write_837p(out, transactions, interchange, group)` / `render_837p(...)`,
  `write_835(...)`, or `InterchangeWriter` for any transaction set;
- errors: every problem is an `X12Error` with offset, segment number, segment id, element
  position and what was expected.
"""

from openmso.x12.ack999 import ImplementationAcknowledgment, TransactionAcknowledgment, parse_999
from openmso.x12.balance import BalanceFinding, check_balance
from openmso.x12.claim837p import (
    Patient,
    Payer,
    ProfessionalClaim,
    ProfessionalClaimTransaction,
    Provider,
    Receiver,
    ServiceLine,
    Submitter,
    Subscriber,
)
from openmso.x12.claim837p_reader import parse_837p
from openmso.x12.claim837p_writer import professional_claim_segments, render_837p, write_837p
from openmso.x12.envelope import (
    EnvelopeReader,
    FunctionalGroup,
    GroupHeader,
    Interchange,
    InterchangeHeader,
    Transaction,
    iter_transaction_parts,
    iter_transactions,
    read_interchanges,
)
from openmso.x12.errors import X12Error
from openmso.x12.remit835 import (
    Address,
    Adjustment,
    ClaimPayment,
    Contact,
    EntityName,
    Party,
    Payment,
    Procedure,
    ProviderAdjustment,
    Reference,
    Remittance,
    ServicePayment,
    Trace,
    reversal_of,
)
from openmso.x12.remit835_reader import parse_835, stream_835
from openmso.x12.remit835_writer import remittance_segments, write_835
from openmso.x12.status277ca import ClaimAcknowledgment, ClaimStatus, Status, parse_277ca
from openmso.x12.tokenizer import Delimiters, SegmentReader, iter_segments
from openmso.x12.writer import InterchangeWriter

__all__ = [
    "Address", "Adjustment", "BalanceFinding", "ClaimAcknowledgment", "ClaimPayment", "ClaimStatus",
    "Contact", "Delimiters", "EntityName", "EnvelopeReader", "FunctionalGroup", "GroupHeader",
    "ImplementationAcknowledgment", "Interchange", "InterchangeHeader", "InterchangeWriter", "Party",
    "Patient", "Payer", "Payment", "Procedure", "ProfessionalClaim", "ProfessionalClaimTransaction",
    "Provider", "ProviderAdjustment", "Receiver", "Reference", "Remittance", "SegmentReader",
    "ServiceLine", "ServicePayment", "Status", "Submitter", "Subscriber", "Trace", "Transaction",
    "TransactionAcknowledgment", "X12Error", "check_balance", "iter_segments", "iter_transaction_parts",
    "iter_transactions",
    "parse_277ca", "parse_835", "parse_837p", "parse_999", "professional_claim_segments",
    "read_interchanges", "remittance_segments", "render_837p", "reversal_of", "stream_835", "write_835",
    "write_837p",
]
