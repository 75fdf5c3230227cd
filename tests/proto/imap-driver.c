/* errand: a terminal mail user agent. See LICENSE.
 * Test driver for the IMAP session (net/imap.c): connects with the options
 * given, logs in, then runs the steps asked for (list, select, fetch
 * headers, fetch flags, search, logout), then the commands given after
 * HOST PORT (body, store, copy, move, expunge, idle, noop, folder changes,
 * status, append; see usage()) and prints one line per result, so shell
 * tests against a scripted server or Dovecot can grep them. */

#include <sys/stat.h>

#include <ctype.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include <errno.h>

#include "xmalloc.h"
#include "net/conn.h"
#include "net/imap.h"
#include "net/plog.h"

static void usage(void);
static void next_step(void);
static void fail(const char *, enum imap_err, const char *);
static const char *err_name(enum imap_err);
static void connect_cb(struct imap *, enum imap_err, const char *, void *);
static void event_cb(struct imap *, const struct imap_event *, void *);
static void folder_cb(struct imap *, const struct imap_folder *, void *);
static void done_cb(struct imap *, enum imap_err, const char *, void *);
static void select_cb(struct imap *, enum imap_err, const char *,
    const struct imap_selected *, void *);
static void msg_cb(struct imap *, const struct imap_msg *, void *);
static void uids_cb(struct imap *, enum imap_err, const char *,
    const struct imap_uidset *, void *);
static void print_msg(const char *, const struct imap_msg *);
static void print_uidset(const char *, const struct imap_uidset *);
static char *read_password(const char *);
static char *subject_of(const char *, size_t);
static void next_cmd(void);
static char *mailbox_arg(const char *);
static unsigned int flag_arg(const char *);
static void part_cb(struct imap *, enum imap_err, const char *,
    const struct imap_part *, void *);
static void body_cb(struct imap *, enum imap_err, const char *,
    const struct imap_body *, void *);
static void store_cb(struct imap *, enum imap_err, const char *,
    const struct imap_uidset *, void *);
static void copy_cb(struct imap *, enum imap_err, const char *,
    const struct imap_copied *, void *);
static void status_cb(struct imap *, enum imap_err, const char *,
    const struct imap_status *, void *);
static void append_cb(
    struct imap *, enum imap_err, const char *, uint32_t, uint32_t, void *);
static void cmd_done_cb(struct imap *, enum imap_err, const char *, void *);
static void append_file(const char *, const char *, const char *, const char *);
static void timer_cb(evutil_socket_t, short, void *);

static struct event_base *base;
static struct imap *im;
static const char *steps = "lsfFuo";
static const char *mailbox = "INBOX";
static struct imap_select_params sp;
static uint64_t changedsince;
static uint32_t fetch_lo = 1, fetch_hi;
static int status = 0;
static char **cmds;           /* commands after HOST PORT */
static const char *body_path; /* where "body" writes the bytes */
static struct event *timer;   /* "waitfor" deadline, "pause" */
static const char *wait_kind; /* "waitfor": event kind awaited */
static unsigned long wait_count;
static unsigned long seen_exists, seen_gone, seen_fetch;

static void
usage(void)
{
	fprintf(stderr,
	    "usage: imap-driver [-S] [-P] [-M MECH] [-a CA] [-d LOG] [-i CAPS] "
	    "[-L] "
	    "[-u USER] [-p PWFILE]\n"
	    "    [-m MAILBOX] [-Q UIDVALIDITY:MODSEQ[:UIDS]] [-C MODSEQ] "
	    "[-r LO:HI]\n"
	    "    [-x STEPS] [-t SECONDS] [-R SECONDS] HOST PORT [COMMAND...]\n"
	    "  -S  plain port with STARTTLS (default: imaps)\n"
	    "  -i  capabilities to ignore, comma-separated: QRESYNC,"
	    "CONDSTORE,LIST-EXTENDED,LIST-STATUS,ESEARCH,SASL-IR,"
	    "AUTH=PLAIN,LITERAL+,ENABLE,UTF8=ACCEPT\n"
	    "  -L  the LOGIN command rather than AUTHENTICATE\n"
	    "  -P  plain port without STARTTLS\n"
	    "  -M  SASL mechanism (auto, plain, scram-sha-256...); prints "
	    "auth=MECH\n"
	    "  -x  steps: l list, s select, f fetch headers, F fetch flags, "
	    "u search uids, o logout (default lsfFuo)\n"
	    "  -R  seconds before IDLE is renewed\n"
	    "commands, run after the steps (NAME: a UTF-8 folder name;\n"
	    "FLAGS: letters S A F D T, or -; MODE: + - =):\n"
	    "  body UID MAX FILE | part UID SECTION FILE\n"
	    "  store SET MODE FLAGS KEYWORDS|- MODSEQ\n"
	    "  copy SET NAME | move SET NAME | expunge SET|- | noop\n"
	    "  idle | idle-stop | waitfor exists|gone|fetch COUNT SECONDS\n"
	    "  pause SECONDS | create NAME | delete NAME | rename OLD NEW\n"
	    "  subscribe NAME | unsubscribe NAME | status NAME\n"
	    "  append NAME FLAGS FILE | logout\n"
	    "  appendfile NAME FLAGS FILE =|shrink|grow (streamed from FILE,\n"
	    "      which is then left alone, cut to half or grown by a "
	    "line)\n");
	exit(2);
}

