/*
 * test_csv.c - the cells of seinctl's CSV outputs (daemon/csv.c,
 * sh_csv_cell). A cell a spreadsheet would run as a formula gets an
 * apostrophe in front, inside the quotes; plain numbers, negative ones
 * too, stay as they are; and what is written reads back through the
 * reader as the same cells. And the reader's encodings, decided record by
 * record: a UTF-8 row stays as it is next to a Windows-1252 one, which is
 * converted, and a row that is neither is refused alone by its line and
 * rule, without its value. And the header: a file exported without one,
 * whose first row holds a resident's data, is refused as "row 1 is not a
 * header" without a cell of it; a real header's unknown column is named
 * by its name only if that cannot be data (the shipped catalogue,
 * argv[1], says which names are fields, as the daemon does).
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "csv.h"
#include "policy.h"

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

/* One record as the reader gave it. */
struct rec {
	int got, line, cp1252;
	char rule[16], why[300], cols[3][64];
};

/* Open the file (len bytes) and read every record; returns how many
 * (at most max), or -1 if the file was refused (why in rec[0]). */
static int read_all(const char *data, size_t len, sh_csv *c, struct rec *rec,
                    int max)
{
	char why[300];
	memset(rec, 0, sizeof(*rec) * (size_t)max);
	if (sh_csv_open(c, (const uint8_t *)data, len, why, sizeof(why)) !=
	    SH_OK) {
		snprintf(rec[0].why, sizeof(rec[0].why), "%s", why);
		return -1;
	}
	int n = 0, got;
	sh_csv_row r;
	while (n < max && (got = sh_csv_next(c, &r, why, sizeof(why))) != 0) {
		struct rec *x = &rec[n++];
		x->got = got;
		snprintf(x->rule, sizeof(x->rule), "%s",
		         got < 0 && c->rule ? c->rule : "");
		if (got < 0) {
			snprintf(x->why, sizeof(x->why), "%s", why);
			continue;
		}
		x->line = r.line;
		x->cp1252 = r.cp1252;
		for (size_t i = 0; i < r.n && i < 3; i++)
			snprintf(x->cols[i], sizeof(x->cols[i]), "%s",
			         r.cols[i]);
		sh_csv_row_free(&r);
	}
	return n;
}

#define READ(lit, c, rec) read_all(lit, sizeof(lit) - 1, c, rec, 8)

