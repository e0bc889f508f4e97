/*
 * csv.c - reading the CSV files that partners' own systems export.
 *
 * Dutch systems write CSV in UTF-8 or Windows-1252, separated by ';' (the
 * Dutch locale's list separator) or ','. The reader takes the whole file:
 *   - encoding: decided record by record, since one stray byte must not
 *     re-encode or refuse the rows around it: a record whose bytes are
 *     valid UTF-8 is UTF-8, otherwise Windows-1252 converted to UTF-8 if
 *     the code page defines all its bytes; a record that holds a NUL or a
 *     byte Windows-1252 does not define is refused alone (CSV_ENCODING).
 *     A leading byte-order mark is dropped;
 *   - separator: whichever of ';' and ',' occurs more often outside quotes
 *     in the header line (';' on a tie);
 *   - records: fields may be quoted with '"', a quote inside is doubled,
 *     quoted fields may hold separators and line breaks; lines end in LF or
 *     CRLF; blank lines are skipped;
 *   - the header names the columns; every record must have as many fields.
 * A record that breaks a rule is reported with its line and the rule, and
 * reading goes on with the next one; no field value is ever put in a
 * message.
 *
 * Writing (sh_csv_cell): seinctl's exports, reports and statistics are
 * opened by administrators and team leads in a spreadsheet, and their
 * cells hold what partners sent (free text, and after --reveal the sealed
 * fields) and what users typed (a reveal's reason). A cell that starts
 * with =, +, -, @, a tab or a carriage return is run as a formula by
 * spreadsheet programs (=HYPERLINK to a page of the sender's choosing, or
 * worse): such a cell is written with an apostrophe in front, which the
 * spreadsheet takes as "this is text". Plain negative numbers are left
 * alone: -12.50 is a figure, not a formula, and the apostrophe would turn
 * it into text that no longer adds up.
 */
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "policy.h"

/* Windows-1252 0x80..0x9f; 0 where the code page has no character. */
static const uint16_t cp1252_high[32] = {
    0x20ac, 0,      0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
    0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017d, 0,
    0,      0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
    0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0,      0x017e, 0x0178};

static void put_utf8(sh_buf *b, uint32_t cp)
{
	uint8_t o[3];
	if (cp < 0x80) {
		o[0] = (uint8_t)cp;
		sh_buf_add(b, o, 1);
	} else if (cp < 0x800) {
		o[0] = (uint8_t)(0xc0 | cp >> 6);
		o[1] = (uint8_t)(0x80 | (cp & 0x3f));
		sh_buf_add(b, o, 2);
	} else {
		o[0] = (uint8_t)(0xe0 | cp >> 12);
		o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (uint8_t)(0x80 | (cp & 0x3f));
		sh_buf_add(b, o, 3);
	}
}

/* After a record found bad: go on at the start of the line after the one
 * it started on (from, on line `line`). A record that cannot be read is
 * refused by its first line alone: the lines after it, which a quote left
 * open may have run over, are read again as records of their own, so that
 * every line is either sent or refused, none lost. */
static void resume_after(sh_csv *c, size_t from, int line)
{
	c->pos = from;
	c->line = line;
	while (c->pos < c->len && c->text[c->pos] != '\n')
		c->pos++;
	if (c->pos < c->len)
		c->pos++, c->line++;
}

/* A record that cannot be read: why is set, the fields read so far are
 * freed, and reading goes on at the line after its first (resume_after). */
static long refuse_record(sh_csv *c, sh_csv_row *row, sh_buf *field,
                          size_t from, int line)
{
	sh_buf_free(field);
	sh_csv_row_free(row);
	resume_after(c, from, line);
	return -1;
}

/* Read one record starting at c->pos into fields; returns the number of
 * fields, or -1 with why for an unterminated quote, text after a closing
 * quote or a carriage return inside a field (reading goes on at the line
 * after the record's first: resume_after). */