static unsigned int
cap_bits(const char *s)
{
	static const struct {
		const char *name;
		unsigned int bit;
	} caps[] = {
	    {"QRESYNC", IMAP_CAP_QRESYNC},
	    {"CONDSTORE", IMAP_CAP_CONDSTORE},
	    {"LIST-EXTENDED", IMAP_CAP_LIST_EXTENDED},
	    {"LIST-STATUS", IMAP_CAP_LIST_STATUS},
	    {"SPECIAL-USE", IMAP_CAP_SPECIAL_USE},
	    {"ESEARCH", IMAP_CAP_ESEARCH},
	    {"SASL-IR", IMAP_CAP_SASL_IR},
	    {"AUTH=PLAIN", IMAP_CAP_AUTH_PLAIN},
	    {"LITERAL+", IMAP_CAP_LITERALPLUS},
	    {"LITERAL-", IMAP_CAP_LITERALMINUS},
	    {"ENABLE", IMAP_CAP_ENABLE},
	    {"UTF8=ACCEPT", IMAP_CAP_UTF8_ACCEPT},
	    {"IMAP4REV2", IMAP_CAP_IMAP4REV2},
	    {"IDLE", IMAP_CAP_IDLE},
	    {"MOVE", IMAP_CAP_MOVE},
	    {"UIDPLUS", IMAP_CAP_UIDPLUS},
	};
	unsigned int bits = 0;
	size_t i, n;

	while (*s != '\0') {
		n = strcspn(s, ",");
		for (i = 0; i < sizeof caps / sizeof caps[0]; i++) {
			if (strlen(caps[i].name) == n &&
			    strncasecmp(s, caps[i].name, n) == 0)
				bits |= caps[i].bit;
		}
		s += n;
		if (*s == ',')
			s++;
	}
	return bits;
}

static char *password;
static int show_auth;

/* The password for a login starting now, as the session gives it. */
static const char *
give_secret(void *arg)
{
	return password;
}

