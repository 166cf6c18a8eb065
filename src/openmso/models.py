"""Every domain's tables, imported in one place so Alembic and `create_all` see the whole schema."""

from openmso.agreements import models as _agreements  # noqa: F401
from openmso.core import audit as _audit  # noqa: F401
from openmso.core import jobs as _jobs  # noqa: F401
from openmso.core.db import Base
from openmso.identity import models as _identity  # noqa: F401
from openmso.network import models as _network  # noqa: F401
from openmso.rcm.claims import models as _claims  # noqa: F401
from openmso.rcm.clearinghouse import models as _clearinghouse  # noqa: F401
from openmso.rcm.contracts import models as _contracts  # noqa: F401
from openmso.rcm.denials import models as _denials  # noqa: F401
from openmso.rcm.remittance import models as _remittance  # noqa: F401

metadata = Base.metadata