static void test_encodings(void)
{
	sh_csv c;
	struct rec r[8];

	check_case("%s", "a UTF-8 row next to a Windows-1252 one");
	CHECK_INT(READ("creditor_reference;creditor_contact;surname\n"
	               "R1;desk Zo\xc3\xab;M\xc3\xbcller\n"
	               "R2;caf\xe9;Dupr\xe9\n"
	               "R3;plain;Jansen\n",
	               &c, r),
	          3);
	CHECK_INT(c.cp1252, 0); /* not a Windows-1252 file */
	CHECK_INT(c.rows_cp1252, 1);
	CHECK_INT(c.rows_utf8, 1);
	CHECK_INT(r[0].got, 1);
	CHECK_STR(r[0].cols[1], "desk Zo\xc3\xab"); /* as it was */
	CHECK_STR(r[0].cols[2], "M\xc3\xbcller");
	CHECK_INT(r[0].cp1252, 0);
	CHECK_INT(r[1].got, 1);
	CHECK_STR(r[1].cols[1], "caf\xc3\xa9"); /* converted */
	CHECK_STR(r[1].cols[2], "Dupr\xc3\xa9");
	CHECK_INT(r[1].cp1252, 1);
	CHECK_INT(r[1].line, 3);
	CHECK_INT(r[2].got, 1);
	CHECK_INT(r[2].cp1252, 0);
	sh_csv_close(&c);

	check_case("%s", "a byte Windows-1252 does not define");
	CHECK_INT(READ("a;b\n"
	               "x;Zo\xc3\xab\n"
	               "SECRET;SECRET\x81VALUE\n"
	               "z;caf\xe9\n",
	               &c, r),
	          3);
	CHECK_INT(r[0].got, 1);
	CHECK_STR(r[0].cols[1], "Zo\xc3\xab");
	CHECK_INT(r[1].got, -1);
	CHECK_STR(r[1].rule, "CSV_ENCODING");
	CHECK_HAS(r[1].why, "line 3: not UTF-8 and not Windows-1252");
	CHECK_HAS(r[1].why, "column 2");
	CHECK_HAS(r[1].why, "0x81");
	CHECK(!strstr(r[1].why, "SECRET"));
	CHECK_INT(r[2].got, 1);
	CHECK_STR(r[2].cols[1], "caf\xc3\xa9");
	sh_csv_close(&c);

	check_case("%s", "a NUL byte");
	CHECK_INT(READ("a;b\n"
	               "x;y\n"
	               "SECRET;SEC\0RET\n"
	               "z;w\n",
	               &c, r),
	          3);
	CHECK_INT(r[0].got, 1);
	CHECK_INT(r[1].got, -1);
	CHECK_STR(r[1].rule, "CSV_ENCODING");
	CHECK_HAS(r[1].why, "line 3: not UTF-8 and not Windows-1252");
	CHECK_HAS(r[1].why, "NUL");
	CHECK(!strstr(r[1].why, "SEC"));
	CHECK_INT(r[2].got, 1);
	CHECK_STR(r[2].cols[0], "z");
	sh_csv_close(&c);

	check_case("%s", "a rule broken by a record is still CSV");
	CHECK_INT(READ("a;b\nx\nz;w\n", &c, r), 2);
	CHECK_INT(r[0].got, -1);
	CHECK_STR(r[0].rule, "CSV");
	CHECK_INT(r[1].got, 1);
	sh_csv_close(&c);

	check_case("%s", "a Windows-1252 file");
	CHECK_INT(READ("a,b\nM\xfcller,\x80\nplain,x\n", &c, r), 2);
	CHECK_INT(c.cp1252, 1);
	CHECK_STR(r[0].cols[0], "M\xc3\xbcller");
	CHECK_STR(r[0].cols[1], "\xe2\x82\xac");
	CHECK_INT(r[0].cp1252, 1);
	CHECK_STR(r[1].cols[0], "plain");
	sh_csv_close(&c);

	check_case("%s", "a UTF-8 file with a byte-order mark");
	CHECK_INT(READ("\xef\xbb\xbf"
	               "a;b\nx;\xc3\xa9\n",
	               &c, r),
	          1);
	CHECK_STR(c.header[0], "a");
	CHECK_INT(c.cp1252, 0);
	CHECK_STR(r[0].cols[1], "\xc3\xa9");
	sh_csv_close(&c);

	check_case("%s", "a byte-order mark and a Windows-1252 row");
	CHECK_INT(READ("\xef\xbb\xbf"
	               "a;b\nx;\xe9\n",
	               &c, r),
	          1);
	CHECK_STR(c.header[0], "a");
	CHECK_STR(r[0].cols[1], "\xc3\xa9");
	sh_csv_close(&c);

	check_case("%s", "a quoted field over two lines");
	CHECK_INT(READ("a;b\n\"one\nM\xfcller\";x\ny;Zo\xc3\xab\n", &c, r), 2);
	CHECK_STR(r[0].cols[0], "one\nM\xc3\xbcller");
	CHECK_INT(r[0].cp1252, 1);
	CHECK_INT(r[1].line, 4);
	CHECK_STR(r[1].cols[1], "Zo\xc3\xab");
	CHECK_INT(r[1].cp1252, 0);
	sh_csv_close(&c);

	check_case("%s", "a header that is neither");
	CHECK_INT(READ("a\x81;b\nx;y\n", &c, r), -1);
	CHECK_HAS(r[0].why, "line 1: not UTF-8 and not Windows-1252");
	CHECK(c.text == NULL);
	CHECK_INT(READ("a\0;b\nx;y\n", &c, r), -1);
	CHECK_HAS(r[0].why, "NUL");
	check_case("%s", "");
}

/* What a partner's export holds besides clean rows: a quote never closed,
 * a quoted field that closes on a later line with text after it, a
 * spreadsheet's empty rows, a header written with capitals or after blank
 * lines, lines ended by a carriage return alone. */