int
main(int argc, char **argv)
{
	struct imap_params p;
	struct plog *log = NULL;
	const char *pwfile = NULL, *logpath = NULL;
	char *err, *end, *q;
	int ch, m;

	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&p, 0, sizeof p);
	p.conn.tls = CONN_TLS_IMPLICIT;
	p.user = "demo";
	p.conn.connect_timeout = 10;
	p.conn.idle_timeout = 10;
	while (
	    (ch = getopt(argc, argv, "SPM:a:d:i:Lu:p:m:Q:C:r:x:t:R:")) != -1) {
		switch (ch) {
		case 'S':
			p.starttls = 1;
			p.conn.tls = CONN_TLS_NONE;
			break;
		case 'a':
			p.conn.ca_file = optarg;
			break;
		case 'd':
			logpath = optarg;
			break;
		case 'i':
			p.ignore_caps = cap_bits(optarg);
			break;
		case 'P':
			p.starttls = 0;
			p.conn.tls = CONN_TLS_NONE;
			break;
		case 'M':
			show_auth = 1;
			if (strcmp(optarg, "auto") == 0)
				p.auth = SASL_AUTO;
			else if ((m = sasl_mech_from_name(
			              optarg, strlen(optarg))) > 0)
				p.auth = m;
			else
				usage();
			if (p.auth == SASL_OAUTHBEARER ||
			    p.auth == SASL_XOAUTH2)
				p.auth_can = SASL_CAN_TOKEN;
			break;
		case 'L':
			p.no_sasl = 1;
			break;
		case 'u':
			p.user = optarg;
			break;
		case 'p':
			pwfile = optarg;
			break;
		case 'm':
			mailbox = optarg;
			break;
		case 'Q':
			sp.uidvalidity = (uint32_t)strtoul(optarg, &end, 10);
			if (*end != ':')
				usage();
			sp.highestmodseq = strtoull(end + 1, &end, 10);
			if (*end == ':')
				sp.known_uids = end + 1;
			else if (*end != '\0')
				usage();
			break;
		case 'C':
			changedsince = strtoull(optarg, &end, 10);
			break;
		case 'r':
			fetch_lo = (uint32_t)strtoul(optarg, &end, 10);
			if (*end != ':')
				usage();
			fetch_hi = (uint32_t)strtoul(end + 1, &q, 10);
			break;
		case 'x':
			steps = optarg;
			break;
		case 'R':
			p.idle_renew = (int)strtol(optarg, &end, 10);
			break;
		case 't':
			p.conn.idle_timeout = (int)strtol(optarg, &end, 10);
			p.conn.connect_timeout = p.conn.idle_timeout;
			break;
		default:
			usage();
		}
	}
	if (argc - optind < 2)
		usage();
	cmds = argv + optind + 2;
	p.conn.host = argv[optind];
	p.conn.port = (int)strtol(argv[optind + 1], &end, 10);
	if (logpath != NULL && (log = plog_open(logpath, &err)) == NULL) {
		fprintf(stderr, "imap-driver: %s\n", err);
		return 2;
	}
	p.conn.log = log;
	password = pwfile != NULL ? read_password(pwfile) : NULL;
	p.secret = give_secret;
	p.event = event_cb;
	sp.mailbox = mailbox;

	base = event_base_new();
	timer = evtimer_new(base, timer_cb, NULL);
	im = imap_new(base, NULL, &p);
	imap_connect(im, connect_cb, NULL);
	event_base_dispatch(base);
	imap_free(im);
	event_free(timer);
	conn_base_free(base);
	plog_close(log);
	free(password);
	return status;
}

static char *
read_password(const char *path)
{
	char buf[1024];
	FILE *f;

	if ((f = fopen(path, "r")) == NULL ||
	    fgets(buf, sizeof buf, f) == NULL) {
		fprintf(stderr, "imap-driver: cannot read %s\n", path);
		exit(2);
	}
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	return xstrdup(buf);
}

static const char *
err_name(enum imap_err e)
{
	switch (e) {
	case IMAP_ERR_NONE:
		return "none";
	case IMAP_ERR_NO:
		return "no";
	case IMAP_ERR_AUTH:
		return "auth";
	case IMAP_ERR_CONN:
		return "conn";
	case IMAP_ERR_PROTO:
		return "proto";
	case IMAP_ERR_CLOSED:
		return "closed";
	}
	return "?";
}

/* Print the failure; a NO lets the steps go on, anything else ends. */
static void
fail(const char *what, enum imap_err e, const char *msg)
{
	printf("error %s %s: %s\n", what, err_name(e), msg);
	status = 1;
	if (e != IMAP_ERR_NO)
		event_base_loopbreak(base);
}

static void
next_step(void)
{
	char s;

	if (*steps == '\0') {
		next_cmd();
		return;
	}
	s = *steps++;
	switch (s) {
	case 'l':
		imap_list(im, folder_cb, done_cb, "list");
		break;
	case 's':
		imap_select(im, &sp, select_cb, NULL);
		break;
	case 'f':
		imap_fetch_headers(
		    im, fetch_lo, fetch_hi, msg_cb, done_cb, "fetch");
		break;
	case 'F':
		imap_fetch_flags(im, changedsince, msg_cb, done_cb, "flags");
		break;
	case 'u':
		imap_search_all(im, uids_cb, NULL);
		break;
	case 'o':
		imap_logout(im, done_cb, "logout");
		break;
	default:
		fprintf(stderr, "imap-driver: unknown step '%c'\n", s);
		exit(2);
	}
}

