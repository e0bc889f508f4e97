#!/usr/bin/env bash
# demo.sh - a small Seinhuis network on 127.0.0.1, end to end.
#
#   bash deploy/demo.sh [BUILD_DIR]      (./deploy/bootstrap demo does this)
#
# Seven fictional partners (deploy/demo/partners) each get their own keys,
# trust store, data directory and daemon. Creditors report payment arrears
# of fictional residents to the municipality's debt-help team; a wijkteam
# files a meldcode report with Veilig Thuis, which answers with a notice.
# The demo then shows what each team sees; a caseworker claims the most
# urgent case, records the outreach and, under the resident's consent,
# tells the creditor, whose outbox shows it; the team exports its cases as
# CSV. It stops every daemon it started, by pid, and exits 0 only if every
# step worked. KEEP=1 keeps the files in the demo directory;
# SEINHUIS_PORT_OFFSET moves the ports of deploy/demo/partners.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
SEINHUISD=$build/seinhuisd
SEINCTL=$build/seinctl
SEINKEY=$build/seinkey
RUN_USER=${RUN_USER:-seinhuis}
DIR=$(mktemp -d /tmp/seinhuis-demo.XXXXXX)
chmod 755 "$DIR"
declare -A PID=() PORT=() ROLE=() NAME=()
IDS=()

