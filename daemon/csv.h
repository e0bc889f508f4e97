/*
 * csv.h - reading the CSV files partners' own systems export. See csv.c.
 */
#ifndef SEINHUIS_CSV_H
#define SEINHUIS_CSV_H

#include "seinhuis.h"

typedef struct {
	char *text; /* the whole file as UTF-8, owned */
	size_t len, pos;
	char sep;
	int cp1252; /* the input was Windows-1252 and was converted */
	int line;   /* line number of the next record */
	char **header;
	size_t ncols;
} sh_csv;

typedef struct {
	char **cols;
	size_t n;
	int line; /* where the record starts */
} sh_csv_row;

/* Take the file's bytes; detect encoding and separator; read the header.
 * Fails with why (line-numbered) if the header is not usable. */
sh_err sh_csv_open(sh_csv *c, const uint8_t *data, size_t len, char *why,
                   size_t whylen);
/* Next record: 1 and a row, 0 at the end, -1 for a record that cannot be
 * read (why says which rule; reading goes on with the next record). */
int sh_csv_next(sh_csv *c, sh_csv_row *row, char *why, size_t whylen);
void sh_csv_row_free(sh_csv_row *row);
void sh_csv_close(sh_csv *c);

#endif
