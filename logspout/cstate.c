/*
 * Per-container resume points and the state file that keeps them across
 * restarts of logspout: one line per container, "<id> <sent_ns>", written to
 * a temporary file and renamed over the old one (never half written).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "logspout/logspout.h"

static bool
valid_id(const char *id, size_t len)
{
	size_t i;

	if (len == 0 || len > 64)
		return false;
	for (i = 0; i < len; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	return true;
}

struct cstate *
cstate_get(struct logspout *ls, const char *id, bool create)
{
	struct cstate *c;

	LIST_FOREACH(c, &ls->states, link)
		if (!strcmp(c->id, id))
			return c;
	if (!create || !valid_id(id, strlen(id)))
		return NULL;
	c = xcalloc(1, sizeof(*c));
	memcpy(c->id, id, strlen(id) + 1);
	LIST_INSERT_HEAD(&ls->states, c, link);
	return c;
}

void
cstate_load(struct logspout *ls)
{
	char line[256];
	FILE *f;
	int fd;

	if (ls->state_path == NULL)
		return;
	fd = open(ls->state_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			log_warn("cannot read '%s': %s", ls->state_path, strerror(errno));
		return;
	}
	f = fdopen(fd, "r");
	if (f == NULL) {
		close(fd);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char *sp = strchr(line, ' ');
		unsigned long long ns;
		struct cstate *c;
		size_t n;

		if (sp == NULL)
			continue;
		*sp++ = '\0';
		n = strcspn(sp, "\n");
		if (str_to_u64(str_make(sp, n), (unsigned long long)INT64_MAX, &ns) < 0 ||
		    (c = cstate_get(ls, line, true)) == NULL) {
			log_warn("'%s': bad line skipped", ls->state_path);
			continue;
		}
		c->sent_ns = c->queued_ns = (int64_t)ns;
	}
	fclose(f);
}

void
cstate_save(struct logspout *ls)
{
	char tmp[PATH_MAX];
	struct cstate *c;
	FILE *f;
	int fd;

	if (ls->state_path == NULL || !ls->state_dirty)
		return;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", ls->state_path) >= sizeof(tmp))
		return;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		log_warn("cannot write '%s': %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	LIST_FOREACH(c, &ls->states, link)
		if (c->sent_ns)
			fprintf(f, "%s %lld\n", c->id, (long long)c->sent_ns);
	if (fflush(f) != 0 || fclose(f) != 0 || rename(tmp, ls->state_path) < 0) {
		log_warn("cannot write '%s': %s", ls->state_path, strerror(errno));
		unlink(tmp);
		return;
	}
	ls->state_dirty = false;
}

void
cstate_prune(struct logspout *ls)
{
	struct cstate *c, *next;

	for (c = LIST_FIRST(&ls->states); c; c = next) {
		next = LIST_NEXT(c, link);
		if (c->gone && !c->attached && !c->asking && c->pending == 0) {
			LIST_REMOVE(c, link);
			free(c);
			ls->state_dirty = true;
		}
	}
}

void
cstate_free_all(struct logspout *ls)
{
	struct cstate *c;

	while ((c = LIST_FIRST(&ls->states)) != NULL) {
		LIST_REMOVE(c, link);
		free(c);
	}
}
