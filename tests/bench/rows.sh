# shellcheck shell=bash
# rows.sh - sourced by the benchmark scripts (run.sh, import.sh,
# recover.sh).
#
# arrears_rows N PREFIX: a CSV export of N arrears rows for distinct
# fictional residents and claims (creditor references PREFIX-00000001 on),
# ';'-separated with a header of field names and one quoted field, as a
# creditor's system writes it for `seinctl import`.
arrears_rows() {
	awk -v n="$1" -v p="$2" 'BEGIN {
	    print "creditor_reference;arrears_kind;amount_cents;arrears_since;" \
		"contact_attempt_date;reminder_date;urgency;creditor_contact;" \
		"initials;surname;street;house_number;postcode;place"
	    for (i = 1; i <= n; i++)
		printf "%s-%08d;rent;%d;2026-08-01;2026-09-01;2026-09-15;" \
		    "none;\"incasso; desk\";T.;Testpersoon-%d;Fictieve Laan;" \
		    "%d;1234 AB;Teststad\n", p, i, 1000 + i % 90000, i,
		    1 + i % 999 }'
}