static void
connect_cb(struct imap *i, enum imap_err e, const char *msg, void *arg)
{
	if (e != IMAP_ERR_NONE) {
		fail("connect", e, msg);
		return;
	}
	printf("connected tls=%s caps=%#x enabled=%#x\n",
	    imap_tls_version(i) != NULL ? imap_tls_version(i) : "none",
	    imap_caps(i), imap_enabled(i));
	printf("capability %s\n", imap_capability_string(i));
	if (show_auth)
		printf("auth=%s\n",
		    imap_auth_mech(i) != NULL ? imap_auth_mech(i) : "none");
	next_step();
}

static void
event_cb(struct imap *i, const struct imap_event *ev, void *arg)
{
	switch (ev->type) {
	case IMAP_EV_EXISTS:
		printf("event exists %u\n", ev->n);
		seen_exists++;
		break;
	case IMAP_EV_EXPUNGE:
		printf("event expunge %u\n", ev->n);
		seen_gone++;
		break;
	case IMAP_EV_VANISHED:
		print_uidset(
		    ev->earlier ? "event vanished earlier" : "event vanished",
		    ev->uids);
		seen_gone++;
		break;
	case IMAP_EV_FETCH:
		print_msg("event fetch", ev->msg);
		seen_fetch++;
		break;
	case IMAP_EV_ALERT:
		printf("event alert %s\n", ev->text);
		break;
	case IMAP_EV_STATUS:
		printf("event status %.*s %u %u\n", (int)ev->status->namelen,
		    ev->status->name, ev->status->messages, ev->status->unseen);
		break;
	case IMAP_EV_CLOSED:
		printf("event closed %s: %s\n", err_name(ev->err), ev->text);
		status = 1;
		event_base_loopbreak(base);
		break;
	}
	if (wait_kind != NULL) {
		unsigned long n = strcmp(wait_kind, "exists") == 0 ? seen_exists
		    : strcmp(wait_kind, "gone") == 0               ? seen_gone
		                                                   : seen_fetch;
		if (n >= wait_count) {
			printf("waitfor %s ok\n", wait_kind);
			wait_kind = NULL;
			evtimer_del(timer);
			next_cmd();
		}
	}
}

static void
folder_cb(struct imap *i, const struct imap_folder *f, void *arg)
{
	const char *sp_name = imap_special_name(f->special);

	printf("folder raw=%s name=%s delim=%c special=%s subscribed=%d "
	       "noselect=%d",
	    f->raw, f->name, f->delim != '\0' ? f->delim : '-',
	    sp_name != NULL ? sp_name : "-", f->subscribed, f->noselect);
	if (f->has_counts)
		printf(" total=%u unseen=%u", f->total, f->unseen);
	printf("\n");
}

static void
done_cb(struct imap *i, enum imap_err e, const char *msg, void *arg)
{
	if (e != IMAP_ERR_NONE) {
		fail(arg, e, msg);
		if (e != IMAP_ERR_NO)
			return;
	} else
		printf("%s ok\n", (const char *)arg);
	if (strcmp(arg, "logout") == 0) {
		event_base_loopbreak(base);
		return;
	}
	next_step();
}

static void
select_cb(struct imap *i, enum imap_err e, const char *msg,
    const struct imap_selected *s, void *arg)
{
	if (e != IMAP_ERR_NONE) {
		fail("select", e, msg);
		if (e == IMAP_ERR_NO)
			next_step();
		return;
	}
	printf("selected uidvalidity=%u uidnext=%u exists=%u "
	       "highestmodseq=%llu nomodseq=%d qresync=%d readonly=%d\n",
	    s->uidvalidity, s->uidnext, s->exists,
	    (unsigned long long)s->highestmodseq, s->nomodseq, s->qresync,
	    s->readonly);
	next_step();
}

static void
msg_cb(struct imap *i, const struct imap_msg *m, void *arg)
{
	print_msg(m->header != NULL ? "msg" : "flags", m);
}

static void
print_msg(const char *what, const struct imap_msg *m)
{
	char *subj = NULL;

	printf("%s uid=%u seq=%u flags=%#x keywords=%s modseq=%llu", what,
	    m->uid, m->seq, m->flags, *m->keywords ? m->keywords : "-",
	    (unsigned long long)m->modseq);
	if (m->header != NULL) {
		subj = subject_of(m->header, m->header_len);
		printf(" date=%lld size=%llu header=%zu subject=%s",
		    (long long)m->internaldate, (unsigned long long)m->size,
		    m->header_len, subj != NULL ? subj : "-");
		free(subj);
	}
	printf("\n");
}

