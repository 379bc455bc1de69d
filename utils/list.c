// SPDX-License-Identifier: GPL-2.0
/*
 * layoutctl list: every external reference to files' block layouts.
 *
 *   pNFS layouts     /proc/fs/nfsd/clients/N/{info,states}: client, file,
 *                    and with nfsd-ext's states format each segment's
 *                    iomode and range, the range under recall and the age
 *   layout leases    /proc/locks: LAYOUT lines (userspace layout leases and
 *                    nfsd's own), LEASE and DELEG lines for comparison
 *   DAX DMA, pins    each file's fdinfo (dax_busy: lines), with kernel-patches
 *
 * The credential a client established its lease with (nfsd-ext adds it to
 * the info file: "principal:" for RPCSEC_GSS, "uid:"/"gid:" always) is
 * given a name through libnfsidmap, as rpc.idmapd would map it.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <libsmartcols.h>
#include <limits.h>
#include <ndctl/libndctl.h>
#include <nfsidmap.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lc.h"

static const char *jstr(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "";
}

/* The "file" object of a reference: its device (hex MAJ:MIN) and inode. */
static struct json_object *file_obj(unsigned int maj, unsigned int min, uint64_t ino)
{
	struct json_object *f = json_object_new_object();
	char dev[32];

	if (!f)
		return NULL;
	snprintf(dev, sizeof(dev), "%02x:%02x", maj, min);
	json_object_object_add(f, "dev", json_object_new_string(dev));
	json_object_object_add(f, "ino", json_object_new_uint64(ino));
	return f;
}

/* Is o a reference of kind KIND (any, if NULL) to inode INO of DEV? */
static bool ref_is(struct json_object *o, const char *kind, const char *dev, uint64_t ino)
{
	struct json_object *f, *v;

	return (!kind || !strcmp(jstr(o, "kind"), kind)) &&
	       json_object_object_get_ex(o, "file", &f) && !strcmp(jstr(f, "dev"), dev) &&
	       json_object_object_get_ex(f, "ino", &v) && json_object_get_uint64(v) == ino;
}

static bool match(const struct filter *f, unsigned int maj, unsigned int min,
		  unsigned long ino)
{
	if (f->any)
		return true;
	return maj == f->maj && min == f->min && (!f->by_ino || ino == f->ino);
}

/* Copies v[0, n) to out (len bytes), without surrounding quotes. */
static void copy_unquoted(const char *v, size_t n, char *out, size_t len)
{
	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		v++;
		n -= 2;
	}
	if (n >= len)
		n = len - 1;
	memcpy(out, v, n);
	out[n] = '\0';
}

