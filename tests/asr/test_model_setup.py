"""The SDKs' generated models are set up before a wave's threads use them (`arm.prepare_models`).

Each run is a fresh interpreter: a model class is only at risk on its first use in a process. 32 threads build
and read an ASR item and a Compute VM at the same instant; without the setup, `'dict' object has no attribute
...` comes back in about half of the runs (measured while writing this test); with it, never.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RACE = """
import sys, threading
sys.path.insert(0, {root!r})
sys.setswitchinterval(1e-6)
from azure.mgmt.compute import models as compute
from azure.mgmt.recoveryservicessiterecovery import models as asr
{setup}
item = {{"name": "web01", "properties": {{"allowedOperations": ["TestFailover"], "currentScenario": {{"jobId": "j"}},
        "providerSpecificDetails": {{"instanceType": "InMageRcm", "vmNics": [{{"nicId": "n", "isPrimaryNic": "true"}}]}}}}}}
vm = {{"location": "x", "properties": {{"storageProfile": {{"osDisk": {{"createOption": "Attach",
      "managedDisk": {{"id": "/d1"}}}}}}, "instanceView": {{"statuses": [{{"code": "PowerState/running"}}]}}}}}}
failures, barrier = [], threading.Barrier(32)
def use():
    barrier.wait()
    try:
        asr.ReplicationProtectedItem(item).properties.provider_specific_details.vm_nics[0].nic_id
        v = compute.VirtualMachine(vm)
        v.storage_profile.os_disk.managed_disk.id, [s.code for s in v.instance_view.statuses]
    except Exception as error:
        failures.append(repr(error))
threads = [threading.Thread(target=use) for _ in range(32)]
[t.start() for t in threads]; [t.join() for t in threads]
print(len(failures), failures[:1])
"""


@pytest.mark.slow  # three fresh interpreters
def test_concurrent_first_use_of_the_models_after_the_setup_never_sees_raw_json() -> None:
    code = RACE.format(root=str(ROOT), setup="from components.asr.arm import prepare_models; prepare_models()")
    for _ in range(3):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("0 "), done.stdout