static void test_records(void)
{
	sh_csv c;
	struct rec r[8];

	check_case("%s", "a spreadsheet's other formats are named, not read");
	CHECK_INT(READ("PK\003\004\024\000\010\000\r\000", &c, r), -1);
	CHECK_HAS(r[0].why, "line 1: not a CSV file: it is a ZIP archive");
	CHECK_INT(READ("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\000", &c, r), -1);
	CHECK_HAS(r[0].why, "Excel 97-2003 workbook (.xls)");
	CHECK_INT(READ("\xff\xfe"
	               "a\000;\000b\000\n\000",
	               &c, r),
	          -1);
	CHECK_HAS(r[0].why, "UTF-16 text");
	CHECK_INT(READ("a\tb\tc\nx\t1\t2\n", &c, r), -1);
	CHECK_HAS(r[0].why, "line 1: the header row is separated by tabs");
	CHECK_INT(READ("a;b\tc\nx;1\n", &c, r), 1); /* a tab in a name */
	sh_csv_close(&c);

	check_case("%s", "a spreadsheet's empty rows above the header");
	CHECK_INT(READ(";;\r\n\r\n,,\na;b\nx;1\n", &c, r), 1);
	CHECK_INT(c.header_line, 4);
	CHECK_INT(c.empty_rows, 2);
	CHECK_INT(c.ncols, 2);
	CHECK_INT(r[0].line, 5);
	CHECK_STR(r[0].cols[0], "x");
	sh_csv_close(&c);
	CHECK_INT(READ(";;\n;;\n", &c, r), -1);
	CHECK_HAS(r[0].why, "the header row is missing");

	check_case("%s", "a quote never closed refuses its first line only");
	CHECK_INT(READ("a;b\n"
	               "x;1\n"
	               "y;\"SECRET desk\n"
	               "z;3\n"
	               "w;4\n",
	               &c, r),
	          4);
	CHECK_INT(r[0].got, 1);
	CHECK_INT(r[1].got, -1);
	CHECK_STR(r[1].rule, "CSV");
	CHECK_HAS(r[1].why, "line 3: a quoted field is not closed");
	CHECK(!strstr(r[1].why, "SECRET"));
	CHECK_INT(r[2].got, 1);
	CHECK_INT(r[2].line, 4);
	CHECK_STR(r[2].cols[0], "z");
	CHECK_INT(r[3].got, 1);
	CHECK_INT(r[3].line, 5);
	CHECK_STR(r[3].cols[0], "w");
	sh_csv_close(&c);

	check_case("%s", "a quoted field closed on a later line, text after");
	CHECK_INT(READ("a;b\n"
	               "x;\"one\n"
	               "y;2\n"
	               "two\"junk;5\n"
	               "z;3\n",
	               &c, r),
	          4);
	CHECK_INT(r[0].got, -1);
	CHECK_HAS(r[0].why, "line 2: text after a closing quote");
	CHECK_INT(r[1].got, 1);
	CHECK_INT(r[1].line, 3);
	CHECK_STR(r[1].cols[0], "y");
	CHECK_INT(r[2].got, 1); /* a quote inside a field is text */
	CHECK_INT(r[2].line, 4);
	CHECK_INT(r[3].got, 1);
	CHECK_INT(r[3].line, 5);
	CHECK_STR(r[3].cols[0], "z");
	sh_csv_close(&c);

	check_case("%s", "a closed field over three lines, then a bad record");
	CHECK_INT(READ("a;b\n"
	               "x;\"one\ntwo\nthree\"\n"
	               "y;\"open\n"
	               "z;3\n",
	               &c, r),
	          3);
	CHECK_INT(r[0].got, 1);
	CHECK_STR(r[0].cols[1], "one\ntwo\nthree");
	CHECK_INT(r[1].got, -1);
	CHECK_HAS(r[1].why, "line 5:");
	CHECK_INT(r[2].got, 1);
	CHECK_INT(r[2].line, 6);
	sh_csv_close(&c);

	check_case("%s", "a spreadsheet's empty rows are skipped and counted");
	CHECK_INT(READ("a;b;c\r\n"
	               ";;\r\n"
	               "x;1;2\r\n"
	               " ; ;\"\"\r\n"
	               ";\r\n"
	               "z;3;4\r\n"
	               ";;\r\n",
	               &c, r),
	          2);
	CHECK_INT(r[0].got, 1);
	CHECK_INT(r[0].line, 3);
	CHECK_INT(r[1].got, 1);
	CHECK_INT(r[1].line, 6);
	CHECK_INT(c.empty_rows, 4);
	sh_csv_close(&c);

	check_case("%s", "header names are folded to lower case and trimmed");
	CHECK_INT(READ("Postcode ; SURNAME;house_Number\n1011;x;2\n", &c, r),
	          1);
	CHECK_STR(c.header[0], "postcode");
	CHECK_STR(c.header[1], "surname");
	CHECK_STR(c.header[2], "house_number");
	sh_csv_close(&c);
	if (CHECK_INT(READ("Postcode;postcode\n1;2\n", &c, r), -1))
		CHECK_HAS(r[0].why, "columns 1 and 2 have the same name");
	else
		sh_csv_close(&c);
	/* blanks a spreadsheet shows as nothing: a no-break space (UTF-8,
	 * and Windows-1252's 0xA0), a narrow or zero-width one */
	CHECK_INT(READ("Postcode\xc2\xa0;\xe2\x80\x8b surname \xe2\x80\xaf;"
	               "\xc2\xa0\xc2\xa0house_number\n1011;x;2\n",
	               &c, r),
	          1);
	CHECK_STR(c.header[0], "postcode");
	CHECK_STR(c.header[1], "surname");
	CHECK_STR(c.header[2], "house_number");
	sh_csv_close(&c);
	CHECK_INT(READ("Postcode\xa0;surname\n1011;x\n", &c, r), 1);
	CHECK_STR(c.header[0], "postcode");
	sh_csv_close(&c);
	if (CHECK_INT(READ("a;\xc2\xa0\n1;2\n", &c, r), -1))
		CHECK_HAS(r[0].why,
		          "column 2 has no name (the header row ends in a "
		          "separator): name it, or leave it out (seinctl "
		          "import --ignore-column 2)");
	else
		sh_csv_close(&c);

	check_case("%s", "blank lines before the header row");
	if (CHECK_INT(READ("\n\r\na;b\nx;y\n", &c, r), 1)) {
		CHECK_STR(c.header[0], "a");
		CHECK_INT(c.header_line, 3);
		CHECK_INT(r[0].line, 4);
		sh_csv_close(&c);
	}

	check_case("%s", "lines ended by a carriage return alone");
	CHECK_INT(READ("a;b\rx;y\rz;w\r", &c, r), -1);
	CHECK_HAS(r[0].why, "line 1: a carriage return inside a field");
	CHECK_HAS(r[0].why, "carriage return alone");
	check_case("%s", "");
}

