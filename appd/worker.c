/*
 * worker.c: an appd worker process (see worker.h). The module host reads
 * FastCGI records from fd 0 with blocking reads (it has nothing else to
 * do), runs the module's handle(), and answers with one write per
 * request.
 */
#include <sys/prctl.h>
#include <sys/resource.h>

#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "direct.h"
#include "fcgi.h"
#include "log.h"
#include "modapi.h"
#include "triad_app.h"
#include "util.h"
#include "worker.h"

#define WORKER_READ		65536
#define WORKER_MAX_PARAMS	(1024 * 1024)

static volatile sig_atomic_t worker_stop;

static const char *
worker_env(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : def;
}

static uint64_t
worker_env_u64(const char *name, uint64_t def)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? strtoull(v, NULL, 10) : def;
}

/* The app's rlimits (0: unchanged). */
static void
worker_rlimits(void)
{
	struct rlimit rl;
	uint64_t v;

	if ((v = worker_env_u64("TRIAD_APPD_RLIMIT_AS", 0)) != 0) {
		rl.rlim_cur = rl.rlim_max = v;
		if (setrlimit(RLIMIT_AS, &rl) == -1)
			log_warn("setrlimit AS");
	}
	if ((v = worker_env_u64("TRIAD_APPD_RLIMIT_CPU", 0)) != 0) {
		rl.rlim_cur = v;
		rl.rlim_max = v + 1;	/* SIGXCPU first, then SIGKILL */
		if (setrlimit(RLIMIT_CPU, &rl) == -1)
			log_warn("setrlimit CPU");
	}
	if ((v = worker_env_u64("TRIAD_APPD_RLIMIT_NOFILE", 0)) != 0) {
		rl.rlim_cur = rl.rlim_max = v;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("setrlimit NOFILE");
	}
}

/* chdir, then group and user (only root can switch). -1 on failure. */
static int
worker_identity(void)
{
	const char *dir = worker_env("TRIAD_APPD_CHDIR", NULL);
	const char *user = worker_env("TRIAD_APPD_USER", NULL);
	const char *group = worker_env("TRIAD_APPD_GROUP", NULL);
	struct passwd *pw = NULL;
	struct group *gr = NULL;
	gid_t gid;

	if (dir != NULL && chdir(dir) == -1)
		return (log_warn("chdir %s", dir), -1);
	if (user == NULL && group == NULL)
		return 0;
	if (user != NULL && (pw = getpwnam(user)) == NULL)
		return (log_warnx("unknown user %s", user), -1);
	if (group != NULL && (gr = getgrnam(group)) == NULL)
		return (log_warnx("unknown group %s", group), -1);
	gid = gr != NULL ? gr->gr_gid : pw->pw_gid;
	if (setgroups(1, &gid) == -1 || setresgid(gid, gid, gid) == -1)
		return (log_warn("setting group %u", (unsigned)gid), -1);
	if (pw != NULL && setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1)
		return (log_warn("setting user %s", user), -1);
	return 0;
}

static void
worker_on_term(int sig)
{
	worker_stop = 1;
}

/*
 * The common start of every worker: logging tagged with the app, death
 * with the master, default signals, limits and identity.
 */
static int
worker_setup(const char *app)
{
	char tag[96];
	struct sigaction sa;
	const char *elog;

	log_init("appd", (enum log_level)worker_env_u64("TRIAD_APPD_LOG_LEVEL",
	    LOG_LEVEL_INFO));
	snprintf(tag, sizeof(tag), "%s/%s/%d", worker_env("TRIAD_APPD_INSTANCE",
	    "appd"), app, (int)getpid());
	log_set_instance(tag);
	if ((elog = worker_env("TRIAD_APPD_ERROR_LOG", NULL)) != NULL)
		log_open_file(elog);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		return -1;	/* the master died before we got here */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = worker_on_term;
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	worker_rlimits();
	return worker_identity();
}

/* Reads one FastCGI record into *rec (buffered). 1, 0 at EOF, -1. */
static int
worker_read_rec(int fd, struct fcgi_buf *in, size_t *pos,
    struct fcgi_rec *rec)
{
	size_t used;
	ssize_t n;
	int rc;

	fcgi_buf_reserve(in, WORKER_READ);
	for (;;) {
		rc = fcgi_parse(in->p + *pos, in->len - *pos, rec, &used);
		if (rc == 1) {
			*pos += used;
			return 1;
		}
		if (rc == -1)
			return -1;
		if (*pos > 0) {	/* keep the partial record at the start */
			memmove(in->p, in->p + *pos, in->len - *pos);
			in->len -= *pos;
			*pos = 0;
		}
		fcgi_buf_reserve(in, WORKER_READ);
		n = read(fd, in->p + in->len, in->cap - in->len);
		if (n == 0)
			return 0;
		if (n == -1) {
			if (errno == EINTR && !worker_stop)
				continue;
			return -1;
		}
		in->len += (size_t)n;
	}
}

/*
 * Collects one request (BEGIN, PARAMS, STDIN up to its empty record).
 * Returns 1 when r is complete, 0 at EOF between requests, -1 on a
 * protocol error.
 */
static int
worker_read_req(int fd, struct fcgi_buf *in, size_t *pos,
    struct triad_req *r, uint64_t max_body)
{
	struct fcgi_rec rec;
	int begun = 0, rc;

