#ifndef CONTROLLER_DASHBOARD_H
#define CONTROLLER_DASHBOARD_H
/* The web dashboard's files (dashboard.c). */
#include <stdbool.h>

#include "lib/str.h"

struct api;

/*
 * When method and path name one of the dashboard's files: answer it (a is
 * freed) and return true; else false, a untouched.
 */
bool dashboard_serve(struct api *a, struct str method, struct str path);

#endif