as_user() {
	if [ "$(id -u)" = 0 ]; then
		setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --clear-groups -- "$@"
	else
		"$@"
	fi
}
[ "$(id -u)" = 0 ] && chown "$RUN_USER:" "$DIR"
# The daemons run as $RUN_USER, who cannot reach a checkout under /root:
# they run copies, with copies of the catalogue and the postcode table.
mkdir -p "$DIR/bin" "$DIR/etc"
cp "$SEINHUISD" "$SEINKEY" "$DIR/bin/"
cp "$here/catalogue.conf" "$here/demo/postcodes.sample" "$DIR/etc/"
chmod 755 "$DIR/bin" "$DIR/etc" "$DIR"/bin/*
chmod 644 "$DIR"/etc/*
SEINHUISD=$DIR/bin/seinhuisd
SEINKEY=$DIR/bin/seinkey

cleanup() {
	local id
	for id in "${!PID[@]}"; do kill -TERM "${PID[$id]}" 2>/dev/null || true; done
	for id in "${!PID[@]}"; do wait "${PID[$id]}" 2>/dev/null || true; done
	if [ "${KEEP:-0}" = 1 ]; then echo "demo files kept in $DIR"; else rm -rf "$DIR"; fi
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
ctl() { local id=$1; shift; "$SEINCTL" -s "$DIR/$id/control.sock" "$@"; }
inbox_depth() { ctl "$1" status 2>/dev/null | awk '$1 == "inbox" {print $2}'; }

while read -r id role port name; do
	[[ -z "$id" || "$id" == \#* ]] && continue
	IDS+=("$id")
	# SEINHUIS_PORT_OFFSET moves every port, as in the integration tests,
	# so that the demo can run beside another copy on one machine.
	ROLE[$id]=$role PORT[$id]=$((port + ${SEINHUIS_PORT_OFFSET:-0})) NAME[$id]=$name
done <"$here/demo/partners"

say "1. Each partner creates its identity (seinkey init) and configuration"
for id in "${IDS[@]}"; do
	munis=()
	[ "${ROLE[$id]}" = municipality_debt ] && munis=(--municipalities 9901)
	as_user "$SEINKEY" init --dir "$DIR/$id/keys" --partner "$id" \
		--name "${NAME[$id]}" --role "${ROLE[$id]}" \
		--endpoint "tcp://127.0.0.1:${PORT[$id]}" "${munis[@]}" | head -n 1
	sed -e "s|@DIR@|$DIR|g" -e "s|@ID@|$id|g" -e "s|@PORT@|${PORT[$id]}|g" \
		-e "s|@CATALOGUE@|$DIR/etc/catalogue.conf|g" \
		-e "s|@POSTCODES@|$DIR/etc/postcodes.sample|g" \
		"$here/demo/partner.conf.in" | as_user tee "$DIR/$id.conf" >/dev/null
done
echo "secret keys are mode 0600:"
ls -l "$DIR/gemeente-waterdam/keys" | sed 's/^/    /'

say "2. Partners exchange public cards and trust the ones they work with"
trust() { as_user "$SEINKEY" trust --trustdir "$DIR/$1/trust" "$DIR/$2/keys/card" | sed "s/^/    $1: /"; }
for creditor in woonstichting-hoeksteen energiek-nederland waterbedrijf-polderland zorgverzekeraar-samen; do
	trust gemeente-waterdam "$creditor"
	trust "$creditor" gemeente-waterdam
done
trust wijkteam-waterdam veilig-thuis-waterdam
trust veilig-thuis-waterdam wijkteam-waterdam

say "3. Every partner starts its daemon (as the unprivileged '$RUN_USER' user)"
for id in "${IDS[@]}"; do
	if [ "$(id -u)" = 0 ]; then
		setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --clear-groups -- \
			"$SEINHUISD" -c "$DIR/$id.conf" >"$DIR/$id.log" 2>&1 &
	else
		"$SEINHUISD" -c "$DIR/$id.conf" >"$DIR/$id.log" 2>&1 &
	fi
	PID[$id]=$!
done
for id in "${IDS[@]}"; do
	for _ in $(seq 100); do ctl "$id" status >/dev/null 2>&1 && break; sleep 0.1; done
	ctl "$id" status >/dev/null || { cat "$DIR/$id.log"; exit 1; }
	echo "    $id: pid ${PID[$id]}, tcp://127.0.0.1:${PORT[$id]}"
done

say "4. Creditors report payment arrears of fictional residents (Wgs/Bgs legal duty)"
RANDOM=2026
SURNAMES=("Jansen" "de Vries" "van den Berg" "Bakker" "Visser" "Smit" "Meijer"
	"de Boer" "Mulder" "de Groot" "Bos" "Vos" "Peters" "Hendriks" "van Leeuwen"
	"Dekker" "Brouwer" "de Wit" "Dijkstra" "van der Meer" "Öztürk" "Kok")
STREETS=("Molenweg" "Dijkstraat" "Kerkplein" "Havenkade" "Lindelaan" "Zuiderpad")
# Twelve fictional households in Waterdam (postcodes 9901-9906).
ABC=ABCDEFGHIJKLMNOPQRSTUVWXYZ
HH=()
for h in $(seq 0 11); do
	HH+=("${SURNAMES[RANDOM % ${#SURNAMES[@]}]}|${STREETS[h % 6]}|$((h * 7 % 60 + 1))|990$((h % 6 + 1)) W${ABC:h:1}")
done
SENT=0
send_arrears() { # creditor kind household-index urgency
	local from=$1 kind=$2 h=$3 urgency=$4
	IFS='|' read -r surname street number postcode <<<"${HH[$h]}"
	local amount=$(((RANDOM % 180 + 20) * 1000 + RANDOM % 100))
	local month=$((RANDOM % 3 + 7))
	ctl "$from" send --type arrears --to gemeente-waterdam \
		legal_basis=legal_duty arrears_kind="$kind" amount_cents="$amount" \
		arrears_since="2026-0$month-01" contact_attempt_date="2026-10-0$((RANDOM % 9 + 1))" \
		reminder_date="2026-10-1$((RANDOM % 9))" urgency="$urgency" \
		creditor_reference="REF-$RANDOM" creditor_contact="incasso desk, 088 000 0000" \
		municipality_code=9901 initials="${ABC:RANDOM % 26:1}.${ABC:RANDOM % 26:1}." \
		surname="$surname" street="$street" house_number="$number" \
		postcode="$postcode" place=Waterdam | sed "s/^/    $from: /"
	SENT=$((SENT + 1))
}
# The housing corporation imports its monthly export; each row is routed
# by postcode to the municipality (deploy/demo/postcodes.sample).
CSV=$(mktemp /tmp/seinhuis-demo-export.XXXXXX.csv)
{
	echo "creditor_reference;arrears_kind;amount_cents;arrears_since;contact_attempt_date;reminder_date;urgency;creditor_contact;initials;surname;street;house_number;postcode;place"
	for h in 0 1 2 3 4 5 6; do
		IFS='|' read -r surname street number postcode <<<"${HH[$h]}"
		urgency=none
		[ "$h" = 6 ] && urgency=eviction
		echo "HUUR-2026-$((1000 + h));rent;$(((RANDOM % 180 + 20) * 1000));2026-08-01;2026-09-0$((h + 1));2026-09-2$((h % 9));$urgency;huurincasso 088 000 0001;${ABC:h:1}.;$surname;$street;$number;$postcode;Waterdam"
	done
	echo "HUUR-2026-1099;rent;25000;2026-08-01;2026-09-01;2026-09-20;none;huurincasso;X.;Buitendorp;Veldweg;3;1234 AB;Elders"
} >"$CSV"
chmod 644 "$CSV"
echo "    woonstichting-hoeksteen imports its export (8 rows, one outside Waterdam):"
ctl woonstichting-hoeksteen import "$CSV" --type arrears --set legal_basis=legal_duty 2>&1 | sed 's/^/      /' || true
echo "    ... and imports the same file again: nothing is sent twice:"
ctl woonstichting-hoeksteen import "$CSV" --type arrears --set legal_basis=legal_duty --quiet 2>/dev/null | sed 's/^/      /' || true
rm -f "$CSV"
SENT=$((SENT + 7))
for h in 0 2 7 8; do send_arrears energiek-nederland electricity "$h" none; done
send_arrears energiek-nederland gas 9 disconnection
for h in 1 2 10; do send_arrears waterbedrijf-polderland water "$h" none; done
for h in 0 3 4 11; do send_arrears zorgverzekeraar-samen health_insurance "$h" none; done

say "5. A wijkteam files a meldcode report with Veilig Thuis (meldrecht, weighing recorded)"
report=$(ctl wijkteam-waterdam send --type meldcode_report --to veilig-thuis-waterdam \
	legal_basis=meldrecht concern_category=child_abuse urgency=structural \
	steps_taken=1,2,3,4 reporter_role=wijkteam justification=structural_unsafety \
	surname="Mulder" postcode="9903 WC" house_number=15 \
	description="Fictional demo text: concerns after three home visits." \
	reporter_contact="wijkteam desk, 0900 000 0000")
echo "    wijkteam-waterdam: $report"
report_id=${report#accepted }

echo "    waiting for delivery ..."
for _ in $(seq 100); do
	[ "$(inbox_depth gemeente-waterdam)" = "$SENT" ] &&
		[ "$(inbox_depth veilig-thuis-waterdam)" = 1 ] && break
	sleep 0.1
done
[ "$(inbox_depth gemeente-waterdam)" = "$SENT" ] || {
	echo "gemeente-waterdam has $(inbox_depth gemeente-waterdam) of the $SENT arrears signals" >&2
	exit 1
}
[ "$(inbox_depth veilig-thuis-waterdam)" = 1 ] || {
	echo "the meldcode report did not reach veilig-thuis-waterdam" >&2
	exit 1
}
echo "    gemeente-waterdam has all $SENT arrears signals; veilig-thuis-waterdam the report"

say "6. Veilig Thuis sends a notice back to the reporter (terugkoppeling)"
ctl veilig-thuis-waterdam send --type vt_notice --to wijkteam-waterdam \
	legal_basis=legal_task report_id="$report_id" status=received \
	escalation_level=1 next_step="safety assessment within 5 working days" \
	contact_point="Veilig Thuis advice line" | sed 's/^/    veilig-thuis-waterdam: /'
for _ in $(seq 100); do
	[ "$(inbox_depth wijkteam-waterdam)" = 1 ] && break
	sleep 0.1
done
[ "$(inbox_depth wijkteam-waterdam)" = 1 ] || {
	echo "the notice did not reach wijkteam-waterdam" >&2
	exit 1
}

say "7. The debt-help team's inbox at Gemeente Waterdam (pseudonyms only, no names)"
ctl gemeente-waterdam inbox list
say "   The same signals as cases, one per household, most urgent first"
ctl gemeente-waterdam inbox
first=$(ctl gemeente-waterdam inbox list | awk 'NR==2{print $1}')
say "   One signal in detail (personal data stays sealed until revealed)"
ctl gemeente-waterdam inbox show "$first"
say "   The team takes it (inbox ack); it leaves the queue"
ctl gemeente-waterdam inbox ack "$first"

say "8. A caseworker claims the most urgent case and records the outreach"
urgent=$(ctl gemeente-waterdam inbox | awk 'NR==2{print $1}')
ctl gemeente-waterdam claim "$urgent" | sed 's/^/    /'
ctl gemeente-waterdam case step "$urgent" contact_attempted --how phone --reached no \
	--part morning | sed 's/^/    /'
ctl gemeente-waterdam case step "$urgent" contact_attempted --how visit --reached yes \
	--crisis | sed 's/^/    /'
# Household 6 (the eviction) agrees that its landlord is told about the
# contact; the team registers that consent (fictional identifiers, on
# standard input) and sends the step to the case's creditors under it.
IFS='|' read -r surname street number postcode <<<"${HH[6]}"
consent=$(printf 'surname=%s\npostcode=%s\nhouse_number=%s\n' "$surname" "$postcode" "$number" |
	ctl gemeente-waterdam consent grant --to woonstichting-hoeksteen \
		--purpose collection_pause --until "$(date -u -d '+6 months' +%F)" |
	awk '{print $2}')
echo "    consent $consent: the resident agrees that the landlord hears of the contact"
ctl gemeente-waterdam case step "$urgent" in_conversation --feedback --consent "$consent" |
	sed 's/^/    /'
ctl gemeente-waterdam case show "$urgent" | sed 's/^/    /'
say "   The landlord's outbox shows the status next to its signal"
fb_line=""
for _ in $(seq 100); do
	fb_line=$(ctl woonstichting-hoeksteen outbox | grep 'feedback: contact_made' || true)
	[ -n "$fb_line" ] && break
	sleep 0.1
done
[ -n "$fb_line" ] || { echo "the feedback did not reach the landlord" >&2; exit 1; }
echo "$fb_line" | sed 's/^/    /'
say "   The team exports its cases as CSV (no personal data without --reveal)"
ctl gemeente-waterdam export --format csv --out "$DIR/cases.csv" | sed 's/^/    /'
ls -l "$DIR/cases.csv" | sed 's/^/    /'
head -n 4 "$DIR/cases.csv" | cut -c 1-160 | sed 's/^/    /'
grep -q "$surname" "$DIR/cases.csv" && { echo "personal data in the export" >&2; exit 1; }
say "   The figures of the national statistics for this period (case monitor)"
ctl gemeente-waterdam case monitor --since "$(TZ=Europe/Amsterdam date +%F)" | sed 's/^/    /'

say "9. Veilig Thuis received the report; the wijkteam received the notice"
ctl veilig-thuis-waterdam inbox list
ctl wijkteam-waterdam inbox list

say "10. The landlord's outbox: every signal delivered, with receipts"
ctl woonstichting-hoeksteen outbox
say "   and the municipality's daemon status"
ctl gemeente-waterdam status

say "11. Stopping every daemon by pid"
for id in "${IDS[@]}"; do
	kill -TERM "${PID[$id]}"
	rc=0
	wait "${PID[$id]}" || rc=$?
	[ "$rc" = 0 ] || {
		echo "$id (pid ${PID[$id]}) stopped with status $rc; its log:" >&2
		tail -n 20 "$DIR/$id.log" >&2
		unset "PID[$id]"
		exit 1
	}
	echo "    $id (pid ${PID[$id]}) stopped cleanly"
	unset "PID[$id]"
done
say "Demo complete."
