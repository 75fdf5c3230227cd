/* errand: a terminal mail user agent. See LICENSE.
 * The account session: the credentials held once and got through the
 * owner's callback, one classification of IMAP failures, the network state
 * and the one retry backoff that every connection of the account shares. */

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "config.h"
#include "engine/secret.h"
#include "engine/session.h"
#include "content/text.h"
#include "url.h"
#include "xmalloc.h"
#include "net/conn.h"
#include "net/imap.h"
#include "net/pop3.h"
#include "cache/store.h"

enum session_creds_state {
	SESSION_CREDS_NONE,    /* not asked for yet, or asked for later */
	SESSION_CREDS_RUNNING, /* the password-command runs on the loop */
	SESSION_CREDS_ASKING,  /* ask() was called: waiting for the answer */
	SESSION_CREDS_HELD,    /* at hand */
	SESSION_CREDS_FAILED,  /* the last attempt failed: err says why */
};

struct session {
	struct session_params p;

	enum session_creds_state cstate;
	char *secret;              /* the credentials, once */
	char *cerr;                /* why the last attempt failed */
	struct secret_run *pw_run; /* the password-command running */
	int token_renewed;         /* the token command ran again after a
	                            * refusal: the next refusal is final */

	struct conn *early; /* session_connect_early() */

	enum session_net net;
	char *net_reason;
	int was_down;            /* offline or in error since last online */
	unsigned int reconnects; /* online again after that */
	struct backoff retry;
	struct event *ev_retry;
};

static const char *session_user(const struct session *);
static void session_creds_end(struct session *, char *, const char *);
static void session_on_password(char *, const char *, void *);
static void session_on_retry(evutil_socket_t, short, void *);
static void session_on_deadline(evutil_socket_t, short, void *);

struct session *
session_new(const struct session_params *p)
{
	struct session *s;

	s = xcalloc(1, sizeof *s);
	s->p = *p;
	s->net = SESSION_NET_CONNECTING;
	s->retry.min = SESSION_RETRY_MIN;
	s->retry.max = SESSION_RETRY_MAX;
	return s;
}

void
session_free(struct session *s)
{
	if (s == NULL)
		return;
	conn_free(s->early);
	secret_run_cancel(s->pw_run);
	secret_free(s->secret);
	free(s->cerr);
	free(s->net_reason);
	if (s->ev_retry != NULL)
		event_free(s->ev_retry);
	if (s->p.own_store)
		store_close(s->p.st);
	free(s);
}

struct event_base *
session_base(const struct session *s)
{
	return s->p.base;
}

struct evdns_base *
session_dns(const struct session *s)
{
	return s->p.dns;
}

const struct account *
session_account(const struct session *s)
{
	return s->p.a;
}

struct store *
session_store(const struct session *s)
{
	return s->p.st;
}

/* --- credentials --------------------------------------------------------- */

/* The account's user name: the URL's, else $USER, else "". */
static const char *
session_user(const struct session *s)
{
	const char *user =
	    s->p.a->url.user != NULL ? s->p.a->url.user : getenv("USER");

	return user != NULL ? user : "";
}

enum session_cred
session_cred_kind(const struct session *s)
{
	const struct account *a = s->p.a;

	if (a->auth == CONFIG_AUTH_OAUTHBEARER ||
	    a->auth == CONFIG_AUTH_XOAUTH2)
		return SESSION_CRED_TOKEN;
	if (a->auth == CONFIG_AUTH_AUTO && a->oauth2_token_command != NULL)
		return SESSION_CRED_TOKEN;
	return SESSION_CRED_PASSWORD;
}

/* An access token from oauth2-token-command: never asked for. */
static int
session_creds_token(struct session *s)
{
	const struct account *a = s->p.a;
	char *tok, *err;

	if (a->oauth2_token_command == NULL) {
		session_creds_end(s, NULL,
		    "no oauth2-token-command to run for auth = oauthbearer or "
		    "xoauth2");
		return -1;
	}
	if (s->p.wait) {
		if (secret_from_command_as(SECRET_TOKEN,
		        a->oauth2_token_command, a->timeout, &tok, &err) != 0) {
			session_creds_end(s, NULL, err);
			free(err);
			return -1;
		}
		session_creds_end(s, tok, NULL);
		return 1;
	}
	s->cstate = SESSION_CREDS_RUNNING;
	s->pw_run = secret_run_start_as(s->p.base, SECRET_TOKEN,
	    a->oauth2_token_command, a->timeout, 1, session_on_password, s);
	return 0;
}