	while ((rc = worker_read_rec(fd, in, pos, &rec)) == 1) {
		if (rec.type == FCGI_BEGIN_REQUEST) {
			r->id = rec.id;
			begun = 1;
		} else if (!begun || rec.id != r->id)
			continue;	/* management records, aborts */
		else if (rec.type == FCGI_PARAMS) {
			if (r->params.len + rec.len > WORKER_MAX_PARAMS)
				return -1;
			fcgi_buf_add(&r->params, rec.data, rec.len);
		} else if (rec.type == FCGI_STDIN && rec.len == 0) {
			fcgi_buf_add(&r->body, "", 1);	/* the NUL */
			r->body.len--;
			return 1;
		} else if (rec.type == FCGI_STDIN) {
			if (r->body.len + rec.len > max_body)
				return -1;
			fcgi_buf_add(&r->body, rec.data, rec.len);
		}
	}
	return rc == 0 && !begun ? 0 : -1;
}

/* dlopen and the version check. NULL after logging why. */
static const struct triad_app_module *
worker_load(const char *path)
{
	const struct triad_app_module *m;
	void *h;

	if ((h = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		log_warnx("module %s: %s", path, dlerror());
		return NULL;
	}
	if ((m = dlsym(h, "triad_app_module")) == NULL) {
		log_warnx("module %s: no triad_app_module symbol (use "
		    "TRIAD_APP_MODULE from triad_app.h)", path);
		return NULL;
	}
	if (m->api_version != TRIAD_APP_API_VERSION) {
		log_warnx("module %s speaks triad app API version %u, appd "
		    "speaks %d: rebuild it against this appd's triad_app.h",
		    path, m->api_version, TRIAD_APP_API_VERSION);
		return NULL;
	}
	if (m->handle == NULL) {
		log_warnx("module %s: no handle function", path);
		return NULL;
	}
	return m;
}

/* Serves requests until EOF, SIGTERM or a write error. */
static int
worker_serve(const struct triad_app_module *m, uint64_t max_body,
    uint64_t max_resp)
{
	struct fcgi_buf in = { 0 };
	struct triad_req r;
	size_t pos = 0;
	int rc;

	memset(&r, 0, sizeof(r));
	r.fd = 0;
	r.max_response = max_resp;
	while (!worker_stop) {
		rc = worker_read_req(0, &in, &pos, &r, max_body);
		if (rc <= 0) {
			if (rc == -1 && !worker_stop)
				log_warnx("bad FastCGI stream from the master");
			break;
		}
		if (modapi_req_params(&r) == -1) {
			log_warnx("malformed FastCGI params");
			break;
		}
		rc = m->handle(&r);
		if (modapi_req_end(&r, rc < 0) == -1)
			break;
		modapi_req_reset(&r);
	}
	modapi_req_free(&r);
	fcgi_buf_free(&in);
	return 0;
}

/* The database pool from the environment; the password leaves it. */
static void
worker_db(void)
{
	char *password, *cause = NULL;

	password = xstrdup(worker_env("TRIAD_APPD_DB_PASSWORD", ""));
	unsetenv("TRIAD_APPD_DB_PASSWORD");
	if (db_init(worker_env("TRIAD_APPD_DB_ADDRESS", NULL),
	    worker_env("TRIAD_APPD_DB_USER", "triad"), password,
	    worker_env("TRIAD_APPD_DB_NAME", NULL),
	    (unsigned)worker_env_u64("TRIAD_APPD_DB_POOL", 1),
	    (unsigned)worker_env_u64("TRIAD_APPD_DB_TIMEOUT", 5), &cause) == -1) {
		log_warnx("database: %s", cause);
		free(cause);
	}
	/* db_init copied it (db.c keeps its own copy). */
	explicit_bzero(password, strlen(password));
	free(password);
}

/* The module host. */
static int
worker_module(const char *app)
{
	const struct triad_app_module *m;
	const char *path = worker_env("TRIAD_APPD_MODULE", "");

	worker_db();
	modapi_set_app(app);
	if ((m = worker_load(path)) == NULL)
		return 3;
	if (m->init != NULL && m->init() != 0) {
		log_warnx("module %s: init failed", path);
		return 3;
	}
	if (getenv(DIRECT_ENV_FDS) != NULL) {
		/* The app's own listeners; unusable settings are a failure
		   (the master backs off), not a clean end. */
		if (direct_serve(app, m) == -1)
			return 3;
	} else
		worker_serve(m, worker_env_u64("TRIAD_APPD_MAX_BODY", 1 << 20),
		    worker_env_u64("TRIAD_APPD_MAX_RESPONSE", 64 << 20));
	if (m->fini != NULL)
		m->fini();
	db_close();
	return 0;
}

/* The program must not see appd's settings (nor the database password). */
static void
worker_strip_env(void)
{
	extern char **environ;
	char name[128], **e;
	size_t n;

	for (;;) {
		for (e = environ; *e != NULL; e++)
			if (strncmp(*e, "TRIAD_APPD_", 11) == 0)
				break;
		if (*e == NULL)
			return;
		n = strcspn(*e, "=");
		if (n >= sizeof(name))
			n = sizeof(name) - 1;
		memcpy(name, *e, n);
		name[n] = '\0';
		unsetenv(name);
	}
}

int
worker_main(int argc, char **argv)
{
	const char *app = worker_env("TRIAD_APPD_APP", "?");
	const char *kind = worker_env("TRIAD_APPD_KIND", "module");

	if (worker_setup(app) == -1)
		return 2;
	if (strcmp(kind, "module") == 0)
		return worker_module(app);
	/* fastcgi and cgi: argv[2] is "--", then the program. */
	if (argc < 4 || strcmp(argv[2], "--") != 0) {
		log_warnx("worker: no program to run");
		return 2;
	}
	worker_strip_env();
	execvp(argv[3], argv + 3);
	log_warn("exec %s", argv[3]);
	return 127;
}
