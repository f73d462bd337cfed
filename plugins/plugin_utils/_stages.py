# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to this collection: the stages of a promotion, read from the inventory.

A promotion moves a reviewed tree through stages. A stage is an inventory pattern (a host, a group, ``prod-*``):
its hosts are independent environments and may be promoted together; each stage waits for the whole stage before
it. ``promote_workflows_hosts`` lists the stages in order (a list, or one string of patterns separated by commas).
Unset, every promotion target is its own stage, in inventory order: a target is a host with its own
``promote_workflows_host``, or every host when none has one. The source environment is never a stage.
"""

from ansible.errors import AnsibleError
from ansible.inventory.manager import InventoryManager

ORDER_OPTION = "promote_workflows_hosts"
LEGACY_ORDER_OPTION = "promote_order"
TARGET_MARK = "promote_workflows_host"


class StageError(Exception):
    """The stages cannot be read from the inventory as given; the message names the variable and the fix."""


def parse_order(value, option=ORDER_OPTION):
    """The stage patterns of an order given as a list, or as one string of patterns separated by commas; None when
    unset. Lists of any kind (ansible-core's lazy lists included) become plain lists of str."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, str):
        patterns = value.split(",")
    elif isinstance(value, (list, tuple)):
        patterns = list(value)
    else:
        raise StageError("%s must be a list of inventory patterns, one per stage (for example [staging, prods]), or "
                         "one string of them separated by commas, not a %s" % (option, type(value).__name__))
    if not all(isinstance(pattern, str) and pattern.strip() for pattern in patterns):
        raise StageError("%s holds an empty or non-text stage (%r): give one inventory pattern per stage"
                         % (option, value))
    return [str(pattern).strip() for pattern in patterns]


def legacy_stages(value, manager):
    """The stages of the old promote_order: a list names one stage per item; a string is one pattern whose hosts are
    each their own stage, one after the other, as it always meant."""
    if isinstance(value, str):
        return [[host] for host in _matching(manager, value.strip(), LEGACY_ORDER_OPTION)]
    return resolve_patterns(parse_order(value, LEGACY_ORDER_OPTION), manager, LEGACY_ORDER_OPTION)


def inventory_of(groups, loader):
    """An InventoryManager of the hosts and groups in the magic variable groups (as inventory_hostnames builds it)."""
    manager = InventoryManager(loader, parse=False)
    for group, hosts in groups.items():
        manager.add_group(str(group))
        for host in hosts:
            manager.add_host(str(host), group=str(group))
    return manager


NO_MATCH = "Could not match supplied host pattern"  # raised instead of warned where host_pattern_mismatch=error


def _matching(manager, pattern, option):
    try:
        hosts = [host.name for host in manager.get_hosts(pattern=pattern)]
    except AnsibleError as exc:
        if NO_MATCH in str(exc):
            hosts = []
        else:
            raise StageError("%s: the pattern %r cannot be read: %s" % (option, pattern, exc)) from None
    if not hosts:
        raise StageError("%s: the stage %r matches no inventory host: fix the pattern or add the host" % (option, pattern))
    return hosts


def resolve_patterns(patterns, manager, option=ORDER_OPTION):
    """[[host, ...], ...]: the hosts of each stage pattern, in inventory order; a host in two stages is refused."""
    stages, seen = [], {}
    for pattern in patterns:
        hosts = _matching(manager, pattern, option)
        for host in hosts:
            if host in seen:
                raise StageError("%s: %s is in two stages, %r and %r: give each environment one stage"
                                 % (option, host, seen[host], pattern))
            seen[host] = pattern
        stages.append(hosts)
    return stages


def default_stages(all_hosts, host_setting):
    """Every promotion target its own stage, in inventory order: the hosts whose host_setting(host) (their
    promote_workflows_host) is set, or every host when none has one."""
    targets = [host for host in all_hosts if host_setting(host)]
    return [[host] for host in (targets or list(all_hosts))]


def stages_of(variables, loader, host_setting):
    """The stages of the play's inventory, from the variables of one host (or of the play)."""
    groups = variables.get("groups") or {}
    manager = inventory_of(groups, loader)
    patterns = parse_order(variables.get(ORDER_OPTION))
    if patterns is not None:
        return resolve_patterns(patterns, manager)
    legacy = variables.get(LEGACY_ORDER_OPTION)
    if legacy not in (None, "", []):
        return legacy_stages(legacy, manager)
    return default_stages(groups.get("all") or [], host_setting)


def stage_index(stages, host):
    """The index of host's stage, or None when host is no stage's."""
    return next((index for index, hosts in enumerate(stages) if host in hosts), None)


def earlier_stage(stages, host):
    """The hosts of the stage just before host's ([] for the first stage)."""
    index = stage_index(stages, host)
    return list(stages[index - 1]) if index else []


def play_plan(stages, play_hosts):
    """What the promote playbook runs: the hosts of play_hosts in stage order, and serial (the size of each stage
    among them), so that each stage is one batch."""
    picked = [[host for host in stage if host in play_hosts] for stage in stages]
    picked = [stage for stage in picked if stage]
    return {"hosts": [host for stage in picked for host in stage], "serial": [len(stage) for stage in picked],
            "stages": picked}


def batch_problem(stages, batch):
    """Why the play's batch cannot run: it holds hosts of more than one stage (None when it does not)."""
    indexes = sorted({stage_index(stages, host) for host in batch} - {None})
    if len(indexes) < 2:
        return None
    return ("this play runs %s at once, but they belong to %d stages (%s), and a stage must wait for the whole stage "
            "before it: run the play with serial: 1, or use the koreai.ai_for_process.promote playbook, which runs one "
            "stage per batch" % (", ".join(batch), len(indexes), "; ".join(", ".join(stages[index]) for index in indexes)))