/* The value of "key: " in a line of nfsd's info file, unquoted. */
bool lc_info_value(const char *text, const char *key, char *out, size_t len)
{
	const char *p = text;
	size_t kl = strlen(key);

	while (p && *p) {
		if (!strncmp(p, key, kl) && p[kl] == ':' && p[kl + 1] == ' ') {
			const char *v = p + kl + 2, *e = strchr(v, '\n');
			copy_unquoted(v, e ? (size_t)(e - v) : strlen(v), out, len);
			return true;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

/*
 * A line of a client's states file is a stateid and a YAML flow mapping:
 *
 *   - 0x00000001a1b2c3d4e5f60708090a0b0c: { type: layout, superblock:
 *     "fd:00:131", filename: "export/f.dat", layout: block, segments:
 *     [ rw:0:8388608, read:16777216:eof ], recall: [ 0:1048576 ],
 *     fence-failed, age: 12 }
 *
 * (on one line). Its top-level items are "key: value", the value a plain
 * token, a "string" or a [ list ] of tokens, and bare flags. A string ends
 * at the first '"' that no backslash escapes; "\xHH" is that byte, and a
 * backslash before anything else stands for that character.
 *
 * The file name is the only part of the line that others choose. With
 * "nfsd: quote file names in the client states file" nfsd writes it as it
 * writes client names (quotes, backslashes and every byte that is not
 * printable ASCII as \xHH), so nothing in it can pass for an item or a
 * line. Older kernels print it raw, and a raw name holding '"' or a
 * newline can still spell out items or lines of its own: those come after
 * the kernel's type and superblock, so a line with a key or flag twice,
 * a layout's key that nfsd does not print or prints elsewhere in the
 * line, or a line that does not parse, is "unparsed" - only the items
 * before its file name are believed - and said on stderr.
 *
 * A raw newline in a name ends the line inside its string: the next line,
 * unless it starts with a stateid as nfsd prints them (0x and 32 hex
 * digits, with the client's id in them), is the rest of that name, and is
 * joined to it. A name can still forge a whole line with a stateid that
 * passes: hostile names need the quoting kernel.
 */
enum flow_kind { FLOW_FLAG, FLOW_TOKEN, FLOW_STRING, FLOW_LIST };

struct flow_item {
	const char *key;	/* the key or flag: klen bytes of the line */
	size_t klen;
	enum flow_kind kind;
	const char *val;	/* the token, the decoded string, or the text */
	size_t vlen;		/* between a list's brackets */
};

struct flow {
	const char *line;
	unsigned long lineno;	/* the line of the file it starts on */
	const char *clid;	/* the client's id as its stateids hold it (16 hex
				 * digits, see sid_check()), or NULL: not known */
	const char *sid;	/* the stateid, sidlen bytes of the line */
	size_t sidlen;
	struct flow_item *items;
	size_t n, alloc;
	size_t trusted;		/* items before the file name */
	bool open_string;	/* the line ended inside a string */
	char why[128];		/* why the line is unparsed; "" if it is not */
};

static bool key_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_';
}

/* Plain values: numbers, hex, words, "rw:0:4096", "fd:00:131", "r-". */
static bool token_char(char c)
{
	return isalnum((unsigned char)c) || (c && strchr(":._/+-", c));
}

static char *skip_spaces(char *p, const char *end)
{
	while (p < end && *p == ' ')
		p++;
	return p;
}

static int hex_digit(char c)
{
	return isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10;
}

/* The line is unparsed: the first reason is kept, with where it is. */
static void flow_bad(struct flow *fl, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void flow_bad(struct flow *fl, const char *at, const char *fmt, ...)
{
	const char *p, *sol = fl->line;
	unsigned long more = 0;
	va_list ap;
	size_t n;

	if (fl->why[0])
		return;
	va_start(ap, fmt);
	vsnprintf(fl->why, sizeof(fl->why), fmt, ap);
	va_end(ap);
	/* a record that joined lines: which of them */
	for (p = fl->line; p < at; p++)
		if (*p == '\n') {
			more++;
			sol = p + 1;
		}
	n = strlen(fl->why);
	if (more)
		snprintf(fl->why + n, sizeof(fl->why) - n, " at line %lu, column %zu",
			 fl->lineno + more, (size_t)(at - sol) + 1);
	else
		snprintf(fl->why + n, sizeof(fl->why) - n, " at column %zu",
			 (size_t)(at - sol) + 1);
	if (fl->trusted > fl->n)
		fl->trusted = fl->n;
}

/*
 * The value at *pp into it, a string decoded in place (it is never longer
 * than its text); NULL, or what is wrong with it (*open if the text ended
 * inside a string). *pp is left after it, or where it went wrong.
 */
static const char *flow_value(char **pp, const char *end, struct flow_item *it, bool *open)
{
	char *p = *pp, *w;

	if (p < end && *p == '"') {
		it->kind = FLOW_STRING;
		it->val = w = p++;
		while (p < end && *p != '"') {
			if (*p != '\\') {
				*w++ = *p++;
				continue;
			}
			if (++p == end)
				break;
			if (*p != 'x') {
				*w++ = *p++;
				continue;
			}
			if (end - p < 3 || !isxdigit((unsigned char)p[1]) ||
			    !isxdigit((unsigned char)p[2])) {
				/* an escape that the end of the text cut */
				if (end - p < 3 && (end - p == 1 || isxdigit((unsigned char)p[1]))) {
					p = (char *)end;
					break;
				}
				*pp = p - 1;
				return "a \\x escape without two hex digits";
			}
			*w++ = hex_digit(p[1]) << 4 | hex_digit(p[2]);
			p += 3;
		}
		*pp = p;
		if (p == end) {
			*open = true;
			return "a string without its closing '\"'";
		}
		it->vlen = w - it->val;
		*pp = p + 1;
		return NULL;
	}
	if (p < end && *p == '[') {
		it->kind = FLOW_LIST;
		it->val = ++p;
		p = skip_spaces(p, end);
		while (p == end || *p != ']') {
			if (p == end || !token_char(*p)) {
				*pp = p;
				return p == end ? "a list without its closing ']'" :
				       "a list item that is not a plain value";
			}
			while (p < end && token_char(*p))
				p++;
			p = skip_spaces(p, end);
			if (p < end && *p == ',') {
				p = skip_spaces(p + 1, end);
				if (p < end && *p == ']') {
					*pp = p;
					return "an empty list item";
				}
			} else if (p < end && *p != ']') {
				*pp = p;
				return "expected ',' or ']' in a list";
			}
		}
		it->vlen = p - it->val;
		*pp = p + 1;
		return NULL;
	}
	if (p < end && token_char(*p)) {
		it->kind = FLOW_TOKEN;
		it->val = p;
		while (p < end && token_char(*p))
			p++;
		it->vlen = p - it->val;
		*pp = p;
		return NULL;
	}
	*pp = p;
	return "expected a value";
}

/*
 * A stateid as nfs4_show_stateid() prints it: "0x", si_generation as 8 hex
 * digits, then the 12 bytes of si_opaque as 24 ("%12phN"), lowercase. The
 * first 8 bytes of si_opaque are the clientid of the client that holds it
 * (nfs4_alloc_stid() copies cl_clientid there), which client_info_show()
 * prints as a u64 it copied the same 8 bytes into: clid_hex() turns that
 * back into the bytes. Returns what is wrong with the stateid at p, or
 * NULL; clid (16 hex digits) is the client's, NULL if not known.
 */
#define SID_LEN		(2 + 8 + 24)

static bool lower_hex(char c)
{
	return isdigit((unsigned char)c) || (c >= 'a' && c <= 'f');
}

static const char *sid_check(const char *p, const char *end, const char *clid)
{
	int i;

	if (end - p < 2 || memcmp(p, "0x", 2))
		return "no stateid";
	for (i = 2; i < SID_LEN; i++)
		if (p + i == end || !lower_hex(p[i]))
			break;
	if (i < SID_LEN || (p + i < end && isxdigit((unsigned char)p[i])))
		return "a stateid that is not 0x and 32 hex digits, as nfsd prints them";
	if (clid && memcmp(p + 10, clid, 16))
		return "a stateid that does not hold the client's id";
	return NULL;
}

/*
 * The first 8 bytes of si_opaque, as hex, from the "clientid: 0x%llx" of
 * nfsd's info file (the u64 that clientid_t was copied into); false if v
 * is not that.
 */
static bool clid_hex(const char *v, char out[17])
{
	unsigned char b[8];
	uint64_t id = 0;
	size_t i, n = strlen(v);

	if (n < 3 || n > 18 || memcmp(v, "0x", 2))
		return false;
	for (i = 2; i < n; i++) {
		if (!lower_hex(v[i]))
			return false;
		id = id << 4 | hex_digit(v[i]);
	}
	memcpy(b, &id, sizeof(b));
	for (i = 0; i < 8; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	return true;
}

/* Adds it to fl; -EEXIST if its key or flag is there already. */
static int flow_add(struct flow *fl, const struct flow_item *it)
{
	size_t i;

	for (i = 0; i < fl->n; i++)
		if (fl->items[i].klen == it->klen &&
		    !memcmp(fl->items[i].key, it->key, it->klen))
			return -EEXIST;
	if (fl->n == fl->alloc) {
		size_t na = fl->alloc ? 2 * fl->alloc : 16;
		struct flow_item *ni = reallocarray(fl->items, na, sizeof(*ni));

		if (!ni)
			return -ENOMEM;
		fl->items = ni;
		fl->alloc = na;
	}
	if (fl->trusted == SIZE_MAX && it->klen == 8 && !memcmp(it->key, "filename", 8))
		fl->trusted = fl->n;
	fl->items[fl->n++] = *it;
	return 0;
}

/*
 * Parses line[0, len) into fl. Returns 0 (fl->why says whether the line
 * is unparsed) or -ENOMEM. Strings are decoded in place.
 */
static int flow_parse(char *line, size_t len, struct flow *fl)
{
	char *p = line, *end = line + len, *nul;
	struct flow_item it;
	const char *why;
	int err;

	fl->line = line;
	fl->sid = NULL;
	fl->sidlen = 0;
	fl->n = 0;
	fl->trusted = SIZE_MAX;
	fl->open_string = false;
	fl->why[0] = '\0';
	nul = memchr(line, '\0', len);
	if (nul) {
		flow_bad(fl, nul, "a NUL byte");
		return 0;
	}
	if (len < 2 || memcmp(p, "- ", 2)) {
		flow_bad(fl, line, "not a stateid (part of a line that a newline in a file name split?)");
		return 0;
	}
	p += 2;
	why = sid_check(p, end, fl->clid);
	if (why) {
		flow_bad(fl, p, "%s", why);
		return 0;
	}
	fl->sid = p;
	fl->sidlen = SID_LEN;
	p += SID_LEN;
	if (p == end || *p++ != ':' || (p = skip_spaces(p, end)) == end || *p++ != '{') {
		flow_bad(fl, p, "expected \": {\" after the stateid");
		return 0;
	}
	for (;;) {
		p = skip_spaces(p, end);
		if (!fl->n && p < end && *p == '}') {	/* "{ }" */
			p++;
			break;
		}
		memset(&it, 0, sizeof(it));
		it.key = p;
		while (p < end && key_char(*p))
			p++;
		it.klen = p - it.key;
		if (!it.klen) {
			flow_bad(fl, p, "expected a key or a flag");
			return 0;
		}
		if (p < end && *p == ':') {
			if (++p == end || *p != ' ') {
				flow_bad(fl, p, "expected ' ' after ':'");
				return 0;
			}
			p = skip_spaces(p, end);
			why = flow_value(&p, end, &it, &fl->open_string);
			if (why) {
				flow_bad(fl, p, "%s", why);
				return 0;
			}
		} else {
			it.kind = FLOW_FLAG;
		}
		err = flow_add(fl, &it);
		if (err == -ENOMEM)
			return err;
		if (err) {
			flow_bad(fl, it.key, "\"%.*s\" twice", (int)(it.klen < 32 ? it.klen : 32),
				 it.key);
			return 0;
		}
		p = skip_spaces(p, end);
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == '}') {
			p++;
			break;
		}
		flow_bad(fl, p, "expected ',' or '}'");
		return 0;
	}
	p = skip_spaces(p, end);
	if (p != end) {
		flow_bad(fl, p, "text after '}'");
		return 0;
	}
	if (fl->trusted == SIZE_MAX)
		fl->trusted = fl->n;
	return 0;
}

/* The item key (or flag) among the first n of fl. */
static const struct flow_item *flow_get(const struct flow *fl, size_t n, const char *key)
{
	size_t i, kl = strlen(key);

	for (i = 0; i < n && i < fl->n; i++)
		if (fl->items[i].klen == kl && !memcmp(fl->items[i].key, key, kl))
			return &fl->items[i];
	return NULL;
}

static bool item_is(const struct flow_item *it, const char *s)
{
	return it->kind == FLOW_TOKEN && it->vlen == strlen(s) && !memcmp(it->val, s, it->vlen);
}

/* The next item of a list (as flow_value checked it) from *pos on. */
static bool list_next(const struct flow_item *it, size_t *pos, const char **tok, size_t *len)
{
	const char *p = it->val + *pos, *end = it->val + it->vlen;

	while (p < end && (*p == ' ' || *p == ','))
		p++;
	if (p == end)
		return false;
	*tok = p;
	while (p < end && token_char(*p))
		p++;
	*len = p - *tok;
	*pos = p - it->val;
	return true;
}

/* Decimal as nfsd prints it ("%llu"): digits only, no overflow. */
static bool parse_dec(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (!n)
		return false;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]) || v > (UINT64_MAX - (s[i] - '0')) / 10)
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/*
 * "fd:00:131": nfsd's "%02x:%02x:%ld" (an inode number past LONG_MAX
 * shows as negative).
 */
static bool parse_sb(const struct flow_item *it, unsigned int *maj, unsigned int *min,
		     unsigned long *ino)
{
	unsigned int v[2] = { 0, 0 };
	const char *p, *e;
	uint64_t i;
	bool neg;
	int k;

	if (it->kind != FLOW_STRING && it->kind != FLOW_TOKEN)
		return false;	/* a flag has no value at all */
	p = it->val;
	e = p + it->vlen;
	for (k = 0; k < 2; k++) {
		const char *s = p;

		while (p < e && isxdigit((unsigned char)*p) && p - s < 8)
			v[k] = v[k] << 4 | hex_digit(*p++);
		if (p == s || p == e || *p++ != ':')
			return false;
	}
	neg = p < e && *p == '-';
	if (!parse_dec(p + neg, e - p - neg, &i) || i > ULONG_MAX)
		return false;
	*maj = v[0];
	*min = v[1];
	*ino = neg ? -(unsigned long)i : (unsigned long)i;
	return true;
}

static void range_text(char *buf, size_t len, uint64_t off, uint64_t l)
{
	if (l == UINT64_MAX)
		snprintf(buf, len, "%llu:end", (unsigned long long)off);
	else
		snprintf(buf, len, "%llu:%llu", (unsigned long long)off,
			 (unsigned long long)l);
}

/* A growing string; oom once an allocation failed. */
struct sbuf {
	char *s;
	size_t len, alloc;
	bool oom;
};

static void sb_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if (b->len + n + 1 > b->alloc) {
		size_t na = b->alloc ? b->alloc : 64;
		char *ns;

		while (na < b->len + n + 1)
			na *= 2;
		ns = realloc(b->s, na);
		if (!ns) {
			b->oom = true;
			return;
		}
		b->s = ns;
		b->alloc = na;
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, b->alloc - b->len, fmt, ap);
	va_end(ap);
	b->len += n;
}

/*
 * A list of segments, "[ rw:0:8388608, read:16777216:eof ]", or with
 * !iomode of ranges, "[ 0:1048576 ]", into *arr and its text into *text
 * ("rw 0:8388608 read 16777216:end"). 0, -EINVAL (an item that is not
 * one) or -ENOMEM; on error nothing is returned.
 */