int
session_creds(struct session *s)
{
	const struct account *a = s->p.a;
	char *pw, *err, *line, *prompt;

	switch (s->cstate) {
	case SESSION_CREDS_HELD:
		return 1;
	case SESSION_CREDS_RUNNING:
	case SESSION_CREDS_ASKING:
		return 0;
	case SESSION_CREDS_NONE:
	case SESSION_CREDS_FAILED:
		break;
	}
	free(s->cerr);
	s->cerr = NULL;
	if (session_cred_kind(s) == SESSION_CRED_TOKEN)
		return session_creds_token(s);
	if (a->password_command != NULL && s->p.wait) {
		if (secret_from_command(
		        a->password_command, a->timeout, &pw, &err) != 0) {
			session_creds_end(s, NULL, err);
			free(err);
			return -1;
		}
		session_creds_end(s, pw, NULL);
		return 1;
	}
	if (a->password_command != NULL) {
		/* Its stderr is kept for the message: the caller may own the
		 * screen. */
		s->cstate = SESSION_CREDS_RUNNING;
		s->pw_run = secret_run_start(s->p.base, a->password_command,
		    a->timeout, 1, session_on_password, s);
		return 0;
	}
	if (s->p.ask == NULL) {
		session_creds_end(s, NULL, "no password-command to run");
		return -1;
	}
	xasprintf(&line, "Password for %s@%s: ", session_user(s), a->url.host);
	prompt = text_clean_line(line); /* the config's words, shown */
	free(line);
	s->cstate = SESSION_CREDS_ASKING;
	s->p.ask(s, SESSION_CRED_PASSWORD, prompt, s->p.arg);
	free(prompt);
	switch (s->cstate) {
	case SESSION_CREDS_HELD:
		return 1;
	case SESSION_CREDS_FAILED:
		return -1;
	default:
		return 0;
	}
}

const char *
session_creds_error(const struct session *s)
{
	return s->cerr;
}

/* The end of an attempt: the secret (taken) or why not; ready() is told. */
static void
session_creds_end(struct session *s, char *secret, const char *err)
{
	free(s->cerr);
	s->cerr = NULL;
	secret_free(s->secret);
	s->secret = secret;
	if (secret != NULL)
		s->cstate = SESSION_CREDS_HELD;
	else {
		s->cstate = SESSION_CREDS_FAILED;
		s->cerr = xstrdup(err != NULL ? err : "no password");
	}
	if (s->p.ready != NULL)
		s->p.ready(s, s->cerr, s->p.arg);
}

static void
session_on_password(char *password, const char *err, void *arg)
{
	struct session *s = arg;

	s->pw_run = NULL;
	session_creds_end(s, password, err);
}

void
session_creds_set(struct session *s, char *secret)
{
	session_creds_end(s, secret, NULL);
}

void
session_creds_fail(struct session *s, const char *err)
{
	session_creds_end(s, NULL, err);
}

void
session_creds_later(struct session *s)
{
	s->cstate = SESSION_CREDS_NONE;
}

int
session_creds_cancel(struct session *s)
{
	if (s->pw_run == NULL)
		return 0;
	secret_run_cancel(s->pw_run);
	s->pw_run = NULL;
	session_creds_end(s, NULL,
	    session_cred_kind(s) == SESSION_CRED_TOKEN
	        ? "oauth2-token-command stopped"
	        : "password-command stopped");
	return 1;
}

void
session_creds_forget(struct session *s)
{
	secret_free(s->secret);
	s->secret = NULL;
	if (s->cstate == SESSION_CREDS_HELD)
		s->cstate = SESSION_CREDS_NONE;
}

int
session_creds_refused(struct session *s, const char *err)
{
	(void)err;
	if (session_cred_kind(s) != SESSION_CRED_TOKEN || s->token_renewed)
		return 0;
	/* Expired, most likely: a token lives an hour. */
	s->token_renewed = 1;
	session_creds_forget(s);
	return 1;
}

/* The secret for a login starting now: the connections ask for it
 * through their params and do not keep it, so the one copy is here. */
