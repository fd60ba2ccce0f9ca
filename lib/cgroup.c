#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cgroup.h"
#include "lib/xalloc.h"

bool
cgroup_is_v2(const char *root)
{
	char *p = xasprintf("%s/cgroup.controllers", root);
	bool v2 = access(p, F_OK) == 0;

	free(p);
	return v2;
}

void
cgroup_each_parent(const char *root, const char *parent,
    void (*fn)(const char *dir, void *arg), void *arg)
{
	DIR *top = cgroup_is_v2(root) ? NULL : opendir(root);
	struct dirent *h;
	struct stat st;
	char *dir;

	if (top == NULL) {
		dir = xasprintf("%s/%s", root, parent);
		fn(dir, arg);
		free(dir);
		return;
	}
	while ((h = readdir(top)) != NULL) {
		char *hdir = xasprintf("%s/%s", root, h->d_name);

		if (h->d_name[0] != '.' && lstat(hdir, &st) == 0 && S_ISDIR(st.st_mode)) {
			dir = xasprintf("%s/%s", hdir, parent);
			fn(dir, arg);
			free(dir);
		}
		free(hdir);
	}
	closedir(top);
}

void
cgroup_rmdir_children(const char *dir)
{
	DIR *g = opendir(dir);
	struct dirent *de;

	if (g == NULL)
		return;
	while ((de = readdir(g)) != NULL) {
		char *p;

		if (de->d_name[0] == '.' || de->d_type != DT_DIR)
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		rmdir(p);
		free(p);
	}
	closedir(g);
}
