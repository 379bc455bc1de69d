// SPDX-License-Identifier: GPL-2.0
/*
 * layoutctl's tables, through util-linux's libsmartcols as lsblk and
 * findmnt print theirs: --output picks and orders the columns, --raw
 * prints them separated by single spaces (a space in a cell as \x20),
 * --noheadings leaves out the header line.
 *
 * Cells of an ordinary table come escaped by the caller (what is not
 * printable, a backslash included, as \xHH); libsmartcols is told to leave
 * backslashes alone, or it would escape those escapes again. A raw table's
 * cells come as they are: libsmartcols escapes them, as lsblk -r.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libsmartcols.h>

#include "lc.h"

struct lc_table {
	struct libscols_table *tb;
	const struct lc_col *cols;
	size_t ncols;
	int map[LC_TABLE_MAX_COLS];	/* printed column i is cols[map[i]] */
	size_t nout;
};

static int col_by_name(const struct lc_col *cols, size_t n, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(cols[i].name) == len && !strncasecmp(cols[i].name, name, len))
			return (int)i;
	return -1;
}

/*
 * The columns OUTPUT names (comma-separated, any case), or those marked
 * default when OUTPUT is NULL. A name that is not a column is said, with
 * the list of those there are. Returns NULL (said) on a bad name or ENOMEM.
 */
struct lc_table *lc_table_new(const struct lc_col *cols, size_t ncols,
			      const struct lc_table_opts *o)
{
	struct lc_table *t = calloc(1, sizeof(*t));
	const char *p;
	size_t i;

	if (!t || ncols > LC_TABLE_MAX_COLS)
		goto oom;
	t->cols = cols;
	t->ncols = ncols;
	if (o->output) {
		for (p = o->output; ; p++) {
			size_t len = strcspn(p, ",");
			int c = col_by_name(cols, ncols, p, len);

			if (c < 0 || t->nout == LC_TABLE_MAX_COLS) {
				lc_err("unknown column \"%.*s\" in --output; columns:", (int)len, p);
				for (i = 0; i < ncols; i++)
					fprintf(stderr, "  %-10s %s\n", cols[i].name, cols[i].help);
				free(t);
				return NULL;
			}
			t->map[t->nout++] = c;
			p += len;
			if (!*p)
				break;
		}
	} else {
		for (i = 0; i < ncols; i++)
			if (cols[i].dflt)
				t->map[t->nout++] = (int)i;
	}
	t->tb = scols_new_table();
	if (!t->tb)
		goto oom;
	scols_table_enable_raw(t->tb, o->raw);
	scols_table_enable_noheadings(t->tb, o->noheadings);
	for (i = 0; i < t->nout; i++) {
		const struct lc_col *c = &cols[t->map[i]];

		struct libscols_column *cl = scols_table_new_column(t->tb, c->name, c->whint,
								    c->flags);

		/* the caller's escapes stand: libsmartcols would escape "\x" again */
		if (!cl || scols_column_set_safechars(cl, "\\"))
			goto oom;
	}
	return t;
oom:
	lc_err("out of memory");
	lc_table_free(t);
	return NULL;
}

/* One row: vals[i] is the text of cols[i], NULL for none ("-"). */
int lc_table_row(struct lc_table *t, const char *const *vals)
{
	struct libscols_line *ln = scols_table_new_line(t->tb, NULL);
	size_t i;

	if (!ln)
		return -ENOMEM;
	for (i = 0; i < t->nout; i++) {
		const char *v = vals[t->map[i]];

		if (scols_line_set_data(ln, i, v && *v ? v : "-"))
			return -ENOMEM;
	}
	return 0;
}

int lc_table_print(struct lc_table *t)
{
	return scols_print_table(t->tb) ? -EIO : 0;
}

bool lc_table_empty(const struct lc_table *t)
{
	return scols_table_is_empty(t->tb);
}

void lc_table_free(struct lc_table *t)
{
	if (!t)
		return;
	scols_unref_table(t->tb);
	free(t);
}