static long read_record(sh_csv *c, sh_csv_row *row, char *why, size_t wl)
{
	sh_buf field = {0};
	size_t cap = 0, from = c->pos;
	int quoted = 0, after_quote = 0, start_line = c->line;
	row->cols = NULL;
	row->n = 0;
	row->line = start_line;
	for (;;) {
		int at_end = c->pos >= c->len;
		char ch = at_end ? '\n' : c->text[c->pos];
		if (quoted) {
			if (at_end) {
				snprintf(
				    why, wl,
				    "line %d: a quoted field is not closed "
				    "(no quote closes it before the end "
				    "of the file; reading goes on at line "
				    "%d)",
				    start_line, start_line + 1);
				return refuse_record(c, row, &field, from,
				                     start_line);
			}
			c->pos++;
			if (ch == '"') {
				if (c->pos < c->len && c->text[c->pos] == '"') {
					sh_buf_add(&field, "\"", 1);
					c->pos++;
				} else {
					quoted = 0;
					after_quote = 1;
				}
			} else {
				if (ch == '\n')
					c->line++;
				sh_buf_add(&field, &ch, 1);
			}
			continue;
		}
		if (ch == c->sep || ch == '\n' || (ch == '\r' && !at_end)) {
			if (ch == '\r') {
				c->pos++;
				if (c->pos < c->len &&
				    c->text[c->pos] != '\n') {
					/* a file without one LF: its lines end
					 * in CR alone (classic Mac OS) */
					int cr_only =
					    !memchr(c->text, '\n', c->len);
					snprintf(
					    why, wl,
					    "line %d: a carriage return "
					    "inside a field%s",
					    start_line,
					    cr_only ? " (the file's lines seem "
					              "to end in a carriage "
					              "return alone, as on an "
					              "old Mac: save it with "
					              "Windows (CRLF) or Unix "
					              "(LF) line ends)"
					            : "");
					return refuse_record(c, row, &field,
					                     from, start_line);
				}
				continue;
			}
			if (row->n == cap) {
				cap = cap ? cap * 2 : 16;
				row->cols = realloc(row->cols,
				                    cap * sizeof(*row->cols));
				if (!row->cols)
					abort();
			}
			sh_buf_add(&field, "", 1);
			row->cols[row->n++] = (char *)field.data;
			field.data = NULL;
			field.len = field.cap = 0;
			after_quote = 0;
			if (!at_end)
				c->pos++;
			if (ch == '\n') {
				if (!at_end)
					c->line++;
				return (long)row->n;
			}
			continue;
		}
		if (after_quote) {
			if (c->line != start_line)
				snprintf(why, wl,
				         "line %d: text after a closing quote "
				         "(the quoted field closes on line %d; "
				         "reading goes on at line %d)",
				         start_line, c->line, start_line + 1);
			else
				snprintf(why, wl,
				         "line %d: text after a closing quote",
				         start_line);
			return refuse_record(c, row, &field, from, start_line);
		}
		c->pos++;
		if (ch == '"' && field.len == 0) {
			quoted = 1;
			continue;
		}
		sh_buf_add(&field, &ch, 1);
	}
}

/* How a record's bytes are read. */
enum rec_enc { ENC_ASCII, ENC_UTF8, ENC_CP1252, ENC_NUL, ENC_NEITHER };

/* The encoding of one record's bytes (its fields with the quotes and
 * separators between them, which are ASCII in both encodings): UTF-8 if
 * they are valid UTF-8, otherwise Windows-1252 if the code page defines
 * every byte; a NUL byte is text in neither. */
static enum rec_enc record_enc(const uint8_t *p, size_t n)
{
	if (memchr(p, '\0', n))
		return ENC_NUL;
	size_t i = 0;
	while (i < n && p[i] < 0x80)
		i++;
	if (i == n)
		return ENC_ASCII;
	if (sh_utf8_valid(p + i, n - i))
		return ENC_UTF8;
	for (; i < n; i++)
		if (p[i] >= 0x80 && p[i] < 0xa0 && !cp1252_high[p[i] - 0x80])
			return ENC_NEITHER;
	return ENC_CP1252;
}

/* A record read from text[start..c->pos): as it is if UTF-8, its fields
 * converted if Windows-1252, refused (row freed, why and c->rule set)
 * if neither. */
