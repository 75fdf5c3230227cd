/* errand: a terminal mail user agent. See LICENSE.
 * Folder view model: the cache's rows copied into one array of records and
 * one string arena, interned per folder for the repeated senders. */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/model.h"
#include "xmalloc.h"
#include "cache/store.h"

_Static_assert(MODEL_FLAG_SEEN == STORE_FLAG_SEEN &&
        MODEL_FLAG_ANSWERED == STORE_FLAG_ANSWERED &&
        MODEL_FLAG_FLAGGED == STORE_FLAG_FLAGGED &&
        MODEL_FLAG_DELETED == STORE_FLAG_DELETED,
    "the model's flags are the cache's");

#define MODEL_INTERN_BITS 14 /* 16384 buckets for repeated strings */

struct model {
	struct model_msg *msgs;
	size_t n, cap;
	char *arena;
	size_t alen, acap;
	uint32_t *intern; /* arena offset + 1 of recent strings, by hash */
	char *err;
};

static uint32_t model_add_str(struct model *, const char *);
static int model_load_cb(const struct store_msg *, void *);
static int model_cmp_from(const void *, const void *, void *);
static int model_cmp_subject(const void *, const void *, void *);
static int model_cmp_size(const void *, const void *, void *);
static int model_cmp_uid(const void *, const void *, void *);
static int model_cmp_date(const void *, const void *, void *);

/* Copy s into the arena, sharing one copy of a string seen just before in
 * the same hash bucket (senders repeat). Offset 0 is always "". */
static uint32_t
model_add_str(struct model *m, const char *s)
{
	size_t len = strlen(s), h = 5381, i;
	uint32_t off;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		h = h * 33 + (unsigned char)s[i];
	h &= (1u << MODEL_INTERN_BITS) - 1;
	if (m->intern[h] != 0 && strcmp(m->arena + m->intern[h] - 1, s) == 0)
		return m->intern[h] - 1;
	if (m->alen + len + 1 > UINT32_MAX - 1)
		return 0; /* over 4 GiB of strings: show them empty */
	while (m->alen + len + 1 > m->acap) {
		m->acap *= 2;
		m->arena = xreallocarray(m->arena, m->acap, 1);
	}
	off = (uint32_t)m->alen;
	memcpy(m->arena + off, s, len + 1);
	m->alen += len + 1;
	m->intern[h] = off + 1;
	return off;
}

static int
model_load_cb(const struct store_msg *sm, void *arg)
{
	struct model *m = arg;
	struct model_msg *mm;

	if (sm->flags & STORE_FLAG_HIDDEN)
		return 0; /* moving away: gone from this folder's index */
	if (m->n == m->cap) {
		m->cap *= 2;
		m->msgs = xreallocarray(m->msgs, m->cap, sizeof *m->msgs);
	}
	mm = &m->msgs[m->n++];
	mm->uid = sm->uid;
	mm->flags = sm->flags;
	mm->date = sm->date != 0 ? sm->date : sm->internaldate;
	mm->size = sm->size > UINT32_MAX - 1
	    ? UINT32_MAX - 1
	    : (sm->size < 0 ? 0 : (uint32_t)sm->size);
	mm->from_addr = model_add_str(m, sm->from_addr);
	mm->from = *sm->from_name != '\0' ? model_add_str(m, sm->from_name)
	                                  : mm->from_addr;
	mm->subject = model_add_str(m, sm->subject);
	mm->to = model_add_str(m, sm->to_addr);
	mm->cc = model_add_str(m, sm->cc);
	mm->keywords = model_add_str(m, sm->keywords);
	mm->has_attachment = sm->has_attachment != 0;
	return 0;
}

struct model *
model_load(struct store *st, int64_t folder, char **err)
{
	struct model *m;

	*err = NULL;
	m = xcalloc(1, sizeof *m);
	m->cap = 1024;
	m->msgs = xreallocarray(NULL, m->cap, sizeof *m->msgs);
	m->acap = 64 * 1024;
	m->arena = xmalloc(m->acap);
	m->arena[0] = '\0';
	m->alen = 1;
	m->intern = xcalloc(1u << MODEL_INTERN_BITS, sizeof *m->intern);
	if (store_msg_foreach(st, folder, STORE_ORDER_DATE, model_load_cb, m) !=
	    0) {
		xasprintf(err, "%s", store_error(st));
		model_free(m);
		return NULL;
	}
	/* The hash table only serves loading. */
	free(m->intern);
	m->intern = NULL;
	return m;
}

