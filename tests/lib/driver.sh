#!/bin/bash
# Runs one scenario file inside the runner's topology.
#   driver.sh SCENARIO_FILE
# Environment from tests/run: LB_RUN, LB_SCEN_DIR, LB_KERNEL.
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"
. "$LB_TOP/tests/lib/vm.sh"
. "$LB_TOP/tests/lib/scenario.sh"
. "$1"
scenario