static int decode_record(sh_csv *c, sh_csv_row *row, size_t start, char *why,
                         size_t wl)
{
	enum rec_enc enc =
	    record_enc((const uint8_t *)c->text + start, c->pos - start);
	row->cp1252 = 0;
	if (enc == ENC_ASCII || enc == ENC_UTF8)
		return 0;
	if (enc == ENC_CP1252) {
		for (size_t i = 0; i < row->n; i++) {
			sh_buf b = {0};
			size_t n = strlen(row->cols[i]);
			for (size_t k = 0; k < n; k++) {
				uint8_t ch = (uint8_t)row->cols[i][k];
				put_utf8(&b, ch < 0x80 ? ch
				             : ch < 0xa0
				                 ? cp1252_high[ch - 0x80]
				                 : ch);
			}
			sh_buf_add(&b, "", 1);
			sh_wipe(row->cols[i], n);
			free(row->cols[i]);
			row->cols[i] = (char *)b.data;
		}
		row->cp1252 = 1;
		return 0;
	}
	c->rule = "CSV_ENCODING";
	if (enc == ENC_NUL) {
		snprintf(why, wl,
		         "line %d: not UTF-8 and not Windows-1252: the record "
		         "holds a NUL byte",
		         row->line);
	} else {
		/* the column and the byte, not the value */
		size_t col = 0, at = 0;
		for (size_t i = 0; i < row->n && !col; i++)
			for (const uint8_t *q = (const uint8_t *)row->cols[i];
			     *q && !col; q++)
				if (*q >= 0x80 && *q < 0xa0 &&
				    !cp1252_high[*q - 0x80])
					col = i + 1, at = *q;
		snprintf(why, wl,
		         "line %d: not UTF-8 and not Windows-1252: column %zu "
		         "holds byte 0x%02zx, which Windows-1252 does not "
		         "define",
		         row->line, col, at);
	}
	sh_csv_row_free(row);
	return -1;
}

/* Blank lines are skipped; returns 0 at the end of the text. */
static int skip_blank(sh_csv *c)
{
	for (;;) {
		if (c->pos >= c->len)
			return 0;
		if (c->text[c->pos] == '\n' ||
		    (c->text[c->pos] == '\r' && c->pos + 1 < c->len &&
		     c->text[c->pos + 1] == '\n')) {
			c->pos += c->text[c->pos] == '\r' ? 2 : 1;
			c->line++;
			continue;
		}
		return 1;
	}
}

/* Read every record once, from the header on, to count how the file's
 * rows are encoded (for the line seinctl prints before sending); the
 * reading itself starts again afterwards. */
static void count_encodings(sh_csv *c)
{
	size_t pos = c->pos;
	int line = c->line;
	char why[8];
	while (skip_blank(c)) {
		size_t start = c->pos;
		sh_csv_row r;
		if (read_record(c, &r, why, sizeof(why)) < 0)
			continue;
		sh_csv_row_free(&r);
		switch (record_enc((const uint8_t *)c->text + start,
		                   c->pos - start)) {
		case ENC_ASCII: break;
		case ENC_UTF8: c->rows_utf8++; break;
		case ENC_CP1252: c->rows_cp1252++; break;
		default: c->rows_neither++; break;
		}
	}
	c->pos = pos;
	c->line = line;
}

/* A column (not ignored) without a name, or two of one name: 1 with why,
 * naming them by number (a header cell may be a resident's data). */
static int names_refused(const sh_csv *c, const unsigned char *ignored,
                         char *why, size_t wl)
{
	for (size_t i = 0; i < c->ncols; i++) {
		if (ignored && ignored[i])
			continue;
		if (!c->header[i][0]) {
			snprintf(why, wl,
			         "line %d: column %zu has no name%s: name it, "
			         "or leave it out (seinctl import "
			         "--ignore-column %zu)",
			         c->header_line, i + 1,
			         i + 1 == c->ncols ? " (the header row ends in "
			                             "a separator)"
			                           : "",
			         i + 1);
			return 1;
		}
		for (size_t j = 0; j < i; j++)
			if ((!ignored || !ignored[j]) &&
			    strcmp(c->header[j], c->header[i]) == 0) {
				snprintf(
				    why, wl,
				    "line %d: columns %zu and %zu have the "
				    "same name",
				    c->header_line, j + 1, i + 1);
				return 1;
			}
	}
	return 0;
}