void
model_set_flags(struct model *m, size_t i, uint32_t flags)
{
	if (i < m->n)
		m->msgs[i].flags = flags;
}

void
model_keep(
    struct model *m, int (*keep)(const struct model_msg *, void *), void *arg)
{
	size_t i, n = 0;

	for (i = 0; i < m->n; i++) {
		if (keep(&m->msgs[i], arg))
			m->msgs[n++] = m->msgs[i];
	}
	m->n = n;
}

long
model_find_uid(const struct model *m, uint32_t uid)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (m->msgs[i].uid == uid)
			return (long)i;
	}
	return -1;
}

void
model_free(struct model *m)
{
	if (m == NULL)
		return;
	free(m->msgs);
	free(m->arena);
	free(m->intern);
	free(m);
}

size_t
model_count(const struct model *m)
{
	return m->n;
}

const struct model_msg *
model_msg(const struct model *m, size_t i)
{
	if (i >= m->n)
		fatalx("%s: index %zu of %zu", __func__, i, m->n);
	return &m->msgs[i];
}

const char *
model_str(const struct model *m, uint32_t off)
{
	return off < m->alen ? m->arena + off : "";
}

static int
model_cmp_date(const void *a, const void *b, void *arg)
{
	const struct model_msg *x = a, *y = b;

	(void)arg;
	if (x->date != y->date)
		return x->date < y->date ? -1 : 1;
	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

static int
model_cmp_from(const void *a, const void *b, void *arg)
{
	const struct model_msg *x = a, *y = b;
	int c;

	c = strcasecmp(model_str(arg, x->from), model_str(arg, y->from));
	return c != 0 ? c : model_cmp_date(a, b, arg);
}

const char *
model_subject_base(const char *s)
{
	static const char *const pre[] = {
	    "re", "fwd", "fw", "aw", "sv", "wg", "vs", "antw"};
	const char *p;
	size_t i, n;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		for (i = 0; i < sizeof pre / sizeof *pre; i++) {
			n = strlen(pre[i]);
			if (strncasecmp(s, pre[i], n) == 0)
				break;
		}
		if (i == sizeof pre / sizeof *pre)
			return s;
		p = s + n;
		if (*p == '[' || *p == '(') {
			/* A count: "Re[2]:", "AW(3):". */
			char close = *p == '[' ? ']' : ')';

			for (p++; *p >= '0' && *p <= '9'; p++)
				;
			if (*p != close)
				return s;
			p++;
		}
		if (*p != ':')
			return s;
		s = p + 1;
	}
}

static int
model_cmp_subject(const void *a, const void *b, void *arg)
{
	const struct model_msg *x = a, *y = b;
	int c;

	c = strcasecmp(model_subject_base(model_str(arg, x->subject)),
	    model_subject_base(model_str(arg, y->subject)));
	return c != 0 ? c : model_cmp_date(a, b, arg);
}

static int
model_cmp_size(const void *a, const void *b, void *arg)
{
	const struct model_msg *x = a, *y = b;

	if (x->size != y->size)
		return x->size < y->size ? -1 : 1;
	return model_cmp_date(a, b, arg);
}

static int
model_cmp_uid(const void *a, const void *b, void *arg)
{
	const struct model_msg *x = a, *y = b;

	(void)arg;
	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

void
model_sort(struct model *m, enum model_sort key, int reverse)
{
	int (*cmp)(const void *, const void *, void *);
	struct model_msg t;
	size_t i;

	switch (key) {
	case MODEL_SORT_DATE:
		cmp = model_cmp_date;
		break;
	case MODEL_SORT_FROM:
		cmp = model_cmp_from;
		break;
	case MODEL_SORT_SUBJECT:
		cmp = model_cmp_subject;
		break;
	case MODEL_SORT_SIZE:
		cmp = model_cmp_size;
		break;
	case MODEL_SORT_UID:
		cmp = model_cmp_uid;
		break;
	default:
		fatalx("%s: bad key %d", __func__, key);
	}
	/* Every comparison ends on the UID, so qsort's order is total. */
	qsort_r(m->msgs, m->n, sizeof *m->msgs, cmp, m);
	if (reverse) {
		for (i = 0; i < m->n / 2; i++) {
			t = m->msgs[i];
			m->msgs[i] = m->msgs[m->n - 1 - i];
			m->msgs[m->n - 1 - i] = t;
		}
	}
}

size_t
model_memory(const struct model *m)
{
	return m->cap * sizeof *m->msgs + m->acap;
}