static int parse_ranges(const struct flow_item *it, bool iomode, struct json_object **arr,
			char **text)
{
	struct sbuf b = { 0 };
	const char *tok;
	size_t pos = 0, tl;
	int err = 0;

	*arr = json_object_new_array();
	sb_add(&b, "%s", "");
	while (*arr && !err && list_next(it, &pos, &tok, &tl)) {
		const char *f[3], *e = tok + tl;
		size_t fl[3];
		int n = 0, want = iomode ? 3 : 2;
		struct json_object *o, *m = NULL;
		uint64_t off, l;
		char r[64];

		for (f[0] = tok; n < want; n++) {
			const char *c = memchr(f[n], ':', e - f[n]);

			fl[n] = (c ? c : e) - f[n];
			if (n + 1 < want) {
				if (!c)
					break;
				f[n + 1] = c + 1;
			} else if (c) {
				n = 0;	/* a field too many */
				break;
			}
		}
		if (n != want || !parse_dec(f[iomode], fl[iomode], &off)) {
			err = -EINVAL;
			break;
		}
		if (fl[iomode + 1] == 3 && (!memcmp(f[iomode + 1], "eof", 3) ||
					    !memcmp(f[iomode + 1], "end", 3)))
			l = UINT64_MAX;
		else if (!parse_dec(f[iomode + 1], fl[iomode + 1], &l)) {
			err = -EINVAL;
			break;
		}
		if (iomode) {
			size_t i;

			for (i = 0; i < fl[0]; i++)
				if (!islower((unsigned char)f[0][i]))
					break;
			if (!fl[0] || i < fl[0]) {
				err = -EINVAL;
				break;
			}
		}
		o = json_object_new_object();
		if (!o || (iomode && !(m = json_object_new_string_len(f[0], fl[0])))) {
			json_object_put(o);
			err = -ENOMEM;
			break;
		}
		if (m)
			json_object_object_add(o, "iomode", m);
		json_object_object_add(o, "offset", json_object_new_uint64(off));
		json_object_object_add(o, "length", l == UINT64_MAX ?
				       NULL : json_object_new_uint64(l));
		if (json_object_array_add(*arr, o)) {
			json_object_put(o);
			err = -ENOMEM;
			break;
		}
		range_text(r, sizeof(r), off, l);
		sb_add(&b, "%s%.*s%s%s", b.len ? " " : "", iomode ? (int)fl[0] : 0, f[0],
		       iomode ? " " : "", r);
	}
	if (!*arr || b.oom)
		err = -ENOMEM;
	if (err) {
		json_object_put(*arr);
		*arr = NULL;
		free(b.s);
		return err;
	}
	*text = b.s;
	return 0;
}

/*
 * libnfsidmap reads idmapd.conf once per process (under LAYOUTCTL_ROOT in the
 * unit tests); without a Domain there it asks DNS for one, as rpc.idmapd does.
 */
static bool idmap_ready(void)
{
	static int state;	/* 0 not tried, 1 ready, -1 failed */
	char conf[PATH_MAX];

	if (!state) {
		lc_path(conf, sizeof(conf), "/etc/idmapd.conf");
		state = nfs4_init_name_mapping(conf) ? -1 : 1;
		if (state < 0)
			lc_notice("client names: libnfsidmap could not read %s; showing ids", conf);
	}
	return state > 0;
}

/*
 * Who a client is as far as permissions go: its GSS principal, the ids its
 * credential maps to, and the NFSv4 name of that user ("user@domain").
 */
static void client_identity(const char *info, struct json_object *c)
{
	char princ[512] = "", mech[32] = "krb5", v[32], user[512];
	uid_t uid = 0;
	gid_t gid;
	bool have_uid;

	lc_info_value(info, "gss mechanism", mech, sizeof(mech));
	if (lc_info_value(info, "principal", princ, sizeof(princ)))
		json_object_object_add(c, "principal", json_object_new_string(princ));
	have_uid = lc_info_value(info, "uid", v, sizeof(v));
	if (have_uid) {
		uid = strtoul(v, NULL, 10);
		json_object_object_add(c, "uid", json_object_new_uint64(uid));
	}
	if (lc_info_value(info, "gid", v, sizeof(v))) {
		gid = strtoul(v, NULL, 10);
		json_object_object_add(c, "gid", json_object_new_uint64(gid));
	}
	if ((!have_uid && !*princ) || !idmap_ready())
		return;
	if (*princ && nfs4_gss_princ_to_ids(mech, princ, &uid, &gid) == 0)
		have_uid = true;
	if (have_uid && nfs4_uid_to_name(uid, NULL, user, sizeof(user)) == 0)
		json_object_object_add(c, "user", json_object_new_string(user));
}

/*
 * The items of a layout's line, in the order nfs4_show_layout() prints
 * them (with nfsd-ext's nfsd4_show_layout_state() between the file name
 * and admin-revoked): the type first, each of the others at most once and
 * only when it applies (upstream prints no layout, segments nor age).
 */
static const char *const layout_keys[] = {
	"type", "superblock", "filename", "layout", "segments", "recall",
	"fence-failed", "age", "admin-revoked",
};

/*
 * A layout's line with a key nfsd does not print, or out of its order, is
 * unparsed: only what comes before that key and before the file name is
 * believed.
 */
static void layout_order(struct flow *fl)
{
	size_t i, k, next = 0, nk = sizeof(layout_keys) / sizeof(layout_keys[0]);

	for (i = 0; i < fl->n; i++) {
		const struct flow_item *it = &fl->items[i];
		int kl = it->klen < 32 ? (int)it->klen : 32;

		for (k = 0; k < nk; k++)
			if (strlen(layout_keys[k]) == it->klen &&
			    !memcmp(layout_keys[k], it->key, it->klen))
				break;
		if (k < nk && k >= next && (k == 0) == (i == 0)) {
			next = k + 1;
			continue;
		}
		if (k == nk)
			flow_bad(fl, it->key, "\"%.*s\", which nfsd does not show for a layout",
				 kl, it->key);
		else
			flow_bad(fl, it->key, "\"%.*s\" out of nfsd's order", kl, it->key);
		if (fl->trusted > i)
			fl->trusted = i;
		return;
	}
}

/*
 * What a record of a client's states file (lines first to last: a name
 * with newlines spans several) adds to refs: its layout, if it is one of a
 * file flt matches. An unparsed line that may be one (its type and
 * superblock, where it shows them before the file name, do not say
 * otherwise) is listed with only those and "unparsed": why, and said on
 * stderr; "recall" counts it as held. Returns 0 or -ENOMEM.
 */
static int states_line(struct flow *fl, const char *path, unsigned long first,
		       unsigned long last, const struct filter *flt,
		       struct json_object *client, struct json_object *refs)
{
	const struct flow_item *type, *sb, *it;
	struct json_object *o, *f, *d, *arr, *nm = NULL;
	unsigned int maj = 0, min = 0;
	unsigned long ino = 0;
	size_t upto = fl->why[0] ? fl->trusted : fl->n;
	bool have_sb;
	char *text;
	uint64_t age;
	int i, err;

	type = flow_get(fl, upto, "type");
	if (type && !item_is(type, "layout"))
		return 0;
	layout_order(fl);
	upto = fl->why[0] ? fl->trusted : fl->n;
	type = flow_get(fl, upto, "type");
	sb = flow_get(fl, upto, "superblock");
	have_sb = sb && parse_sb(sb, &maj, &min, &ino);
	if (!fl->why[0]) {
		if (!type)
			flow_bad(fl, fl->line, "no type");
		else if (!sb)
			return 0;	/* a layout nfsd shows no file of */
		else if (!have_sb)
			flow_bad(fl, sb->key, "a superblock that is not MAJ:MIN:INO");
	}
	if (have_sb && !match(flt, maj, min, ino))
		return 0;

	/* The details, kept only if all of them parse. */
	d = json_object_new_object();
	if (!d)
		return -ENOMEM;
	it = flow_get(fl, fl->n, "filename");
	if (!fl->why[0] && it) {
		if ((it->kind != FLOW_STRING && it->kind != FLOW_TOKEN) ||
		    memchr(it->val, '\0', it->vlen))
			flow_bad(fl, it->key, "a file name that is not a string");
		else if (!(nm = json_object_new_string_len(it->val, it->vlen)))
			goto oom;
	}
	it = flow_get(fl, fl->n, "layout");
	if (!fl->why[0] && it) {
		if (it->kind != FLOW_TOKEN)
			flow_bad(fl, it->key, "a layout type that is not a word");
		else
			json_object_object_add(d, "layout_type",
					       json_object_new_string_len(it->val, it->vlen));
	}
	for (i = 0; i < 2 && !fl->why[0]; i++) {
		const char *key = i ? "recall" : "segments";

		it = flow_get(fl, fl->n, key);
		if (!it)
			continue;
		err = it->kind == FLOW_LIST ? parse_ranges(it, !i, &arr, &text) : -EINVAL;
		if (err == -ENOMEM)
			goto oom;
		if (err) {
			flow_bad(fl, it->key, "%s that %s", key, it->kind == FLOW_LIST ?
				 "are not all [IOMODE:]OFF:LEN" : "are not a list");
			break;
		}
		json_object_object_add(d, key, arr);
		json_object_object_add(d, i ? "recall_text" : "ranges_text",
				       json_object_new_string(text));
		free(text);
	}
	for (i = 0; i < 2 && !fl->why[0]; i++) {
		const char *flag = i ? "admin-revoked" : "fence-failed";

		it = flow_get(fl, fl->n, flag);
		if (it && it->kind != FLOW_FLAG)
			flow_bad(fl, it->key, "%s with a value", flag);
		else if (it)
			json_object_object_add(d, i ? "admin_revoked" : "fence_failed",
					       json_object_new_boolean(1));
	}
	it = flow_get(fl, fl->n, "age");
	if (!fl->why[0] && it) {
		if (it->kind != FLOW_TOKEN || !parse_dec(it->val, it->vlen, &age))
			flow_bad(fl, it->key, "an age that is not a number");
		else
			json_object_object_add(d, "age", json_object_new_uint64(age));
	}

