/*
 * test_csv.c - the cells of seinctl's CSV outputs (daemon/csv.c,
 * sh_csv_cell). A cell a spreadsheet would run as a formula gets an
 * apostrophe in front, inside the quotes; plain numbers, negative ones
 * too, stay as they are; and what is written reads back through the
 * reader as the same cells.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "csv.h"

/* s written as one cell, as the text written */
static char *cell(const char *s, int quote_always)
{
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);
	sh_csv_cell(f, s, quote_always, 1);
	fclose(f);
	return out;
}

int main(void)
{
	static const struct {
		const char *in, *needed, *always;
	} cases[] = {
	    /* formulas, and what spreadsheets start one with */
	    {"=HYPERLINK(\"https://x.example/\",\"open\")",
	     "\"'=HYPERLINK(\"\"https://x.example/\"\",\"\"open\"\")\"\n",
	     "\"'=HYPERLINK(\"\"https://x.example/\"\",\"\"open\"\")\"\n"},
	    {"@SUM(A1:A9)", "\"'@SUM(A1:A9)\"\n", "\"'@SUM(A1:A9)\"\n"},
	    {"+1+1", "\"'+1+1\"\n", "\"'+1+1\"\n"},
	    {"-1+1", "\"'-1+1\"\n", "\"'-1+1\"\n"},
	    {"-2+3+cmd|' /C calc'!A0", "\"'-2+3+cmd|' /C calc'!A0\"\n",
	     "\"'-2+3+cmd|' /C calc'!A0\"\n"},
	    {"\t=1+1", "\"'\t=1+1\"\n", "\"'\t=1+1\"\n"},
	    {"\r=1+1", "\"'\r=1+1\"\n", "\"'\r=1+1\"\n"},
	    {"-", "-\n", "\"-\"\n"}, /* the placeholder for nothing */
	    {"-x", "\"'-x\"\n", "\"'-x\"\n"},
	    {"-.5", "\"'-.5\"\n", "\"'-.5\"\n"},
	    {"-3.", "\"'-3.\"\n", "\"'-3.\"\n"},
	    {"-1e5", "\"'-1e5\"\n", "\"'-1e5\"\n"},
	    /* numbers and plain text stay as they are */
	    {"-3", "-3\n", "\"-3\"\n"},
	    {"-12.50", "-12.50\n", "\"-12.50\"\n"},
	    {"45000", "45000\n", "\"45000\"\n"},
	    {"incasso desk", "incasso desk\n", "\"incasso desk\"\n"},
	    {"a=b", "a=b\n", "\"a=b\"\n"},
	    /* a Dutch spreadsheet splits on ';': quoted, so it cannot */
	    {"x;=1+1", "\"x;=1+1\"\n", "\"x;=1+1\"\n"},
	    {"", "\n", "\"\"\n"},
	    {"de \"Vries\", J.", "\"de \"\"Vries\"\", J.\"\n",
	     "\"de \"\"Vries\"\", J.\"\n"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_case("cell %zu", i);
		char *a = cell(cases[i].in, 0), *b = cell(cases[i].in, 1);
		CHECK_STR(a, cases[i].needed);
		CHECK_STR(b, cases[i].always);
		free(a);
		free(b);
	}
	check_case("%s", "");

	/* a row written reads back as its cells (with the apostrophe) */
	const char *row[] = {"case_key", "=HYPERLINK(\"https://x.example/\")",
	                     "-12.50", "@SUM(1,2)", "plain"};
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < 5; i++)
			sh_csv_cell(f, row[i], pass, i == 4);
	fclose(f);
	sh_csv c;
	char why[200];
	CHECK_ERR(sh_csv_open(&c, (const uint8_t *)out, n, why, sizeof(why)),
	          SH_OK);
	CHECK_INT(c.ncols, 5);
	sh_csv_row r;
	CHECK_INT(sh_csv_next(&c, &r, why, sizeof(why)), 1);
	CHECK_INT(r.n, 5);
	if (r.n == 5) {
		CHECK_STR(r.cols[0], "case_key");
		CHECK_STR(r.cols[1], "'=HYPERLINK(\"https://x.example/\")");
		CHECK_STR(r.cols[2], "-12.50");
		CHECK_STR(r.cols[3], "'@SUM(1,2)");
		CHECK_STR(r.cols[4], "plain");
	}
	sh_csv_row_free(&r);
	CHECK_INT(sh_csv_next(&c, &r, why, sizeof(why)), 0);
	sh_csv_close(&c);
	free(out);
	return check_done();
}
