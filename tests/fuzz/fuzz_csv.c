/*
 * fuzz_csv - the CSV reader (csv.c) over the input as a file's bytes:
 * sh_csv_open, then sh_csv_next until the end, as seinctl send --csv reads
 * a partner's export. What it checks:
 *   - a refused file or record gives a reason that names a line (or the
 *     byte or the NUL that made the file unreadable), and a refused file
 *     leaves nothing allocated;
 *   - an opened file has a header of named, distinct columns and a ';' or
 *     ',' separator, and every record has exactly as many fields;
 *   - all text handed out is valid UTF-8 without NUL bytes, whichever
 *     encoding each record had; a refused record names its rule (CSV, or
 *     CSV_ENCODING for one that is neither UTF-8 nor Windows-1252);
 *   - record line numbers never go down, and reading always ends (each
 *     call consumes input).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "fuzz.h"

#define FAIL(what) fuzz_fail("fuzz_csv", what)

static void check_text(const char *s)
{
	if (!s)
		FAIL("a NULL field");
	if (!sh_utf8_valid((const uint8_t *)s, strlen(s)))
		FAIL("a field that is not valid UTF-8");
}

static void check_why(const char *why)
{
	if (!why[0])
		FAIL("a refusal without a reason");
	if (strncmp(why, "line ", 5) != 0 && !strstr(why, "NUL") &&
	    strncmp(why, "byte 0x", 7) != 0)
		FAIL("a refusal that names neither line nor byte");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sh_csv c;
	char why[300];
	why[0] = '\0';
	if (sh_csv_open(&c, data, size, why, sizeof(why)) != SH_OK) {
		check_why(why);
		if (c.text || c.header || c.ncols)
			FAIL("a refused file was not freed");
		return 0;
	}
	if (c.sep != ';' && c.sep != ',')
		FAIL("a separator other than ';' or ','");
	if (c.ncols == 0)
		FAIL("an opened file without columns");
	for (size_t i = 0; i < c.ncols; i++) {
		check_text(c.header[i]);
		if (!c.header[i][0])
			FAIL("a column without a name");
		for (size_t j = 0; j < i; j++)
			if (strcmp(c.header[i], c.header[j]) == 0)
				FAIL("a column name given twice");
	}
	int last_line = 1, got;
	size_t calls = 0, last_pos = c.pos;
	sh_csv_row row;
	while ((got = sh_csv_next(&c, &row, why, sizeof(why))) != 0) {
		if (++calls > size + 2)
			FAIL("reading does not end");
		if (c.pos <= last_pos)
			FAIL("a record that consumed no input");
		last_pos = c.pos;
		if (got < 0) {
			check_why(why);
			if (!c.rule || (strcmp(c.rule, "CSV") != 0 &&
			                strcmp(c.rule, "CSV_ENCODING") != 0))
				FAIL("a refused record without its rule");
			why[0] = '\0';
			continue;
		}
		if (got != 1)
			FAIL("sh_csv_next returned neither -1, 0 nor 1");
		if (row.n != c.ncols)
			FAIL("a record with a field count other than the "
			     "header's");
		if (row.line <= last_line)
			FAIL("a record line number that does not go up");
		last_line = row.line;
		for (size_t i = 0; i < row.n; i++)
			check_text(row.cols[i]);
		sh_csv_row_free(&row);
	}
	if (c.pos != c.len)
		FAIL("the end was reported before the end of the text");
	sh_csv_close(&c);
	return 0;
}