	o = json_object_new_object();
	f = have_sb ? file_obj(maj, min, ino) : json_object_new_object();
	if (!o || !f) {
		json_object_put(o);
		json_object_put(f);
		goto oom;
	}
	json_object_object_add(o, "kind", json_object_new_string("pnfs-layout"));
	/* "" when not known, as fill_names() and scripts expect a string */
	json_object_object_add(f, "name", !fl->why[0] && nm ? nm : json_object_new_string(""));
	if (!fl->why[0])
		nm = NULL;
	json_object_object_add(o, "file", f);
	json_object_object_add(o, "client", json_object_get(client));
	if (fl->sid)
		json_object_object_add(o, "stateid",
				       json_object_new_string_len(fl->sid, fl->sidlen));
	if (fl->why[0]) {
		if (!flt->quiet && first == last)
			lc_err("warning: %s, line %lu: %s: believed only up to the file name (file names that hold quotes or newlines need a kernel with \"nfsd: quote file names in the client states file\")",
			       path, first, fl->why);
		else if (!flt->quiet)
			lc_err("warning: %s, lines %lu-%lu (joined: line %lu ended inside a string without its closing '\"', a file name with a newline): %s: believed only up to the file name (file names that hold quotes or newlines need a kernel with \"nfsd: quote file names in the client states file\")",
			       path, first, last, first, fl->why);
		json_object_object_add(o, "unparsed", json_object_new_string(fl->why));
	} else {
		json_object_object_foreach(d, k, val)
			json_object_object_add(o, k, json_object_get(val));
	}
	json_object_put(nm);
	json_object_put(d);
	if (json_object_array_add(refs, o)) {
		json_object_put(o);
		return -ENOMEM;
	}
	return 0;
oom:
	json_object_put(nm);
	json_object_put(d);
	return -ENOMEM;
}

bool lc_all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/*
 * A record of a states file: a line, or the lines a file name with raw
 * newlines spans, joined by those newlines; work is the copy of raw that
 * flow_parse() decoded in place.
 */
struct record {
	char *raw, *work;
	size_t len, cap;
	unsigned long first, last;	/* its lines */
};

/* Whether line[0, n) starts a record: "- " and a stateid of this client. */
static bool record_start(const char *line, size_t n, const char *clid)
{
	return n >= 2 && !memcmp(line, "- ", 2) && !sid_check(line + 2, line + n, clid);
}

/*
 * line[0, n) as a new record, or joined to the one in r after a newline;
 * the record parsed into fl. 0 or -ENOMEM.
 */
static int record_add(struct record *r, const char *line, size_t n, bool join,
		      struct flow *fl)
{
	size_t need;

	if (!join)
		r->len = 0;
	need = r->len + join + n + 1;
	if (need > r->cap) {
		size_t nc = r->cap ? r->cap : 256;
		char *p;

		while (nc < need)
			nc *= 2;
		p = realloc(r->raw, nc);
		if (!p)
			return -ENOMEM;
		r->raw = p;
		p = realloc(r->work, nc);
		if (!p)
			return -ENOMEM;
		r->work = p;
		r->cap = nc;
	}
	if (join)
		r->raw[r->len++] = '\n';
	memcpy(r->raw + r->len, line, n);
	r->len += n;
	memcpy(r->work, r->raw, r->len);
	r->work[r->len] = '\0';
	fl->lineno = r->first;
	return flow_parse(r->work, r->len, fl);
}

/*
 * One client's states file into refs: 0 or -errno. A line that does not
 * start a record, after one that ended inside a string, is the rest of a
 * file name that held a raw newline: it is joined to that record, which
 * is judged as the one line nfsd wrote.
 */
static int states_file(const char *path, const struct filter *flt, struct json_object *c,
		       struct json_object *refs, struct flow *fl)
{
	struct record r = { 0 };
	unsigned long lineno = 0;
	bool have = false;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *fp;
	int err = 0, e;

	fp = fopen(path, "re");
	if (!fp)
		return -errno;
	for (;;) {
		errno = 0;
		n = getline(&line, &cap, fp);
		if (n < 0) {
			if (ferror(fp) || errno == ENOMEM)
				err = errno ? -errno : -EIO;
			break;
		}
		lineno++;
		if (n && line[n - 1] == '\n')
			line[--n] = '\0';
		if (have && fl->open_string && !record_start(line, n, fl->clid)) {
			r.last = lineno;
			err = record_add(&r, line, n, true, fl);
			if (err)
				break;
			continue;
		}
		if (!n)
			continue;
		if (have) {
			have = false;
			err = states_line(fl, path, r.first, r.last, flt, c, refs);
			if (err)
				break;
		}
		r.first = r.last = lineno;
		err = record_add(&r, line, n, false, fl);
		if (err)
			break;
		have = true;
	}
	/* what was read is listed, also when the rest could not be */
	if (have && err != -ENOMEM) {
		e = states_line(fl, path, r.first, r.last, flt, c, refs);
		err = err ? err : e;
	}
	free(r.raw);
	free(r.work);
	free(line);
	fclose(fp);
	return err;
}

/*
 * The pNFS layouts in nfsd's client states files, each read whole, line
 * by line however long. Returns 0, or LC_EFAIL when a client's states
 * file could not be read (said; what was read of it is in refs): then its
 * layouts are not known.
 */
int lc_collect_nfsd(const struct filter *flt, struct json_object *refs, bool *seen)
{
	char dir[PATH_MAX], p[PATH_MAX], clid[17];
	struct flow fl = { 0 };
	struct dirent *de;
	int ret = 0;
	DIR *d;

	lc_path(dir, sizeof(dir), "/proc/fs/nfsd/clients");
	d = opendir(dir);
	if (!d)
		return 0;
	*seen = true;
	while ((de = readdir(d))) {
		char *info, id[32] = "", addr[80] = "", name[256] = "", status[32] = "";
		struct json_object *c, *ident;
		int err;

		if (!lc_all_digits(de->d_name))
			continue;
		if ((size_t)snprintf(p, sizeof(p), "%s/%s/info", dir, de->d_name) >= sizeof(p)) {
			lc_err("%s: a path too long: the layouts of nfsd client %s are not known",
			       dir, de->d_name);
			ret = LC_EFAIL;
			continue;
		}
		info = lc_read_file(p, 1 << 20);
		if (!info && errno != ENOENT && !flt->quiet)
			lc_err("warning: %s: %s: client %s's address, name and id are not known",
			       p, strerror(errno), de->d_name);
		lc_info_value(info ? info : "", "clientid", id, sizeof(id));
		/* with the client's id, stateids that do not hold it are refused */
		fl.clid = clid_hex(id, clid) ? clid : NULL;
		lc_info_value(info ? info : "", "address", addr, sizeof(addr));
		lc_info_value(info ? info : "", "name", name, sizeof(name));
		lc_info_value(info ? info : "", "status", status, sizeof(status));
		c = json_object_new_object();
		ident = json_object_new_object();
		if (c && ident)
			client_identity(info ? info : "", ident);
		free(info);
		if ((size_t)snprintf(p, sizeof(p), "%s/%s/states", dir, de->d_name) >= sizeof(p)) {
			json_object_put(c);
			json_object_put(ident);
			lc_err("%s: a path too long: the layouts of nfsd client %s are not known",
			       dir, de->d_name);
			ret = LC_EFAIL;
			continue;
		}
		if (!c || !ident) {
			json_object_put(c);
			json_object_put(ident);
			err = -ENOMEM;
			goto fail;
		}
		json_object_object_add(c, "nfsd_id", json_object_new_int(atoi(de->d_name)));
		json_object_object_add(c, "clientid", json_object_new_string(id));
		json_object_object_add(c, "address", json_object_new_string(addr));
		json_object_object_add(c, "name", json_object_new_string(name));
		json_object_object_add(c, "status", json_object_new_string(status));
		json_object_object_foreach(ident, k, val)
			json_object_object_add(c, k, json_object_get(val));
		json_object_put(ident);
		err = states_file(p, flt, c, refs, &fl);
		json_object_put(c);
		if (!err || err == -ENOENT)	/* none, or the client went away */
			continue;
fail:
		lc_err("%s: %s: the layouts of nfsd client %s are not known", p,
		       strerror(-err), de->d_name);
		ret = LC_EFAIL;
	}
	free(fl.items);
	closedir(d);
	return ret;
}