/* The Subject: line's first line, for matching in tests. */
static char *
subject_of(const char *h, size_t n)
{
	const char *p = h, *end = h + n, *eol;

	while (p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		if (eol - p > 8 && strncasecmp(p, "Subject:", 8) == 0) {
			p += 8;
			while (p < eol && *p == ' ')
				p++;
			if (eol > p && eol[-1] == '\r')
				eol--;
			return xstrndup(p, (size_t)(eol - p));
		}
		p = eol + 1;
	}
	return NULL;
}

static void
uids_cb(struct imap *i, enum imap_err e, const char *msg,
    const struct imap_uidset *set, void *arg)
{
	if (e != IMAP_ERR_NONE) {
		fail("search", e, msg);
		if (e == IMAP_ERR_NO)
			next_step();
		return;
	}
	print_uidset("uids", set);
	next_step();
}

static void
print_uidset(const char *what, const struct imap_uidset *set)
{
	size_t k;

	printf("%s count=%llu", what, (unsigned long long)set->count);
	for (k = 0; k < set->n; k++) {
		if (set->r[k].lo == set->r[k].hi)
			printf("%s%u", k ? "," : " ", set->r[k].lo);
		else
			printf("%s%u:%u", k ? "," : " ", set->r[k].lo,
			    set->r[k].hi);
	}
	printf("\n");
}

/* The next command after HOST PORT; the loop ends after the last. */
static void
next_cmd(void)
{
	char **c = cmds;
	char *raw, *raw2, *data;
	struct timeval tv = {0, 0};
	size_t len;
	FILE *f;
	int how;

#define NEED(n)                                                                \
	do {                                                                   \
		for (int k_ = 1; k_ <= (n); k_++)                              \
			if (c[k_] == NULL)                                     \
				usage();                                       \
		cmds += (n) + 1;                                               \
	} while (0)
	if (*c == NULL) {
		event_base_loopbreak(base);
		return;
	}
	if (strcmp(c[0], "body") == 0) {
		NEED(3);
		body_path = c[3];
		imap_fetch_body(im, (uint32_t)strtoul(c[1], NULL, 10),
		    strtoul(c[2], NULL, 10), body_cb, NULL);
	} else if (strcmp(c[0], "part") == 0) {
		NEED(3);
		body_path = c[3];
		imap_fetch_part(
		    im, (uint32_t)strtoul(c[1], NULL, 10), c[2], part_cb, NULL);
	} else if (strcmp(c[0], "store") == 0) {
		NEED(5);
		how = c[2][0] == '+' ? IMAP_STORE_ADD
		    : c[2][0] == '-' ? IMAP_STORE_REMOVE
		                     : IMAP_STORE_REPLACE;
		imap_store_flags(im, c[1], how, flag_arg(c[3]),
		    strcmp(c[4], "-") == 0 ? NULL : c[4],
		    strtoull(c[5], NULL, 10), store_cb, NULL);
	} else if (strcmp(c[0], "copy") == 0 || strcmp(c[0], "move") == 0) {
		NEED(2);
		raw = mailbox_arg(c[2]);
		if (c[0][0] == 'c')
			imap_copy(im, c[1], raw, copy_cb, "copy");
		else
			imap_move(im, c[1], raw, copy_cb, "move");
		free(raw);
	} else if (strcmp(c[0], "expunge") == 0) {
		NEED(1);
		imap_expunge(im, strcmp(c[1], "-") == 0 ? NULL : c[1],
		    cmd_done_cb, "expunge");
	} else if (strcmp(c[0], "noop") == 0) {
		NEED(0);
		imap_noop(im, cmd_done_cb, "noop");
	} else if (strcmp(c[0], "idle") == 0) {
		NEED(0);
		imap_idle_start(im, cmd_done_cb, "idle");
	} else if (strcmp(c[0], "idle-stop") == 0) {
		NEED(0);
		imap_idle_stop(im);
		printf("idle-stop idling=%d\n", imap_idling(im));
		next_cmd();
	} else if (strcmp(c[0], "waitfor") == 0) {
		NEED(3);
		wait_kind = c[1];
		wait_count = strtoul(c[2], NULL, 10);
		tv.tv_sec = strtol(c[3], NULL, 10);
		evtimer_add(timer, &tv);
	} else if (strcmp(c[0], "pause") == 0) {
		NEED(1);
		tv.tv_sec = strtol(c[1], NULL, 10);
		evtimer_add(timer, &tv);
	} else if (strcmp(c[0], "create") == 0 || strcmp(c[0], "delete") == 0 ||
	    strcmp(c[0], "subscribe") == 0 ||
	    strcmp(c[0], "unsubscribe") == 0) {
		NEED(1);
		raw = mailbox_arg(c[1]);
		if (c[0][0] == 'c')
			imap_create(im, raw, cmd_done_cb, c[0]);
		else if (c[0][0] == 'd')
			imap_delete(im, raw, cmd_done_cb, c[0]);
		else
			imap_subscribe(
			    im, raw, c[0][0] == 's', cmd_done_cb, c[0]);
		free(raw);
	} else if (strcmp(c[0], "rename") == 0) {
		NEED(2);
		raw = mailbox_arg(c[1]);
		raw2 = mailbox_arg(c[2]);
		imap_rename(im, raw, raw2, cmd_done_cb, "rename");
		free(raw);
		free(raw2);
	} else if (strcmp(c[0], "status") == 0) {
		NEED(1);
		raw = mailbox_arg(c[1]);
		imap_status(im, raw, status_cb, NULL);
		free(raw);
	} else if (strcmp(c[0], "append") == 0) {
		NEED(3);
		if ((f = fopen(c[3], "rb")) == NULL) {
			fprintf(stderr, "imap-driver: %s: %s\n", c[3],
			    strerror(errno));
			exit(2);
		}
		data = xmalloc(1024 * 1024);
		len = fread(data, 1, 1024 * 1024, f);
		fclose(f);
		raw = mailbox_arg(c[1]);
		imap_append(
		    im, raw, flag_arg(c[2]), data, len, append_cb, NULL);
		free(raw);
		free(data);
	} else if (strcmp(c[0], "appendfile") == 0) {
		NEED(4);
		append_file(c[1], c[2], c[3], c[4]);
	} else if (strcmp(c[0], "logout") == 0) {
		NEED(0);
		imap_logout(im, done_cb, "logout");
	} else {
		fprintf(stderr, "imap-driver: unknown command '%s'\n", c[0]);
		exit(2);
	}
#undef NEED
}

