#!/bin/sh
# `npm run test:vm`: the VM scenarios in two lanes at once. A guest under TCG keeps about one of the two
# cores busy (apt, dpkg and most of a first boot run on one CPU), so two guests side by side take far
# less time than one after the other. 0-images first builds, or finds cached, what both lanes use.
# Lane B prints when both are done; the exit code is the first lane's failure, if any.
set -u
cd "$(dirname "$0")/.." || exit 1
uvu -r tsx test/vm '0-images\.test\.ts$' || exit 1
b=$(mktemp)
uvu -r tsx test/vm '(5-apply|6-image)\.test\.ts$' > "$b" 2>&1 &
lane_b=$!
uvu -r tsx test/vm '[1-4]-[a-z0-9-]+\.test\.ts$'
a=$?
wait $lane_b
b_status=$?
cat "$b"
rm -f "$b"
[ $a -eq 0 ] && exit $b_status
exit $a