static void pid_comm(int pid, char *buf, size_t len)
{
	char p[PATH_MAX];

	lc_path(p, sizeof(p), "/proc/%d/comm", pid);
	if (lc_read_attr(p, buf, len))
		buf[0] = '\0';
}

/*
 * Is pid a kernel thread (PF_KTHREAD in the flags of /proc/PID/stat, the
 * ninth field)? A name is no proof: any process can call itself "nfsd".
 */
static bool pid_kthread(int pid)
{
	char p[PATH_MAX], *stat, *c;
	unsigned long flags;
	bool kthread = false;

	lc_path(p, sizeof(p), "/proc/%d/stat", pid);
	stat = lc_read_file(p, 4096);
	c = stat ? strrchr(stat, ')') : NULL;	/* after the name, whatever it holds */
	if (c && sscanf(c + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) == 1)
		kthread = flags & 0x00200000;	/* PF_KTHREAD */
	free(stat);
	return kthread;
}

/*
 * The next line of fp, without its newline, into *line: 1, 0 at the end,
 * or -errno. /proc files are read line by line, however large.
 */
static int next_line(FILE *fp, char **line, size_t *cap)
{
	ssize_t n;

	errno = 0;
	n = getline(line, cap, fp);
	if (n < 0)
		return ferror(fp) || errno == ENOMEM ? (errno ? -errno : -EIO) : 0;
	if (n && (*line)[n - 1] == '\n')
		(*line)[n - 1] = '\0';
	return 1;
}

/*
 * /proc/locks: "1: LAYOUT ACTIVE READ 1234 fd:10:5678 0 EOF". Returns 0, or
 * LC_EFAIL when it exists but could not be read whole (said).
 */
static int list_locks(const struct filter *flt, struct json_object *refs, bool *seen)
{
	char p[PATH_MAX], *line = NULL;
	size_t cap = 0;
	FILE *fp;
	int r;

	lc_path(p, sizeof(p), "/proc/locks");
	fp = fopen(p, "re");
	if (!fp) {
		if (errno == ENOENT)
			return 0;
		r = -errno;
		goto fail;
	}
	*seen = true;
	while ((r = next_line(fp, &line, &cap)) > 0) {
		char kind[16], state[16], type[16], dev[64], start[32], end[32], comm[64];
		unsigned int maj, min;
		unsigned long ino;
		struct json_object *o, *h;
		uint64_t off, len;
		int pid;

		if (strstr(line, "->"))
			continue;	/* a waiter, not a holder */
		if (sscanf(line, "%*s %15s %15s %15s %d %63s %31s %31s", kind, state, type,
			   &pid, dev, start, end) != 7)
			continue;
		if (strcmp(kind, "LAYOUT") && strcmp(kind, "LEASE") && strcmp(kind, "DELEG"))
			continue;
		if (sscanf(dev, "%x:%x:%lu", &maj, &min, &ino) != 3 || !match(flt, maj, min, ino))
			continue;
		pid_comm(pid, comm, sizeof(comm));
		/* nfsd's own layout leases: the states files say more of them */
		if (!strcmp(kind, "LAYOUT") && !strcmp(comm, "nfsd") && pid_kthread(pid))
			continue;
		off = strtoull(start, NULL, 10);
		len = !strcmp(end, "EOF") ? UINT64_MAX : strtoull(end, NULL, 10) - off + 1;
		o = json_object_new_object();
		json_object_object_add(o, "kind", json_object_new_string(
			!strcmp(kind, "LAYOUT") ? "layout-lease" :
			!strcmp(kind, "DELEG") ? "delegation" : "lease"));
		json_object_object_add(o, "file", file_obj(maj, min, ino));
		h = json_object_new_object();
		json_object_object_add(h, "pid", json_object_new_int(pid));
		json_object_object_add(h, "command", json_object_new_string(comm));
		json_object_object_add(o, "holder", h);
		json_object_object_add(o, "type", json_object_new_string(type));
		json_object_object_add(o, "state", json_object_new_string(state));
		json_object_object_add(o, "offset", json_object_new_uint64(off));
		json_object_object_add(o, "length", len == UINT64_MAX ?
				       NULL : json_object_new_uint64(len));
		json_object_array_add(refs, o);
	}
	free(line);
	fclose(fp);
	if (!r)
		return 0;
fail:
	lc_err("%s: %s: the layout leases, leases and delegations are not known", p,
	       strerror(-r));
	return LC_EFAIL;
}

/*
 * DAX DMA references and long-term pins, from the fdinfo of each file
 * (kernel-patches: "dax_busy:\tOFFSET LENGTH pin|ref" per run of busy
 * pages and a closing "dax_busy_pages:\tN" that says the kernel looked).
 * The page does not say whether a pin is long-term; long-term pins of DAX
 * memory are only allowed under the pinning process's layout lease, so a
 * pinned range under a layout lease is listed as that holder's "pin", any
 * other busy range as "dax-dma".
 */
struct dax_scan {
	const struct filter *flt;
	struct json_object *refs;
	struct json_object *names;	/* "dev:ino" -> path of each file looked at */
	bool *seen;
	unsigned int files, skipped;
	struct json_object *skipped_names;	/* paths of the skipped files */
	bool failed;		/* a file's fdinfo could not be read (said) */
};

static struct dax_scan *scan;

/* A reference's byte range as collected: length null ("to the end") is UINT64_MAX. */
static void ref_range(struct json_object *o, uint64_t *off, uint64_t *len)
{
	struct json_object *v;

	*off = json_object_object_get_ex(o, "offset", &v) ? json_object_get_uint64(v) : 0;
	*len = !json_object_object_get_ex(o, "length", &v) ? 0 :
	       json_object_get_type(v) == json_type_null ? UINT64_MAX :
	       json_object_get_uint64(v);
}

/* The layout lease in refs that covers [off, off + len) of dev:ino. */
static struct json_object *lease_over(struct json_object *refs, const char *dev,
				      uint64_t ino, uint64_t off, uint64_t len)
{
	size_t i, n = json_object_array_length(refs);

	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(refs, i);
		uint64_t lo, ll;

		if (!ref_is(o, "layout-lease", dev, ino))
			continue;
		ref_range(o, &lo, &ll);
		if (off >= lo && (ll == UINT64_MAX || (ll >= off - lo && len <= ll - (off - lo))))
			return o;
	}
	return NULL;
}

/*
 * s[0, n) with every byte that is not printable ASCII, and '\', as \xHH
 * (nfsd's form); NULL when out of memory. File names, commands and the
 * like are whoever made them's: none of it may reach a terminal raw.
 */
static char *hex_escape(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	char *out, *w;
	size_t len = 1;

	for (; p < e; p++)
		len += *p < 0x20 || *p > 0x7e || *p == '\\' ? 4 : 1;
	out = malloc(len);
	if (!out)
		return NULL;
	for (p = (const unsigned char *)s, w = out; p < e; p++) {
		if (*p < 0x20 || *p > 0x7e || *p == '\\')
			w += sprintf(w, "\\x%02x", *p);
		else
			*w++ = *p;
	}
	*w = '\0';
	return out;
}

/* Says that an fdinfo could not be read: the DAX references of path are not known. */
static void dax_fail(const char *fdinfo, int err, const char *path)
{
	char *name = hex_escape(path, strlen(path));

	lc_err("%s: %s: the DAX DMA references and pins of %s are not known", fdinfo,
	       strerror(err), name ? name : "a file");
	free(name);
	scan->failed = true;
}

static void dax_file(const char *path, int fd, const struct stat *st)
{
	char p[PATH_MAX], dev[32], key[64], *line = NULL;
	unsigned int maj = major(st->st_dev), min = minor(st->st_dev);
	size_t cap = 0;
	FILE *fp;
	int r;

	if (!match(scan->flt, maj, min, st->st_ino))
		return;
	lc_path(p, sizeof(p), "/proc/self/fdinfo/%d", fd);
	fp = fopen(p, "re");
	if (!fp) {
		if (errno != ENOENT)	/* none: a kernel that shows no fdinfo */
			dax_fail(p, errno, path);
		return;
	}
	scan->files++;
	snprintf(dev, sizeof(dev), "%02x:%02x", maj, min);
	snprintf(key, sizeof(key), "%s:%llu", dev, (unsigned long long)st->st_ino);
	json_object_object_add(scan->names, key, json_object_new_string(path));
	while ((r = next_line(fp, &line, &cap)) > 0) {
		unsigned long long off, len;
		struct json_object *o, *f, *lease, *h;
		char how[8];

		if (!strncmp(line, "dax_busy_pages:", 15)) {
			*scan->seen = true;
			continue;
		}
		if (sscanf(line, "dax_busy: %llu %llu %7s", &off, &len, how) != 3)
			continue;
		lease = strcmp(how, "pin") ? NULL :
			lease_over(scan->refs, dev, st->st_ino, off, len);
		o = json_object_new_object();
		json_object_object_add(o, "kind", json_object_new_string(lease ? "pin" : "dax-dma"));
		f = file_obj(maj, min, st->st_ino);
		json_object_object_add(f, "name", json_object_new_string(path));
		json_object_object_add(o, "file", f);
		json_object_object_add(o, "offset", json_object_new_uint64(off));
		json_object_object_add(o, "length", json_object_new_uint64(len));
		json_object_object_add(o, "references", json_object_new_string(how));
		if (lease && json_object_object_get_ex(lease, "holder", &h))
			json_object_object_add(o, "holder", json_object_get(h));
		json_object_array_add(scan->refs, o);
	}
	if (r < 0)
		dax_fail(p, -r, path);
	free(line);
	fclose(fp);
}