/* A UTF-8 folder name as the server has it. */
static char *
mailbox_arg(const char *name)
{
	char *raw = imap_mailbox_encode(im, name);

	if (raw == NULL) {
		fprintf(stderr, "imap-driver: '%s' is not UTF-8\n", name);
		exit(2);
	}
	return raw;
}

static unsigned int
flag_arg(const char *s)
{
	unsigned int f = 0;

	for (; *s != '\0'; s++) {
		switch (*s) {
		case 'S':
			f |= IMAP_FLAG_SEEN;
			break;
		case 'A':
			f |= IMAP_FLAG_ANSWERED;
			break;
		case 'F':
			f |= IMAP_FLAG_FLAGGED;
			break;
		case 'D':
			f |= IMAP_FLAG_DELETED;
			break;
		case 'T':
			f |= IMAP_FLAG_DRAFT;
			break;
		}
	}
	return f;
}

static void
timer_cb(evutil_socket_t fd, short events, void *arg)
{
	if (wait_kind != NULL) {
		printf("error waitfor timeout: no %s event\n", wait_kind);
		status = 1;
		event_base_loopbreak(base);
		return;
	}
	printf("pause ok\n");
	next_cmd();
}

/* The end of a command: a NO lets the commands go on. */
static void
cmd_done_cb(struct imap *i, enum imap_err e, const char *msg, void *arg)
{
	if (e != IMAP_ERR_NONE) {
		fail(arg, e, msg);
		if (e != IMAP_ERR_NO)
			return;
	} else
		printf("%s ok\n", (const char *)arg);
	next_cmd();
}

