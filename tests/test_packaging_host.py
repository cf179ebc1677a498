"""The wheel check's minimal host (tests/packaging/host) keeps up with the adapter protocol.

The wheel check runs only in CI's last stage; this catches a protocol method the host lacks in
the suite already.
"""

import importlib.util
from pathlib import Path

from learning_credentials.adapters.base import HostAdapter

HOST_ADAPTER = Path(__file__).parent / "packaging" / "host" / "lms_host" / "adapter.py"


def test_the_packaging_hosts_adapter_implements_the_protocol():
    spec = importlib.util.spec_from_file_location("lms_host_adapter", HOST_ADAPTER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert isinstance(module.HostAdapter(), HostAdapter)