/*
 * Does someone hold a lease or delegation on the inode that a read-only
 * open breaks (a write lease, a write delegation: a Samba oplock is one),
 * as /proc/locks listed them into refs?
 */
static bool write_leased(const struct stat *st)
{
	size_t i, n = json_object_array_length(scan->refs);
	char dev[32];

	snprintf(dev, sizeof(dev), "%02x:%02x", major(st->st_dev), minor(st->st_dev));
	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(scan->refs, i);

		if ((ref_is(o, "lease", dev, st->st_ino) || ref_is(o, "delegation", dev, st->st_ino)) &&
		    !strcmp(jstr(o, "type"), "WRITE"))
			return true;
	}
	return false;
}

static void dax_skip(const char *path)
{
	scan->skipped++;
	/* an object, so that a name escaped for JSON carries its flag */
	if (scan->skipped_names) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(path));
		json_object_array_add(scan->skipped_names, o);
	}
}

/*
 * Open without breaking anyone's lease, and nothing but the regular file
 * looked at. Even an O_NONBLOCK open starts the break of a lease it
 * conflicts with (the holder is told to give it up) before it fails, so a
 * file /proc/locks shows a write lease or delegation on is not opened at
 * all; O_NONBLOCK covers one taken since, and that file is skipped too.
 * Skipped files are named. NAME is first opened O_PATH (which opens
 * nothing, breaks nothing) relative to DFD, checked to be the regular
 * file @seen, and only then opened for reading, through that descriptor:
 * a name swapped meanwhile for a device node or a link is never opened.
 */
static void dax_open_at(int dfd, const char *name, const char *path, const struct stat *seen)
{
	char proc[64];
	struct stat st;
	int pfd, fd, e;

	if (write_leased(seen)) {
		dax_skip(path);
		return;
	}
	pfd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (pfd < 0)
		return;
	if (fstat(pfd, &st) || !S_ISREG(st.st_mode) || st.st_dev != seen->st_dev ||
	    st.st_ino != seen->st_ino) {
		close(pfd);
		return;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
	fd = open(proc, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = open(proc, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	e = errno;
	close(pfd);
	if (fd < 0) {
		if (e == EWOULDBLOCK)
			dax_skip(path);
		else if (e == ENOENT)	/* no /proc: no file can be looked at */
			dax_fail(proc, e, path);
		return;
	}
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) && st.st_ino == seen->st_ino)
		dax_file(path, fd, &st);
	close(fd);
}

/* The file named on the command line (resolved: no link in its path). */
static void dax_open(const char *path)
{
	struct stat st;

	if (!lstat(path, &st) && S_ISREG(st.st_mode))
		dax_open_at(AT_FDCWD, path, path, &st);
}

#define DAX_MAX_DEPTH 256

/*
 * The regular files under the directory DFD (named PATH, of device DEV),
 * not crossing into other filesystems. Each directory is opened from its
 * parent by name without following links and checked to be the directory
 * looked at, and each file from its directory (dax_open_at()): a directory
 * swapped for a link while the walk runs leads nowhere outside the tree.
 * Takes DFD.
 */
static void dax_dir(int dfd, const char *path, dev_t dev, int depth)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;

	if (!d) {
		close(dfd);
		return;
	}
	while ((de = readdir(d))) {
		char sub[PATH_MAX];
		struct stat st, dst;
		int fd;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) || st.st_dev != dev)
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) >= sizeof(sub))
			continue;
		if (S_ISREG(st.st_mode) && st.st_size > 0) {
			dax_open_at(dirfd(d), de->d_name, sub, &st);
		} else if (S_ISDIR(st.st_mode) && depth < DAX_MAX_DEPTH) {
			fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
				    O_NONBLOCK | O_CLOEXEC);
			if (fd < 0)
				continue;
			if (fstat(fd, &dst) || dst.st_dev != st.st_dev || dst.st_ino != st.st_ino) {
				close(fd);
				continue;
			}
			dax_dir(fd, sub, dev, depth + 1);
		}
	}
	closedir(d);
}

/* The walk of a directory named by its resolved path (or a mount point). */
static void dax_tree(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return;
	if (fstat(fd, &st)) {
		close(fd);
		return;
	}
	dax_dir(fd, path, st.st_dev, 0);
}

/* A mountinfo path as the kernel escapes it (space \040, tab, newline, \\). */
static void unescape_octal(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

/*
 * PATH a file: that file. A directory: the regular files under it on the
 * same filesystem. Nothing: every XFS mounted with dax=always (files of a
 * dax=inode mount are looked at when it is named). Returns 0, or LC_EFAIL
 * when mountinfo or a file's fdinfo could not be read (said); *skipped
 * files were not looked at.
 */
static int list_dax(const struct filter *flt, const char *path, bool is_dir,
		    struct json_object *refs, struct json_object *names, bool *seen,
		    unsigned int *skipped, struct json_object *skipped_names)
{
	struct dax_scan s = { .flt = flt, .refs = refs, .names = names, .seen = seen,
			      .skipped_names = skipped_names };
	char p[PATH_MAX], *line = NULL;
	size_t cap = 0;
	FILE *fp;
	int r = 0;

	scan = &s;
	if (path && !is_dir) {
		dax_open(path);
	} else if (path) {
		dax_tree(path);
	} else {
		lc_path(p, sizeof(p), "/proc/self/mountinfo");
		fp = fopen(p, "re");
		if (!fp && errno != ENOENT)
			r = -errno;
		while (fp && (r = next_line(fp, &line, &cap)) > 0) {
			char mnt[PATH_MAX], fstype[32], *sep = strstr(line, " - ");

			/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS ... - TYPE SOURCE SUPEROPTS */
			if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
			    sscanf(sep, " - %31s", fstype) != 1 || strcmp(fstype, "xfs") ||
			    !strstr(sep, "dax=always"))
				continue;
			unescape_octal(mnt);
			dax_tree(mnt);
		}
		if (r < 0)
			lc_err("%s: %s: the DAX mounts, and their DMA references and pins, are not known",
			       p, strerror(-r));
		if (fp)
			fclose(fp);
		free(line);
	}
	scan = NULL;
	*skipped = s.skipped;
	return r < 0 || s.failed ? LC_EFAIL : 0;
}

/*
 * Leases and delegations come from /proc/locks, which knows inodes, not
 * names: give them the path the DAX walk opened the inode by, or else the
 * name of the first other reference to the same inode that has one. The
 * names are indexed by "dev:ino" first: two passes over refs, not one for
 * each reference without a name.
 */
static void fill_names(struct json_object *refs, struct json_object *names)
{
	struct json_object *named = json_object_new_object();
	size_t i, n = json_object_array_length(refs);
	int pass;

	for (pass = 0; pass < 2 && named; pass++) {
		for (i = 0; i < n; i++) {
			struct json_object *f, *g, *v;
			char key[64];

			/* the named ones first, then those without a name */
			if (!json_object_object_get_ex(json_object_array_get_idx(refs, i),
						       "file", &f) ||
			    !json_object_object_get_ex(f, "ino", &v) ||
			    (pass ? *jstr(f, "name") : !*jstr(f, "name")))
				continue;
			snprintf(key, sizeof(key), "%s:%llu", jstr(f, "dev"),
				 (unsigned long long)json_object_get_uint64(v));
			if (!pass) {
				/* the first name of each inode */
				if (!json_object_object_get_ex(named, key, NULL) &&
				    json_object_object_get_ex(f, "name", &g) &&
				    json_object_object_add(named, key, json_object_get(g)))
					json_object_put(g);
				continue;
			}
			if (json_object_object_get_ex(names, key, &g) ||
			    json_object_object_get_ex(named, key, &g))
				json_object_object_add(f, "name", json_object_get(g));
		}
	}
	json_object_put(named);
}

/* The pmem namespace behind a block device, through libndctl. */
static struct json_object *device_info(unsigned int maj, unsigned int min)
{
	struct json_object *o = json_object_new_object();
	struct ndctl_ctx *ctx;
	struct ndctl_bus *bus;
	char p[PATH_MAX], link[PATH_MAX], *name;
	ssize_t n;

	snprintf(p, sizeof(p), "%s/sys/dev/block/%u:%u", lc_root(), maj, min);
	n = readlink(p, link, sizeof(link) - 1);
	if (n < 0)
		return o;
	link[n] = '\0';
	name = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
	json_object_object_add(o, "block_device", json_object_new_string(name));
	if (*lc_root() || ndctl_new(&ctx))
		return o;
	ndctl_bus_foreach(ctx, bus) {
		struct ndctl_region *region;

		ndctl_region_foreach(bus, region) {
			struct ndctl_namespace *ndns;

			ndctl_namespace_foreach(region, ndns) {
				const char *bdev = ndctl_namespace_get_block_device(ndns);
				enum ndctl_namespace_mode mode;
				const char *m;

				if (!bdev || strcmp(bdev, name))
					continue;
				mode = ndctl_namespace_get_mode(ndns);
				m = mode == NDCTL_NS_MODE_FSDAX ? "fsdax" :
				    mode == NDCTL_NS_MODE_DEVDAX ? "devdax" :
				    mode == NDCTL_NS_MODE_RAW ? "raw" :
				    mode == NDCTL_NS_MODE_SECTOR ? "sector" : "unknown";
				json_object_object_add(o, "namespace", json_object_new_string(
					ndctl_namespace_get_devname(ndns)));
				json_object_object_add(o, "mode", json_object_new_string(m));
			}
		}
	}
	ndctl_unref(ctx);
	return o;
}