/* The cells of the headerless file below, as written and as the header
 * folds them: none may appear in a refusal. */
static const char *const resident[] = {"Jansen",     "jansen",
                                       "1234 AB",    "1234 ab",
                                       "0612345678", "j.jansen@example.nl",
                                       "111222333",  "2026-08-01",
                                       "Kerkstraat", "kerkstraat"};

static void check_no_cell(const char *why)
{
	for (size_t k = 0; k < sizeof(resident) / sizeof(resident[0]); k++)
		if (!CHECK(strstr(why, resident[k]) == NULL))
			printf("     \"%s\" holds \"%s\"\n", why, resident[k]);
}

/* known[i]: does column i name a field of t, as the daemon answers
 * FIELDS_CHECK (only names of a field name's form are asked). */
static unsigned char *known_of(const sh_csv *c, const sh_type_rule *t)
{
	unsigned char *known = calloc(c->ncols + 1, 1);
	for (size_t i = 0; known && i < c->ncols; i++)
		known[i] = sh_field_name_ok(c->header[i]) &&
		           sh_type_has_field(t, c->header[i]);
	return known;
}

/* Open data with the names left to sh_csv_header_check, and check it
 * against type t's fields (known NULL if !t); why is the refusal. */
static sh_err header_of(const char *data, const sh_type_rule *t,
                        const unsigned char *ignored, sh_csv *c, char *why,
                        size_t wl)
{
	sh_err e = sh_csv_open_flags(c, (const uint8_t *)data, strlen(data),
	                             SH_CSV_NAMES_LATER, why, wl);
	if (e)
		return e;
	unsigned char *known = t ? known_of(c, t) : NULL;
	e = sh_csv_header_check(c, known, ignored, "arrears", why, wl);
	free(known);
	return e;
}