static const char *
session_secret(void *arg)
{
	const struct session *s = arg;

	return s->secret != NULL ? s->secret : "";
}

/* The account's auth = as a mechanism, and what it can use. */
static void
session_auth(const struct account *a, enum sasl_mech *mech, int *can)
{
	switch (a->auth) {
	case CONFIG_AUTH_PLAIN:
		*mech = SASL_PLAIN;
		break;
	case CONFIG_AUTH_LOGIN:
		*mech = SASL_LOGIN;
		break;
	case CONFIG_AUTH_SCRAM_SHA_256:
		*mech = SASL_SCRAM_SHA_256;
		break;
	case CONFIG_AUTH_SCRAM_SHA_1:
		*mech = SASL_SCRAM_SHA_1;
		break;
	case CONFIG_AUTH_OAUTHBEARER:
		*mech = SASL_OAUTHBEARER;
		break;
	case CONFIG_AUTH_XOAUTH2:
		*mech = SASL_XOAUTH2;
		break;
	default:
		*mech = SASL_AUTO;
		break;
	}
	*can = a->oauth2_token_command != NULL ? SASL_CAN_TOKEN
	                                       : SASL_CAN_PASSWORD;
}

/* Fill the transport parameters of the account. */
static void
session_conn_params(const struct session *s, struct conn_params *cp)
{
	const struct account *a = s->p.a;

	memset(cp, 0, sizeof *cp);
	cp->host = a->url.host;
	cp->port = a->url.port;
	cp->tls = url_is_implicit_tls(a->url.scheme) ? CONN_TLS_IMPLICIT
	                                             : CONN_TLS_NONE;
	cp->ca_file = a->ca_file;
	cp->fingerprint = a->tls_fingerprint;
	cp->connect_timeout = a->connect_timeout;
	cp->idle_timeout = a->timeout;
	cp->log = s->p.log;
	cp->session_name = a->name;
}

void
session_imap_params(const struct session *s, struct imap_params *ip)
{
	const struct account *a = s->p.a;

	memset(ip, 0, sizeof *ip);
	session_conn_params(s, &ip->conn);
	ip->starttls = !url_is_implicit_tls(a->url.scheme);
	ip->user = session_user(s);
	ip->secret = session_secret;
	ip->secret_arg = (void *)s;
	session_auth(a, &ip->auth, &ip->auth_can);
	if (a->imap_disable & CONFIG_IMAP_QRESYNC)
		ip->ignore_caps |= IMAP_CAP_QRESYNC;
	if (a->imap_disable & CONFIG_IMAP_CONDSTORE)
		ip->ignore_caps |= IMAP_CAP_CONDSTORE | IMAP_CAP_QRESYNC;
	if (a->imap_disable & CONFIG_IMAP_IDLE)
		ip->ignore_caps |= IMAP_CAP_IDLE;
	ip->compress = a->compress == CONFIG_COMPRESS_YES ? IMAP_COMPRESS_YES
	    : a->compress == CONFIG_COMPRESS_NO           ? IMAP_COMPRESS_NO
	                                                  : IMAP_COMPRESS_AUTO;
}

void
session_pop3_params(const struct session *s, struct pop3_params *pp)
{
	const struct account *a = s->p.a;

	memset(pp, 0, sizeof *pp);
	session_conn_params(s, &pp->conn);
	pp->starttls = !url_is_implicit_tls(a->url.scheme);
	pp->user = session_user(s);
	pp->secret = session_secret;
	pp->secret_arg = (void *)s;
	session_auth(a, &pp->auth, &pp->auth_can);
	if (a->pop3_disable & CONFIG_POP3_UIDL)
		pp->ignore_caps |= POP3_CAP_UIDL;
	if (a->pop3_disable & CONFIG_POP3_PIPELINING)
		pp->ignore_caps |= POP3_CAP_PIPELINING;
}

void
session_connect_early(struct session *s)
{
	const struct account *a = s->p.a;
	struct conn_params cp;

	if (s->early != NULL)
		return;
	if (a->password_command == NULL &&
	    session_cred_kind(s) != SESSION_CRED_TOKEN)
		return; /* a prompt */
	session_conn_params(s, &cp);
	s->early = conn_new(s->p.base, s->p.dns, &cp, NULL, NULL);
	conn_connect(s->early);
}

struct conn *
session_take_early(struct session *s)
{
	struct conn *c = s->early;

	s->early = NULL;
	return c;
}

