/*
 * csv.h - reading the CSV files partners' own systems export, and writing
 * the cells of seinctl's CSV outputs. See csv.c.
 */
#ifndef SEINHUIS_CSV_H
#define SEINHUIS_CSV_H

#include "seinhuis.h"

typedef struct {
	char *text; /* the whole file's bytes (without a byte-order mark) */
	size_t len, pos;
	char sep;
	/* Records by encoding, counted when opening a file that is not
	 * UTF-8 as a whole (all zero for one that is); records of ASCII
	 * only, the same in both encodings, are not counted. */
	size_t rows_utf8, rows_cp1252, rows_neither;
	int cp1252;      /* every record that is not ASCII is Windows-1252 */
	int line;        /* line number of the next record */
	int header_line; /* the header row's (blank lines before it skipped) */
	/* records whose every field is empty, spaces aside (a spreadsheet's
	 * empty row, ";;;;"): skipped as blank lines are, and counted */
	size_t empty_rows;
	/* the rule the last record refused broke: "CSV", or "CSV_ENCODING"
	 * for one that is neither UTF-8 nor Windows-1252 */
	const char *rule;
	char **header;
	size_t ncols;
} sh_csv;

typedef struct {
	char **cols;
	size_t n;
	int line;   /* where the record starts */
	int cp1252; /* it was Windows-1252, converted to UTF-8 */
} sh_csv_row;

/* Take the file's bytes; detect the separator, count the records'
 * encodings; read the header. Fails with why (line-numbered) if the header
 * is not usable. */
sh_err sh_csv_open(sh_csv *c, const uint8_t *data, size_t len, char *why,
                   size_t whylen);
/* sh_csv_open, with flags: SH_CSV_NAMES_LATER reads a header whose
 * columns lack a name or repeat one too, leaving that to
 * sh_csv_header_check, which first asks whether row 1 is a header at all
 * (a file exported without one takes its first row for the names, and
 * its empty cells for columns without a name). */
#define SH_CSV_NAMES_LATER 1u
sh_err sh_csv_open_flags(sh_csv *c, const uint8_t *data, size_t len,
                         unsigned flags, char *why, size_t whylen);
/* Whether the file's row 1 is a header rows can be read by. known[i]:
 * column i names a field of the signal type `type` (or a column the
 * caller takes, such as "to"); NULL when that is not known (a daemon
 * that cannot say). Columns ignored[i] (NULL: none) are not judged.
 * Fails with why, never repeating a cell, when
 *   - no column names a field ("row 1 is not a header"),
 *   - a column has no name, or two have one name (named by number),
 *   - known is NULL and a name is not of a field name's form
 *     (sh_field_name_ok; by number: it may be data).
 * With known, the columns that name no field are the caller's to refuse,
 * each named with sh_csv_column_label. */
sh_err sh_csv_header_check(const sh_csv *c, const unsigned char *known,
                           const unsigned char *ignored, const char *type,
                           char *why, size_t whylen);
/* How a message names column i (from 0): "column N ('name')" if its name
 * cannot be a resident's data (a field name some signal knows, or a
 * short name of letters, digits, '_', ' ' and '-' without the shape of
 * personal data), else "column N" alone. Returns 1 if the name is
 * shown. */
int sh_csv_column_label(const sh_csv *c, size_t i, char *out, size_t n);
/* Whether a column's (or a --set's) name may be repeated in a message, as
 * sh_csv_column_label decides. */
int sh_csv_name_showable(const char *name);
/* Next record: 1 and a row, 0 at the end, -1 for a record that cannot be
 * read (c->rule is the rule, why says what and where; reading goes on with
 * the next record). Each record is UTF-8 or, if its bytes are not, read as
 * Windows-1252 (row->cp1252). */
int sh_csv_next(sh_csv *c, sh_csv_row *row, char *why, size_t whylen);
void sh_csv_row_free(sh_csv_row *row);
void sh_csv_close(sh_csv *c);

/* Would a spreadsheet take the cell s for a formula? It starts with =, +,
 * -, @, a tab or a carriage return, and is not a plain number (-3,
 * -12.50) nor the lone - that stands for nothing. */
int sh_csv_formula_like(const char *s);
/* Write s as one cell to f, then ',' or, if last, a line end. Quoted if
 * quote_always, or if s holds a separator, quote or line break (a quote
 * inside doubled); a formula-like cell is quoted with an apostrophe in
 * front, so that the spreadsheet shows it as text instead of running it.
 * Every CSV seinctl writes goes through here. */
void sh_csv_cell(FILE *f, const char *s, int quote_always, int last);
/* The same with another separator than ',' (';' for a spreadsheet set up
 * for Dutch: seinctl export --excel). */
void sh_csv_cell_sep(FILE *f, const char *s, int quote_always, int last,
                     char sep);

#endif