static void test_header(const sh_type_rule *arrears)
{
	sh_csv c;
	char why[400], label[96];

	check_case("%s", "a file without a header: row 1 is a resident's data");
	/* surname, street, an empty cell, postcode, phone, e-mail, BSN */
	static const char noheader[] =
	    "Jansen;Kerkstraat;;1234 AB;0612345678;j.jansen@example.nl;"
	    "111222333;2026-08-01\n"
	    "Pietersen;Dorpsweg;;4321 BA;0687654321;p@example.nl;"
	    "123456782;2026-08-02\n";
	if (CHECK_ERR(header_of(noheader, arrears, NULL, &c, why, sizeof(why)),
	              SH_ERR_FIELD_FORMAT)) {
		CHECK_HAS(why, "line 1: row 1 is not a header: it names none "
		               "of the fields of arrears; the first row must "
		               "name the columns");
		check_no_cell(why);
	}
	sh_csv_close(&c);
	/* every column, by label: a cell of a data shape is named by number */
	CHECK_ERR(sh_csv_open_flags(&c, (const uint8_t *)noheader,
	                            sizeof(noheader) - 1, SH_CSV_NAMES_LATER,
	                            why, sizeof(why)),
	          SH_OK);
	for (size_t i = 2; i < c.ncols; i++) {
		check_case("column %zu of the headerless file", i + 1);
		CHECK_INT(sh_csv_column_label(&c, i, label, sizeof(label)), 0);
		check_no_cell(label);
	}
	sh_csv_close(&c);

	check_case("%s", "row 1 of names only, none a field of the type");
	CHECK_ERR(header_of("jansen;kerkstraat;utrecht\nx;y;z\n", arrears, NULL,
	                    &c, why, sizeof(why)),
	          SH_ERR_FIELD_FORMAT);
	CHECK_HAS(why, "row 1 is not a header");
	check_no_cell(why);
	CHECK(strstr(why, "utrecht") == NULL);
	sh_csv_close(&c);

	check_case("%s", "without the type's fields (an older daemon): "
	                 "refused by number, as before");
	CHECK_ERR(header_of(noheader, NULL, NULL, &c, why, sizeof(why)),
	          SH_ERR_FIELD_FORMAT);
	CHECK_HAS(why, "line 1: column 3 has no name");
	check_no_cell(why);
	sh_csv_close(&c);
	CHECK_ERR(
	    header_of("jansen;1234 AB\n", NULL, NULL, &c, why, sizeof(why)),
	    SH_ERR_FIELD_FORMAT);
	CHECK_HAS(why, "the name of column 2 is not a field name");
	check_no_cell(why);
	sh_csv_close(&c);

	check_case("%s", "a real header with a column that is no field");
	static const char extra[] =
	    "surname;postcode;Klantnummer;tel0612345678;Jansen-Zuidhof;"
	    "j@x.nl;;person2.surname\nJansen;1234 AB;1;2;3;4;5;6\n";
	unsigned char ignored[8] = {0};
	CHECK_ERR(header_of(extra, arrears, ignored, &c, why, sizeof(why)),
	          SH_ERR_FIELD_FORMAT);
	CHECK_HAS(why, "line 1: column 7 has no name");
	sh_csv_close(&c);
	ignored[6] = 1; /* --ignore-column 7 */
	CHECK_ERR(header_of(extra, arrears, ignored, &c, why, sizeof(why)),
	          SH_OK);
	CHECK_INT(sh_csv_column_label(&c, 2, label, sizeof(label)), 1);
	CHECK_STR(label, "column 3 ('klantnummer')");
	CHECK_INT(sh_csv_column_label(&c, 3, label, sizeof(label)), 0);
	CHECK_STR(label, "column 4");
	CHECK_INT(sh_csv_column_label(&c, 5, label, sizeof(label)), 0);
	CHECK_STR(label, "column 6");
	CHECK_INT(sh_csv_column_label(&c, 7, label, sizeof(label)), 1);
	CHECK_STR(label, "column 8 ('person2.surname')");
	/* a short name of letters passes the shape: shown only because
	 * row 1 is a header (it names surname and postcode) */
	CHECK_INT(sh_csv_column_label(&c, 4, label, sizeof(label)), 1);
	sh_csv_close(&c);

	check_case("%s", "two columns of one name, one of them ignored");
	CHECK_ERR(
	    header_of("surname;Surname\n", arrears, NULL, &c, why, sizeof(why)),
	    SH_ERR_FIELD_FORMAT);
	CHECK_HAS(why, "columns 1 and 2 have the same name");
	sh_csv_close(&c);
	ignored[1] = 1;
	CHECK_ERR(header_of("surname;Surname\n", arrears, ignored, &c, why,
	                    sizeof(why)),
	          SH_OK);
	sh_csv_close(&c);
	check_case("%s", "");
}

int main(int argc, char **argv)
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
	test_encodings();
	test_records();
	sh_catalogue cat;
	const sh_type_rule *arrears = NULL;
	if (argc == 2 &&
	    CHECK_ERR(sh_catalogue_load(&cat, argv[1], why, sizeof(why)),
	              SH_OK))
		arrears =
		    sh_catalogue_type(&cat, SEINHUIS__SIGNAL_TYPE__ARREARS);
	if (CHECK(arrears != NULL)) {
		test_header(arrears);
		sh_catalogue_free(&cat);
	}
	return check_done();
}
