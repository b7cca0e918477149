#!/bin/sh
# make demo: Lift doing its main job on a throw-away store. Starts liftd, registers and starts
# the example experiment, asks for arms for a few thousand customers in mixed offer contexts,
# prints the split and the not-eligible reasons; then (when the simulator and the report are
# built) simulates six weeks of traffic and prints the weekly incrementality report next to
# the simulator's ground truth. Stops liftd at the end, whatever happens.
set -eu
B=${LIFT_BUILD:-build}
DIR=$(mktemp -d "${TMPDIR:-/tmp}/lift-demo-XXXXXX")
EP="ipc://$DIR/lift.sock"
CTL="$B/liftctl --endpoint $EP"
cleanup() {
    if [ -n "${PID:-}" ]; then kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
    rm -rf "$DIR"
}
trap cleanup EXIT INT TERM

echo "== liftd on $EP (store in $DIR/data)"
"$B/liftd" --endpoint "$EP" --data "$DIR/data" --log-level warn &
PID=$!
i=0
until $CTL --timeout 200 --retries 1 ping >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -lt 50 ] || { echo "liftd did not start" >&2; exit 1; }
done

# The assignment walk-through uses a copy of the example experiment under its own key, so the
# simulated six weeks below (liftsim registers upsell-usage-q4 itself, started six weeks ago)
# hold only simulated customers and compare one to one with the simulator's ground truth.
KEY=upsell-usage-q4-try
echo "== register and start the example experiment (examples/experiment.json, as $KEY)"
$CTL experiment create -f examples/experiment.json --key "$KEY"
$CTL experiment start "$KEY"

echo "== ask for arms: 3,600 customers in 12 offer contexts (some not eligible on purpose)"
OUT="$DIR/assign.jsonl"
: > "$OUT"
n=0
for ctx in "usage_threshold growth in_app" "usage_threshold maturity email" \
           "team_growth growth csm" "team_growth onboarding in_app" \
           "feature_exploration renewal email" "feature_exploration growth in_app" \
           "usage_threshold at_risk in_app" "integration growth in_app" \
           "usage_threshold growth chat" "team_growth maturity in_app" \
           "usage_threshold renewal in_app" "feature_exploration onboarding csm"; do
    set -- $ctx
    extra=""
    [ $n -eq 9 ] && extra="--open-ticket"
    seq $((n * 300 + 1)) $((n * 300 + 300)) | sed 's/^/cust-/' |
        $CTL --json assign "$KEY" --customers - --trigger "$1" --stage "$2" \
             --channel "$3" $extra >> "$OUT"
    n=$((n + 1))
done
echo
echo "arm split of customers in the experiment (weights 0.10 / 0.45 / 0.45):"
grep '"in_experiment":true' "$OUT" | sed 's/.*"arm_name":"\([^"]*\)".*/\1/' | sort | uniq -c |
    awk '{ t += $1; c[$2] = $1 } END { for (k in c) printf "  %-20s %6d  %5.1f%%\n", k, c[k], 100 * c[k] / t }' | sort
echo "not eligible, by reason (no exposure recorded for these):"
grep '"in_experiment":false' "$OUT" | sed 's/.*"reason":"\([^"]*\)".*/\1/' | sort | uniq -c |
    awk '{ printf "  %-24s %6d\n", $2, $1 }'
echo "asking again gives the same arms (sticky) and records nothing new:"
seq 1 300 | sed 's/^/cust-/' | $CTL --json assign "$KEY" --customers - \
    --trigger usage_threshold --stage growth --channel in_app |
    grep -c '"first_exposure":false' | sed 's/^/  repeat decisions: /'
$CTL experiment show "$KEY" | grep -iE "exposures|status" || true

if [ -x "$B/liftsim" ] && $CTL report --help >/dev/null 2>&1; then
    echo
    echo "== simulate 6 weeks of ~50,000 customers (tools/liftsim, examples/sim.json)"
    "$B/liftsim" --endpoint "$EP" --config examples/sim.json --seed 42 --weeks 6 \
        --customers 50000 --truth "$DIR/truth.json"
    echo
    echo "== the weekly incrementality report"
    $CTL --timeout 120000 report upsell-usage-q4 --segment-by trigger,stage,channel,delay
    $CTL --timeout 120000 report upsell-usage-q4 --segment-by trigger,stage,channel,delay \
        --format html -o demo-report.html
    echo "HTML report written to demo-report.html"
fi
echo
echo "== stopping liftd"