void
session_set_store(struct session *s, struct store *st)
{
	s->p.st = st;
}

/* --- errors and the network ---------------------------------------------- */

enum session_err
session_imap_err(const struct imap *im, int e)
{
	switch ((enum imap_err)e) {
	case IMAP_ERR_NONE:
		return SESSION_ERR_NONE;
	case IMAP_ERR_NO:
		return SESSION_ERR_NO;
	case IMAP_ERR_AUTH:
		return SESSION_ERR_AUTH;
	case IMAP_ERR_CONN:
	case IMAP_ERR_CLOSED:
		/* An operation queued behind a failed connect ends CLOSED,
		 * with the connection's reason. */
		return im != NULL && conn_fail_is_offline(imap_conn_fail(im))
		    ? SESSION_ERR_OFFLINE
		    : SESSION_ERR_LOST;
	case IMAP_ERR_PROTO:
		return SESSION_ERR_LOST;
	}
	return SESSION_ERR_LOST;
}

void
session_set_net(struct session *s, enum session_net net, const char *reason)
{
	char *r = reason != NULL ? xstrdup(reason) : NULL;

	s->net = net;
	if (net == SESSION_NET_OFFLINE || net == SESSION_NET_ERROR)
		s->was_down = 1;
	if (net == SESSION_NET_ONLINE && s->was_down) {
		s->was_down = 0;
		s->reconnects++;
	}
	if (net == SESSION_NET_ONLINE)
		s->token_renewed = 0; /* the token was good */
	free(s->net_reason);          /* after the copy: reason may be it */
	s->net_reason = r;
}

enum session_net
session_net(const struct session *s)
{
	return s->net;
}

const char *
session_net_reason(const struct session *s)
{
	return s->net_reason;
}

unsigned int
session_reconnects(const struct session *s)
{
	return s->reconnects;
}

/* --- the deadline ------------------------------------------------------- */

static void
session_on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct session_deadline *dl = arg;

	(void)fd;
	(void)what;
	dl->passed = 1;
	event_base_loopbreak(dl->base);
}

void
session_deadline_arm(struct session_deadline *dl, struct event_base *base)
{
	struct timeval tv;

	if (dl->ev != NULL || dl->secs <= 0)
		return;
	dl->base = base;
	dl->ev = evtimer_new(base, session_on_deadline, dl);
	tv.tv_sec = dl->secs;
	tv.tv_usec = 0;
	evtimer_add(dl->ev, &tv);
}

void
session_deadline_clear(struct session_deadline *dl)
{
	if (dl->ev != NULL)
		event_free(dl->ev);
	dl->ev = NULL;
}

void
session_deadline_start(struct session *s)
{
	if (s->p.deadline != NULL)
		session_deadline_arm(s->p.deadline, s->p.base);
}

int
session_timed_out(const struct session *s)
{
	return s->p.deadline != NULL && s->p.deadline->passed;
}

int
session_deadline_secs(const struct session *s)
{
	return s->p.deadline != NULL ? s->p.deadline->secs : 0;
}

void
session_deadline_forgive(struct session *s)
{
	if (s->p.deadline != NULL)
		s->p.deadline->passed = 0;
}

/* --- retry --------------------------------------------------------------- */

int
backoff_next(struct backoff *b)
{
	if (b->secs == 0)
		b->secs = b->min;
	else
		b->secs = b->secs * 2 > b->max ? b->max : b->secs * 2;
	return b->secs;
}

void
backoff_reset(struct backoff *b)
{
	b->secs = 0;
}

static void
session_on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;

	(void)fd;
	(void)what;
	if (s->p.retry != NULL)
		s->p.retry(s, s->p.arg);
}

void
session_retry_after(struct session *s, int secs)
{
	struct timeval tv = {secs, 0};

	if (s->ev_retry == NULL)
		s->ev_retry = evtimer_new(s->p.base, session_on_retry, s);
	evtimer_add(s->ev_retry, &tv);
}

void
session_retry_later(struct session *s)
{
	session_retry_after(s, backoff_next(&s->retry));
}

void
session_retry_cancel(struct session *s)
{
	if (s->ev_retry != NULL)
		event_del(s->ev_retry);
}

void
session_retry_reset(struct session *s)
{
	backoff_reset(&s->retry);
}