static const char list_usage[] =
"usage: layoutctl list [PATH|MOUNTPOINT] [--json | --output COL,... --raw --noheadings]\n"
"Every external reference to the block layout of PATH (a file), of the files\n"
"of MOUNTPOINT (a directory: its whole filesystem), or of every file: pNFS\n"
"layouts by client, layout leases, delegations and leases, DAX DMA references\n"
"and long-term pins, with their byte ranges. --output picks the table's\n"
"columns (KIND FILE HOLDER RANGE STATE by default; also OFFSET LENGTH DEV\n"
"INO); --json prints everything as one JSON object.\n";

/* For the table: b's text as hex_escape() gives it; b is freed. */
static char *printable(struct sbuf *b)
{
	char *out = b->oom ? NULL : hex_escape(b->s ? b->s : "", b->len);

	free(b->s);
	return out;
}

/*
 * For a --raw table: b's text as it is, which libsmartcols escapes itself
 * there (what is not printable ASCII, a space included, as \xHH, and a
 * backslash before an x as \x5c), as lsblk -r does; b is taken.
 */
static char *raw_text(struct sbuf *b)
{
	char *out = b->oom ? NULL : b->s ? b->s : strdup("");

	if (!out)
		free(b->s);
	return out;
}

/*
 * Whether s[0, n) is text a JSON document may hold as it is: well-formed
 * UTF-8 (no overlong form, surrogate or code point past U+10FFFF), without
 * DEL, C1 controls, the bidirectional marks, overrides and isolates
 * (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069) that make
 * text display otherwise than it reads, the invisible ones (U+200B to
 * U+200D, U+2060 to U+2064, U+FEFF), or the line and paragraph separators
 * U+2028 and U+2029, which end a line for some readers of JSON Lines.
 * C0 controls are fine: json-c writes them as \u00HH.
 */
static bool invisible_or_bidi(uint32_t cp)
{
	return cp == 0x061c || (cp >= 0x200b && cp <= 0x200f) ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2069) ||
	       cp == 0xfeff;
}

static bool json_text_ok(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, k, len;
	uint32_t cp, min;

	while (i < n) {
		if (s[i] < 0x80) {
			if (s[i++] == 0x7f)
				return false;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf)
			len = 2;
		else if (s[i] >= 0xe0 && s[i] <= 0xef)
			len = 3;
		else if (s[i] >= 0xf0 && s[i] <= 0xf4)
			len = 4;
		else
			return false;	/* a continuation byte, or no lead byte at all */
		cp = s[i] & (0x7f >> len);
		min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
		if (n - i < len)
			return false;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp <= 0x9f ||
		    invisible_or_bidi(cp))
			return false;
		i += len;
	}
	return true;
}

/* v, a string that json_text_ok() refuses, as hex_escape() writes it. */
static struct json_object *json_escaped(struct json_object *v)
{
	char *e = hex_escape(json_object_get_string(v), json_object_get_string_len(v));
	struct json_object *o = e ? json_object_new_string(e) : NULL;

	free(e);
	return o;
}

struct escaped_key {
	const char *key;	/* the object's own */
	char *flag;		/* KEY_escaped */
};

/*
 * Every string in o that json_text_ok() refuses becomes its \xHH form, as
 * the table shows it, and gets a sibling KEY_escaped: true in its object:
 * the document is UTF-8 that strict parsers take, and says which strings
 * to decode. 0 or -ENOMEM.
 */
static int json_escape_strings(struct json_object *o)
{
	struct escaped_key *bad = NULL, *nb;
	size_t i, n, nbad = 0;
	int err = 0;

	if (json_object_is_type(o, json_type_array)) {
		n = json_object_array_length(o);
		for (i = 0; i < n && !err; i++) {
			struct json_object *v = json_object_array_get_idx(o, i), *e;

			if (!json_object_is_type(v, json_type_string)) {
				err = json_escape_strings(v);
			} else if (!json_text_ok(json_object_get_string(v),
						 json_object_get_string_len(v))) {
				e = json_escaped(v);
				if (!e || json_object_array_put_idx(o, i, e)) {
					json_object_put(e);
					err = -ENOMEM;
				}
			}
		}
		return err;
	}
	if (!json_object_is_type(o, json_type_object))
		return 0;
	/* the object's table is changed only once it is no longer walked */
	json_object_object_foreach(o, k, v) {
		if (!json_object_is_type(v, json_type_string)) {
			err = json_escape_strings(v);
			if (err)
				break;
			continue;
		}
		if (json_text_ok(json_object_get_string(v), json_object_get_string_len(v)))
			continue;
		nb = reallocarray(bad, nbad + 1, sizeof(*bad));
		if (!nb || asprintf(&nb[nbad].flag, "%s_escaped", k) < 0) {
			bad = nb ? nb : bad;
			err = -ENOMEM;
			break;
		}
		bad = nb;
		bad[nbad++].key = k;
	}
	/* replacing a value leaves the keys where they are: add the flags after */
	for (i = 0; i < nbad && !err; i++) {
		struct json_object *v, *e;

		json_object_object_get_ex(o, bad[i].key, &v);
		e = json_escaped(v);
		if (!e || json_object_object_add(o, bad[i].key, e)) {
			json_object_put(e);
			err = -ENOMEM;
		}
	}
	for (i = 0; i < nbad; i++) {
		if (!err && json_object_object_add(o, bad[i].flag, json_object_new_boolean(1)))
			err = -ENOMEM;
		free(bad[i].flag);
	}
	free(bad);
	return err;
}

enum { COL_KIND, COL_FILE, COL_HOLDER, COL_RANGE, COL_STATE, COL_OFFSET, COL_LENGTH,
       COL_DEV, COL_INO, NCOLS };

static const struct lc_col list_cols[NCOLS] = {
	[COL_KIND] = { "KIND", "pnfs-layout, layout-lease, lease, delegation, pin, dax-dma", 0.1, 0, true },
	[COL_FILE] = { "FILE", "the file's name, or DEV:INO", 0.3, 0, true },
	[COL_HOLDER] = { "HOLDER", "client (address, clientid, user) or pid and command", 0.3, 0, true },
	[COL_RANGE] = { "RANGE", "OFFSET:LENGTH ranges held", 0.2, 0, true },
	[COL_STATE] = { "STATE", "client status, recall, fence; lease state; pinned", 0.2, 0, true },
	[COL_OFFSET] = { "OFFSET", "first byte (one range)", 0.1, SCOLS_FL_RIGHT, false },
	[COL_LENGTH] = { "LENGTH", "bytes, or \"end\" (one range)", 0.1, SCOLS_FL_RIGHT, false },
	[COL_DEV] = { "DEV", "the file's device, MAJ:MIN in hex", 0.1, 0, false },
	[COL_INO] = { "INO", "the file's inode number", 0.1, SCOLS_FL_RIGHT, false },
};

/* The table's cells for one reference, each freed by the caller; -ENOMEM. */
static int table_row(struct json_object *o, const char *path, bool raw, char *cell[NCOLS])
{
	struct sbuf b[NCOLS] = { 0 };
	struct json_object *f = NULL, *h, *c;
	bool unparsed = json_object_object_get_ex(o, "unparsed", &h);
	uint64_t off, len;
	char rt[64];
	int i, err = 0;

	json_object_object_get_ex(o, "file", &f);
	sb_add(&b[COL_KIND], "%s", jstr(o, "kind"));
	if (unparsed && !*jstr(f, "dev"))
		sb_add(&b[COL_FILE], "(not known)");
	else if (path)
		sb_add(&b[COL_FILE], "%s", path);
	else if (*jstr(f, "name"))
		sb_add(&b[COL_FILE], "%s", jstr(f, "name"));
	else
		sb_add(&b[COL_FILE], "%s:%s", jstr(f, "dev"), jstr(f, "ino"));
	sb_add(&b[COL_DEV], "%s", jstr(f, "dev"));
	sb_add(&b[COL_INO], "%s", jstr(f, "ino"));
	ref_range(o, &off, &len);
	if (json_object_object_get_ex(o, "client", &c)) {
		/* Who the client is: its GSS principal, or else its user. */
		const char *who = *jstr(c, "principal") ? jstr(c, "principal") : jstr(c, "user");

		sb_add(&b[COL_HOLDER], "%s %s%s%s", jstr(c, "address"),
		       jstr(c, "clientid"), *who ? " " : "", who);
		sb_add(&b[COL_RANGE], "%s", *jstr(o, "ranges_text") ? jstr(o, "ranges_text") :
		       unparsed ? "(not known)" :
		       json_object_object_get_ex(o, "segments", &h) ? "(none)" : "(whole file)");
		sb_add(&b[COL_STATE], "%s%s%s%s%s%s%s%s", jstr(c, "status"),
		       *jstr(o, "recall_text") ? ", recalling " : "",
		       jstr(o, "recall_text"),
		       json_object_object_get_ex(o, "fence_failed", &h) ?
		       ", FENCE FAILED" : "",
		       json_object_object_get_ex(o, "admin_revoked", &h) ?
		       ", admin-revoked" : "",
		       *jstr(o, "age") ? ", age " : "", jstr(o, "age"),
		       unparsed ? ", UNPARSED states line" : "");
	} else {
		if (json_object_object_get_ex(o, "holder", &h))
			sb_add(&b[COL_HOLDER], "pid %s %s", jstr(h, "pid"), jstr(h, "command"));
		range_text(rt, sizeof(rt), off, len);
		sb_add(&b[COL_RANGE], "%s", rt);
		if (*jstr(o, "references"))
			sb_add(&b[COL_STATE], "%s", !strcmp(jstr(o, "references"), "pin") ?
			       "pinned" : "referenced");
		else
			sb_add(&b[COL_STATE], "%s%s%s", jstr(o, "state"),
			       *jstr(o, "type") ? " " : "", jstr(o, "type"));
	}
	/* one range: its numbers (a layout's segments are in RANGE) */
	if (json_object_object_get_ex(o, "offset", &h)) {
		sb_add(&b[COL_OFFSET], "%llu", (unsigned long long)off);
		if (len == UINT64_MAX)
			sb_add(&b[COL_LENGTH], "end");
		else
			sb_add(&b[COL_LENGTH], "%llu", (unsigned long long)len);
	}
	for (i = 0; i < NCOLS; i++) {
		cell[i] = raw ? raw_text(&b[i]) : printable(&b[i]);
		if (!cell[i])
			err = -ENOMEM;
	}
	return err;
}