static int row_empty(const sh_csv_row *row);

/* The length of a blank that a spreadsheet puts around a cell unseen at
 * p: a no-break space (U+00A0, also Windows-1252's 0xA0 once decoded),
 * a narrow one (U+202F) or a zero-width one (U+200B, U+FEFF); else 0. */
static size_t unseen_blank(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	if (u[0] == 0xc2 && u[1] == 0xa0)
		return 2;
	if (u[0] == 0xe2 && u[1] == 0x80 && (u[2] == 0xaf || u[2] == 0x8b))
		return 3;
	return u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf ? 3 : 0;
}

/* A header cell without the blanks around it, seen (sh_trim) or not:
 * "Postcode" with a no-break space after it names the field postcode. */
static char *name_trim(char *s)
{
	for (;;) {
		s = sh_trim(s);
		size_t k = unseen_blank(s), n = strlen(s), t = 0;
		for (size_t b = 2; b <= 3 && !t; b++)
			if (n >= b && unseen_blank(s + n - b) == b)
				t = b;
		if (!k && !t)
			return s;
		s[n - t] = '\0';
		s += k;
	}
}

sh_err sh_csv_open(sh_csv *c, const uint8_t *data, size_t len, char *why,
                   size_t wl)
{
	return sh_csv_open_flags(c, data, len, 0, why, wl);
}

/* A file that is no CSV text but what a spreadsheet saves otherwise: what
 * it is, else NULL. Read as CSV, a workbook's bytes would be refused for
 * a carriage return or a NUL in its "header", which says nothing of what
 * to do. */
static const char *not_csv(const uint8_t *p, size_t n)
{
	if (n >= 4 && memcmp(p, "PK\x03\x04", 4) == 0)
		return "it is a ZIP archive, as an Excel workbook (.xlsx) or "
		       "an OpenDocument spreadsheet (.ods) is";
	if (n >= 8 && memcmp(p, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8) == 0)
		return "it is an Excel 97-2003 workbook (.xls)";
	if (n >= 2 &&
	    (memcmp(p, "\xff\xfe", 2) == 0 || memcmp(p, "\xfe\xff", 2) == 0))
		return "it is UTF-16 text, as Excel's \"Unicode text\" is";
	return NULL;
}