static void
body_cb(struct imap *i, enum imap_err e, const char *msg,
    const struct imap_body *b, void *arg)
{
	FILE *f;

	if (e != IMAP_ERR_NONE) {
		fail("body", e, msg);
		if (e == IMAP_ERR_NO)
			next_cmd();
		return;
	}
	if ((f = fopen(body_path, "wb")) == NULL ||
	    fwrite(b->data, 1, b->len, f) != b->len || fclose(f) != 0) {
		fprintf(stderr, "imap-driver: cannot write %s\n", body_path);
		exit(2);
	}
	printf("body uid=%u len=%zu size=%llu partial=%d\n", b->uid, b->len,
	    (unsigned long long)b->size, b->partial);
	next_cmd();
}

static void
part_cb(struct imap *i, enum imap_err e, const char *msg,
    const struct imap_part *p, void *arg)
{
	FILE *f;

	if (e != IMAP_ERR_NONE) {
		fail("part", e, msg);
		if (e == IMAP_ERR_NO)
			next_cmd();
		return;
	}
	if ((f = fopen(body_path, "wb")) == NULL ||
	    fwrite(p->data, 1, p->len, f) != p->len || fclose(f) != 0) {
		fprintf(stderr, "imap-driver: cannot write %s\n", body_path);
		exit(2);
	}
	printf("part uid=%u section=%s len=%zu decoded=%d\n", p->uid,
	    p->section, p->len, p->decoded);
	next_cmd();
}

static void
store_cb(struct imap *i, enum imap_err e, const char *msg,
    const struct imap_uidset *modified, void *arg)
{
	if (e != IMAP_ERR_NONE) {
		fail("store", e, msg);
		if (e == IMAP_ERR_NO)
			next_cmd();
		return;
	}
	print_uidset("store ok modified", modified);
	next_cmd();
}

static void
copy_cb(struct imap *i, enum imap_err e, const char *msg,
    const struct imap_copied *c, void *arg)
{
	static const char *hows[] = {"copy", "move", "expunge", "deleted"};

	if (e != IMAP_ERR_NONE) {
		fail(arg, e, msg);
		printf("%s how=%s\n", (const char *)arg, hows[c->how]);
		if (e == IMAP_ERR_NO)
			next_cmd();
		return;
	}
	printf("%s ok how=%s uidvalidity=%u\n", (const char *)arg, hows[c->how],
	    c->uidvalidity);
	print_uidset("copyuid src", &c->src);
	print_uidset("copyuid dst", &c->dst);
	next_cmd();
}

static void
status_cb(struct imap *i, enum imap_err e, const char *msg,
    const struct imap_status *st, void *arg)
{
	if (e != IMAP_ERR_NONE) {
		fail("status", e, msg);
		if (e == IMAP_ERR_NO)
			next_cmd();
		return;
	}
	printf("status total=%u unseen=%u uidnext=%u uidvalidity=%u "
	       "highestmodseq=%llu\n",
	    st->total, st->unseen, st->uidnext, st->uidvalidity,
	    (unsigned long long)st->highestmodseq);
	next_cmd();
}

/* appendfile: the session reads the file as it sends it; the file is
 * changed at once, before the loop runs, to check what a file that changes
 * size under the session does. */
static void
append_file(
    const char *name, const char *flags, const char *path, const char *change)
{
	struct stat sb;
	char *raw;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1 || fstat(fd, &sb) == -1) {
		fprintf(stderr, "imap-driver: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	raw = mailbox_arg(name);
	imap_append_file(im, raw, flag_arg(flags), fd, append_cb, NULL);
	free(raw);
	close(fd);
	if (strcmp(change, "shrink") == 0) {
		if (truncate(path, sb.st_size / 2) == -1)
			exit(2);
	} else if (strcmp(change, "grow") == 0) {
		if ((fd = open(path, O_WRONLY | O_APPEND)) == -1 ||
		    write(fd, "more\r\n", 6) != 6)
			exit(2);
		close(fd);
	} else if (strcmp(change, "=") != 0)
		usage();
}

static void
append_cb(struct imap *i, enum imap_err e, const char *msg,
    uint32_t uidvalidity, uint32_t uid, void *arg)
{
	if (e != IMAP_ERR_NONE) {
		fail("append", e, msg);
		if (e == IMAP_ERR_NO)
			next_cmd();
		return;
	}
	printf("append ok uidvalidity=%u uid=%u\n", uidvalidity, uid);
	next_cmd();
}