static int print_table(struct lc_table *t, struct json_object *refs, const char *path,
		       const struct lc_table_opts *topts)
{
	size_t i, n = json_object_array_length(refs);
	int err = 0, j;

	for (i = 0; i < n && !err; i++) {
		char *cell[NCOLS];

		err = table_row(json_object_array_get_idx(refs, i), path, topts->raw, cell);
		if (!err)
			err = lc_table_row(t, (const char *const *)cell);
		for (j = 0; j < NCOLS; j++)
			free(cell[j]);
	}
	if (!err)
		err = lc_table_print(t);
	if (!err && !n && !topts->noheadings && !topts->raw)
		printf("(no external layout references)\n");
	return err ? LC_EFAIL : 0;
}

/* The JSON document of list --json; its shape is given by its version. */
#define LIST_JSON_VERSION 1

static struct json_object *list_json(const char *path, struct json_object *dev,
				     struct json_object *refs, const bool seen[3],
				     unsigned int skipped, struct json_object *skipped_names)
{
	struct json_object *top = json_object_new_object(), *src = json_object_new_object();

	json_object_object_add(top, "version", json_object_new_int(LIST_JSON_VERSION));
	if (path)
		json_object_object_add(top, "path", json_object_new_string(path));
	if (dev)
		json_object_object_add(top, "device", json_object_get(dev));
	json_object_object_add(src, "nfsd", json_object_new_boolean(seen[0]));
	json_object_object_add(src, "locks", json_object_new_boolean(seen[1]));
	json_object_object_add(src, "dax_fdinfo", json_object_new_boolean(seen[2]));
	json_object_object_add(src, "dax_skipped", json_object_new_int(skipped));
	json_object_object_add(src, "dax_skipped_files", json_object_get(skipped_names));
	json_object_object_add(top, "sources", src);
	json_object_object_add(top, "references", json_object_get(refs));
	return top;
}

/* Prints top, pretty or on one line (JSON Lines), its strings made safe
 * first, and flushes it; 0, or LC_EFAIL (said). */
int lc_print_json(struct json_object *top, bool pretty)
{
	const char *out;

	/*
	 * json-c escapes quotes, backslashes and C0 controls: names cannot
	 * break out of their strings. Those that are not UTF-8, or hold what
	 * displays otherwise than it reads, are \xHH.
	 */
	out = json_escape_strings(top) ? NULL :
	      json_object_to_json_string_ext(top, (pretty ? JSON_C_TO_STRING_PRETTY :
						   JSON_C_TO_STRING_PLAIN) |
					     JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!out) {
		lc_err("out of memory");
		return LC_EFAIL;
	}
	if (puts(out) == EOF || fflush(stdout) == EOF) {
		lc_err("standard output: %s", strerror(errno));
		return LC_EFAIL;
	}
	return 0;
}

/* The device line above the table, and what list says below it. */
static void table_notes(struct json_object *dev, unsigned int skipped, bool s_dax, bool before)
{
	if (before) {
		if (dev && *jstr(dev, "block_device"))
			printf("device %s%s%s%s%s\n", jstr(dev, "block_device"),
			       *jstr(dev, "namespace") ? ": " : "", jstr(dev, "namespace"),
			       *jstr(dev, "mode") ? " mode " : "", jstr(dev, "mode"));
		return;
	}
	if (skipped)
		printf("(DAX DMA references and pins: %u file%s not looked at: opening %s would break a lease or delegation; --json names %s)\n",
		       skipped, skipped == 1 ? "" : "s", skipped == 1 ? "it" : "them",
		       skipped == 1 ? "it" : "them");
	else if (!s_dax)
		printf("(DAX DMA references and pins: no DAX file looked at, or not reported by this kernel)\n");
}

/*
 * PATH as the filter of what to list: the inode of a file, the device of
 * a directory; *real is where the DAX walk starts (a symbolic link named
 * on the command line is followed, as stat() did). Returns 0 or an exit.
 */
static int list_target(const char *path, struct filter *flt, bool *is_dir, char **real,
		       struct json_object **dev)
{
	struct stat st;

	if (stat(path, &st)) {
		lc_err("%s: %s", path, strerror(errno));
		return errno == ENOENT ? LC_ENOENT : LC_EFAIL;
	}
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		lc_err("%s: not a regular file or a directory", path);
		return LC_EUSAGE;
	}
	*real = realpath(path, NULL);
	if (!*real) {
		lc_err("%s: %s", path, strerror(errno));
		return LC_EFAIL;
	}
	flt->any = false;
	*is_dir = S_ISDIR(st.st_mode);
	flt->by_ino = !*is_dir;
	flt->maj = major(st.st_dev);
	flt->min = minor(st.st_dev);
	flt->ino = st.st_ino;
	*dev = device_info(flt->maj, flt->min);
	return 0;
}

int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ "raw", no_argument, NULL, 'r' },
		{ "noheadings", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct json_object *refs, *names, *dev = NULL, *skipped_names, *top;
	struct lc_table_opts topts = { 0 };
	struct filter flt = { .any = true };
	struct lc_table *t = NULL;
	bool json = false, seen[3] = { false }, is_dir = false;
	unsigned int skipped;
	const char *path = NULL;
	char *real = NULL;
	int c, ret;

	while ((c = lc_getopt(argc, argv, "jo:rnh", opts)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'o': topts.output = optarg; break;
		case 'r': topts.raw = true; break;
		case 'n': topts.noheadings = true; break;
		case 'h': fputs(list_usage, stdout); return LC_OK;
		default: return LC_EUSAGE;
		}
	}
	if (argc - optind > 1)
		return lc_usage_error("one PATH at most");
	if (json && (topts.output || topts.raw || topts.noheadings))
		return lc_usage_error("--json prints every field: no --output, --raw or --noheadings with it");
	if (!json) {
		t = lc_table_new(list_cols, NCOLS, &topts);
		if (!t)
			return lc_try_help();
	}
	if (argc - optind == 1) {
		path = argv[optind];
		ret = list_target(path, &flt, &is_dir, &real, &dev);
		if (ret) {
			lc_table_free(t);
			return ret;
		}
	}
	refs = json_object_new_array();
	/* A states file that cannot be read: what was read is listed, exit 1. */
	ret = lc_collect_nfsd(&flt, refs, &seen[0]);
	/* /proc/locks or a DAX file's fdinfo that cannot be read: the same */
	if (list_locks(&flt, refs, &seen[1]))
		ret = LC_EFAIL;
	names = json_object_new_object();
	skipped_names = json_object_new_array();
	if (list_dax(&flt, real, is_dir, refs, names, &seen[2], &skipped, skipped_names))
		ret = LC_EFAIL;
	fill_names(refs, names);
	json_object_put(names);
	if (json) {
		top = list_json(path, dev, refs, seen, skipped, skipped_names);
		if (lc_print_json(top, true))
			ret = LC_EFAIL;
		json_object_put(top);
	} else {
		if (!topts.raw && !topts.noheadings)
			table_notes(dev, skipped, seen[2], true);
		if (print_table(t, refs, flt.by_ino ? path : NULL, &topts)) {
			lc_err("out of memory");
			ret = LC_EFAIL;
		}
		if (!topts.raw && !topts.noheadings)
			table_notes(dev, skipped, seen[2], false);
		lc_table_free(t);
	}
	json_object_put(refs);
	json_object_put(skipped_names);
	if (dev) {
		if (*jstr(dev, "mode") && strcmp(jstr(dev, "mode"), "fsdax"))
			lc_err("warning: %s is in %s mode, not fsdax: no DAX", jstr(dev,
			       "block_device"), jstr(dev, "mode"));
		json_object_put(dev);
	}
	free(real);
	return ret;
}
