#!/bin/sh
# `npm run test:vm`: the VM scenarios in two lanes at once. A guest under TCG keeps about one of the two
# cores busy (apt, dpkg and most of a first boot run on one CPU), so two guests side by side take less
# time than one after the other. 0-images first builds, or finds cached, what both lanes use.
# Lane B prints when both are done; the exit code is the first lane's failure, if any.
set -u
cd "$(dirname "$0")/.." || exit 1
# balanced by a cold CI run side by side: 2 and 5 took 17 and 26 minutes; 1, 3, 4 and 6 took 0.5, 13, 16-20 and 7
LANE_A='1-fail2ban-config 3-ubuntu-socket 4-trixie-power-cut 6-image'
LANE_B='2-bookworm 5-apply'
for file in test/vm/*.test.ts; do
  name=$(basename "$file" .test.ts)
  case " 0-images $LANE_A $LANE_B " in
    *" $name "*) ;;
    *) echo "scripts/test-vm.sh: $file is in no lane" >&2; exit 1 ;;
  esac
done
files() { echo "($(echo "$1" | tr ' ' '|'))\\.test\\.ts\$"; }

tsx scripts/uvu.ts -r tsx test/vm '0-images\.test\.ts$' || exit 1
b=$(mktemp)
tsx scripts/uvu.ts -r tsx test/vm "$(files "$LANE_B")" > "$b" 2>&1 &
lane_b=$!
tsx scripts/uvu.ts -r tsx test/vm "$(files "$LANE_A")"
a=$?
wait $lane_b
b_status=$?
cat "$b"
rm -f "$b"
[ $a -eq 0 ] && exit $b_status
exit $a