sh_err sh_csv_open_flags(sh_csv *c, const uint8_t *data, size_t len,
                         unsigned flags, char *why, size_t wl)
{
	memset(c, 0, sizeof(*c));
	c->rule = "CSV";
	const char *kind = not_csv(data, len);
	if (kind) {
		snprintf(why, wl,
		         "line 1: not a CSV file: %s; save it from the "
		         "spreadsheet as CSV (separated by semicolons or "
		         "commas, in UTF-8 or Windows-1252)",
		         kind);
		return SH_ERR_FIELD_FORMAT;
	}
	sh_buf b = {0};
	/* a byte-order mark says UTF-8; it is not part of the header */
	size_t skip = len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
	sh_buf_add(&b, data + skip, len - skip);
	sh_buf_add(&b, "", 1);
	c->text = (char *)b.data;
	c->len = b.len - 1;
	c->line = 1;
	/* The encoding is decided record by record (decode_record): a stray
	 * Windows-1252 byte in one row must not re-encode the UTF-8 rows
	 * around it, nor a byte that is text in neither refuse them. A file
	 * that is valid UTF-8 as a whole needs no counting. */
	if (memchr(c->text, '\0', c->len) ||
	    !sh_utf8_valid((const uint8_t *)c->text, c->len)) {
		count_encodings(c);
		c->cp1252 = c->rows_cp1252 > 0 && c->rows_utf8 == 0;
	}
	/* blank lines before the header row are skipped, as after it */
	size_t hstart;
	sh_csv_row hdr;
	long n;
next_line:
	skip_blank(c);
	hstart = c->pos;
	c->header_line = c->line;
	/* separator: count outside quotes on the header's line */
	size_t semi = 0, comma = 0, tab = 0;
	int q = 0;
	for (size_t i = hstart; i < c->len && (q || c->text[i] != '\n'); i++) {
		if (c->text[i] == '"')
			q = !q;
		else if (!q && c->text[i] == ';')
			semi++;
		else if (!q && c->text[i] == ',')
			comma++;
		else if (!q && c->text[i] == '\t')
			tab++;
	}
	if (!semi && !comma && tab) {
		/* a tab-delimited text file: its header would be one column,
		 * and be refused as no header at all */
		snprintf(why, wl,
		         "line %d: the header row is separated by tabs (a "
		         "tab-delimited text file), not by semicolons or "
		         "commas; save the file as CSV",
		         c->header_line);
		sh_csv_close(c);
		return SH_ERR_FIELD_FORMAT;
	}
	c->sep = comma > semi ? ',' : ';';
	n = read_record(c, &hdr, why, wl);
	if (n > 0 && decode_record(c, &hdr, hstart, why, wl) < 0) {
		/* without a header no row can be read */
		sh_csv_close(c);
		return SH_ERR_FIELD_FORMAT;
	}
	if (n > 1 && row_empty(&hdr)) {
		/* a spreadsheet's empty row above the header (";;;;"), skipped
		 * and counted as after it */
		c->empty_rows++;
		sh_csv_row_free(&hdr);
		goto next_line;
	}
	if (n <= 0 || (n == 1 && hdr.cols[0][0] == '\0')) {
		if (n > 0)
			sh_csv_row_free(&hdr);
		if (n == 0 || n == 1)
			snprintf(why, wl, "line %d: the header row is missing",
			         c->header_line);
		sh_csv_close(c);
		return SH_ERR_FIELD_FORMAT;
	}
	for (size_t i = 0; i < hdr.n; i++) {
		/* names are trimmed and folded to lower case (ASCII):
		 * "Postcode " is the field postcode */
		char *h = name_trim(hdr.cols[i]);
		memmove(hdr.cols[i], h, strlen(h) + 1);
		for (char *p = hdr.cols[i]; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
	}
	c->header = hdr.cols;
	c->ncols = hdr.n;
	/* a column without a name, or two of one name: refused here, or
	 * (SH_CSV_NAMES_LATER) by sh_csv_header_check once the caller knows
	 * whether row 1 is a header at all */
	if (!(flags & SH_CSV_NAMES_LATER) && names_refused(c, NULL, why, wl)) {
		sh_csv_close(c);
		return SH_ERR_FIELD_FORMAT;
	}
	return SH_OK;
}

/* Is every field of the row empty, spaces aside? (A spreadsheet's empty
 * row, saved as ";;;;".) */
static int row_empty(const sh_csv_row *row)
{
	for (size_t i = 0; i < row->n; i++)
		if (*sh_trim(row->cols[i]))
			return 0;
	return 1;
}

int sh_csv_next(sh_csv *c, sh_csv_row *row, char *why, size_t wl)
{
	c->rule = "CSV";
	for (;;) {
		if (!skip_blank(c))
			return 0;
		size_t start = c->pos;
		long n = read_record(c, row, why, wl);
		if (n < 0 || decode_record(c, row, start, why, wl) < 0)
			return -1;
		if (row_empty(row)) { /* skipped as a blank line is */
			c->empty_rows++;
			sh_csv_row_free(row);
			continue;
		}
		if ((size_t)n != c->ncols) {
			snprintf(why, wl,
			         "line %d: %ld fields where the header has %zu",
			         row->line, n, c->ncols);
			sh_csv_row_free(row);
			return -1;
		}
		return 1;
	}
}

void sh_csv_row_free(sh_csv_row *row)
{
	for (size_t i = 0; i < row->n; i++) {
		sh_wipe(row->cols[i], strlen(row->cols[i]));
		free(row->cols[i]);
	}
	free(row->cols);
	row->cols = NULL;
	row->n = 0;
}

void sh_csv_close(sh_csv *c)
{
	if (c->header) {
		sh_csv_row h = {c->header, c->ncols, 0, 0};
		sh_csv_row_free(&h);
	}
	if (c->text) {
		sh_wipe(c->text, c->len);
		free(c->text);
	}
	memset(c, 0, sizeof(*c));
}

sh_err sh_csv_header_check(const sh_csv *c, const unsigned char *known,
                           const unsigned char *ignored, const char *type,
                           char *why, size_t wl)
{
	if (known) {
		size_t named = 0;
		for (size_t i = 0; i < c->ncols; i++)
			named += known[i] && !(ignored && ignored[i]);
		if (!named) {
			snprintf(
			    why, wl,
			    "line %d: row 1 is not a header: it names none "
			    "of the fields of %s; the first row must name "
			    "the columns, with the catalogue's field names "
			    "(its cells are not repeated here: they may be "
			    "a resident's data)",
			    c->header_line, type);
			return SH_ERR_FIELD_FORMAT;
		}
	}
	if (names_refused(c, ignored, why, wl))
		return SH_ERR_FIELD_FORMAT;
	for (size_t i = 0; !known && i < c->ncols; i++) {
		if ((ignored && ignored[i]) || sh_field_name_ok(c->header[i]))
			continue;
		snprintf(why, wl,
		         "line %d: the name of column %zu is not a field name "
		         "(letters, digits and '_', as in the catalogue; not "
		         "repeated here: it may be data). Is the header row "
		         "missing?",
		         c->header_line, i + 1);
		return SH_ERR_FIELD_FORMAT;
	}
	return SH_OK;
}

/* Can a header cell be repeated in a message? A field name some signal
 * knows can; another only if it has a column name's strict form (short,
 * ASCII letters, digits, '_', ' ' or '-', a letter first, at most four
 * digits) and nothing of a resident's data's shape
 * (sh_text_data_shape). A surname of that form still passes: the caller
 * shows names only once row 1 has been found to be a header. */
int sh_csv_name_showable(const char *name)
{
	if (sh_field_known(NULL, name))
		return 1;
	size_t n = strlen(name), digits = 0;
	if (n == 0 || n > 32 || !(name[0] >= 'a' && name[0] <= 'z'))
		return 0;
	for (const char *p = name; *p; p++) {
		if (*p >= '0' && *p <= '9')
			digits++;
		else if (!((*p >= 'a' && *p <= 'z') || strchr("_ -", *p)))
			return 0;
	}
	char today[11];
	sh_today(today);
	return digits <= 4 && !sh_text_data_shape(name, today, 0);
}

int sh_csv_column_label(const sh_csv *c, size_t i, char *out, size_t n)
{
	int shown = sh_csv_name_showable(c->header[i]);
	if (shown)
		snprintf(out, n, "column %zu ('%s')", i + 1, c->header[i]);
	else
		snprintf(out, n, "column %zu", i + 1);
	return shown;
}

int sh_csv_formula_like(const char *s)
{
	if (!s[0] || !strchr("=+-@\t\r", s[0]))
		return 0;
	if (s[0] != '-')
		return 1;
	if (!s[1])
		return 0; /* a lone '-' computes nothing */
	/* -DIGITS[.DIGITS] is a number; anything more may be a formula
	 * ("-1+1", "-2+3+cmd|' /C calc'!A0") */
	const char *p = s + 1;
	size_t n = strspn(p, "0123456789");
	if (n && p[n] == '.') {
		p += n + 1;
		n = strspn(p, "0123456789");
	}
	return !n || p[n] != '\0';
}

void sh_csv_cell(FILE *f, const char *s, int quote_always, int last)
{
	sh_csv_cell_sep(f, s, quote_always, last, ',');
}

void sh_csv_cell_sep(FILE *f, const char *s, int quote_always, int last,
                     char sep)
{
	int formula = sh_csv_formula_like(s);
	/* ';' too: a spreadsheet set up for Dutch splits on it, and an
	 * unquoted "x;=1+1" would give it a cell that starts with '=' */
	int quote = quote_always || formula || strpbrk(s, ",;\"\n\r\t");
	if (quote)
		fputc('"', f);
	if (formula)
		fputc('\'', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	if (quote)
		fputc('"', f);
	fputc(last ? '\n' : sep, f);
}
