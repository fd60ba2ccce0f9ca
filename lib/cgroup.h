#ifndef LIB_CGROUP_H
#define LIB_CGROUP_H
/*
 * Walking the host's cgroup hierarchies for one group name: the builds'
 * parent group (builder/limits.c makes and sweeps it, deisctl removes it).
 */
#include <stdbool.h>

/* Whether the hierarchy mounted at root is cgroup v2 (one unified tree). */
bool cgroup_is_v2(const char *root);
/*
 * Call fn with "<hierarchy>/<parent>" in each hierarchy under root: v2's
 * one, or every v1 controller's (a symbolic link such as cpu → cpu,cpuacct
 * names one twice and is skipped). The directory need not exist.
 */
void cgroup_each_parent(const char *root, const char *parent,
    void (*fn)(const char *dir, void *arg), void *arg);
/* rmdir every child group of dir; a busy one (with tasks or children of its own) stays. */
void cgroup_rmdir_children(const char *dir);

#endif
