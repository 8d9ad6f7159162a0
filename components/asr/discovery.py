"""The former home of `components.asr.protectable_machines`, kept for the state of existing stacks.

The engine stores each dynamic resource's provider pickled by reference (`components.asr.discovery.
ProtectableMachinesProvider` for a classic wave created before the module got its name) and unpickles it to
refresh or delete the resource; this name keeps resolving for them. New code imports `protectable_machines`.
"""

from components.asr.protectable_machines import ProtectableMachinesProvider

__all__ = ["ProtectableMachinesProvider"]
